namespace Hipnat.Lab.Internal;

/// <summary>
/// An exclusive lock file per lab id (flock, held by an open <see cref="FileStream"/> for the lab's lifetime). The
/// kernel drops it when the owning process dies, so a lock that can be taken marks a dead lab whose namespaces are stale.
/// </summary>
internal sealed class LabLock : IDisposable
{
    private readonly FileStream stream;

    private LabLock(string id, FileStream stream)
    {
        Id = id;
        this.stream = stream;
    }

    public string Id { get; }

    public static string Directory
    {
        get
        {
            var run = "/run/hipnat-lab";
            try
            {
                System.IO.Directory.CreateDirectory(run);
                return run;
            }
            catch (Exception e) when (e is UnauthorizedAccessException or IOException)
            {
                var fallback = Path.Combine(Path.GetTempPath(), "hipnat-lab-locks");
                System.IO.Directory.CreateDirectory(fallback);
                return fallback;
            }
        }
    }

    public static string PathOf(string id) => Path.Combine(Directory, id + ".lock");

    /// <summary>Takes the lock for <paramref name="id"/>, or returns null when a live lab holds it.</summary>
    public static LabLock? TryAcquire(string id)
    {
        try
        {
            var stream = new FileStream(PathOf(id), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            stream.SetLength(0);
            var pid = System.Text.Encoding.ASCII.GetBytes($"{Environment.ProcessId}\n");
            stream.Write(pid);
            stream.Flush();
            return new LabLock(id, stream);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>True while a live process holds the lock of <paramref name="id"/>.</summary>
    public static bool IsHeld(string id)
    {
        if (!File.Exists(PathOf(id)))
        {
            return false;
        }

        using var probe = TryAcquire(id);
        if (probe is null)
        {
            return true;
        }

        probe.Release();
        return false;
    }

    /// <summary>Deletes the lock file and lets the lock go.</summary>
    public void Release()
    {
        try
        {
            File.Delete(PathOf(Id));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }

        stream.Dispose();
    }

    public void Dispose() => stream.Dispose();
}
