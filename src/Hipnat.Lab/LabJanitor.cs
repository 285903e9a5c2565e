using Hipnat.Lab.Internal;

namespace Hipnat.Lab;

/// <summary>
/// Removes what earlier lab runs left behind when their process died without disposing (a crash, SIGKILL, a CI
/// timeout): every <c>hn-*</c> network namespace whose lab no live process holds, the processes still running in it,
/// and its veths and bridges (they go with the namespace). Labs of live processes — other test assemblies running in
/// parallel — hold a lock file and are never touched. <see cref="NetworkLab.Create(LabOptions?)"/> calls this first.
/// </summary>
public static class LabJanitor
{
    /// <summary>The name prefix of every namespace the lab creates.</summary>
    public const string NamespacePrefix = LabNames.Prefix;

    /// <summary>All network namespaces named <c>hn-*</c>, live or stale.</summary>
    public static IReadOnlyList<string> ListNamespaces()
    {
        if (!Directory.Exists(NetNamespace.Directory))
        {
            return [];
        }

        return Directory.GetFiles(NetNamespace.Directory, NamespacePrefix + "*")
            .Select(Path.GetFileName)
            .OfType<string>()
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Removes stale <c>hn-*</c> namespaces (and their processes, veths and bridges); returns how many went.</summary>
    public static int CleanupStale()
    {
        var removed = 0;
        foreach (var group in ListNamespaces().GroupBy(LabNames.IdOf, StringComparer.Ordinal))
        {
            if (LabLock.IsHeld(group.Key))
            {
                continue;
            }

            // Node namespaces first, the switch namespace (hn-ID) last: the same order a lab tears itself down in.
            foreach (var name in group.OrderByDescending(n => n.Length))
            {
                if (DeleteNamespace(name))
                {
                    removed++;
                }
            }

            RemoveWorkDirectory(group.Key);
        }

        // Per-namespace /etc files whose namespace is gone (a lab that died between the two).
        if (Directory.Exists(EtcDirectory))
        {
            foreach (var dir in Directory.GetDirectories(EtcDirectory, NamespacePrefix + "*"))
            {
                string name = Path.GetFileName(dir);
                if (!NetNamespace.Exists(name) && !LabLock.IsHeld(LabNames.IdOf(name)))
                {
                    RemoveEtcDirectory(name);
                }
            }
        }

        foreach (var lockFile in Directory.GetFiles(LabLock.Directory, "*.lock"))
        {
            var id = Path.GetFileNameWithoutExtension(lockFile);
            if (!LabLock.IsHeld(id))
            {
                RemoveWorkDirectory(id);
            }
        }

        return removed;
    }

    /// <summary>Where <c>ip netns exec</c> finds the files it mounts over /etc for a namespace (ip-netns(8)).</summary>
    internal const string EtcDirectory = "/etc/netns";

    internal static string EtcDirectoryOf(string name) => Path.Combine(EtcDirectory, name);

    /// <summary>Kills every process inside namespace <paramref name="name"/> and deletes it (and its /etc/netns files); true when it is gone.</summary>
    internal static bool DeleteNamespace(string name)
    {
        RemoveEtcDirectory(name);
        if (!NetNamespace.Exists(name))
        {
            return false;
        }

        KillProcessesIn(name);
        var result = CommandRunner.Run("ip", ["netns", "delete", name]);
        if (!result.Succeeded && NetNamespace.Exists(name))
        {
            // A mount still busy a moment after its last process died: once more.
            Thread.Sleep(100);
            KillProcessesIn(name);
            CommandRunner.Run("ip", ["netns", "delete", name]);
        }

        return !NetNamespace.Exists(name);
    }

    internal static void KillProcessesIn(string name)
    {
        var pids = CommandRunner.Run("ip", ["netns", "pids", name]);
        if (!pids.Succeeded)
        {
            return;
        }

        foreach (var line in pids.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (int.TryParse(line, out var pid) && pid != Environment.ProcessId && pid > 1)
            {
                NativeMethods.Kill(pid, NativeMethods.SigKill);
            }
        }
    }

    private static void RemoveEtcDirectory(string name)
    {
        try
        {
            string dir = EtcDirectoryOf(name);
            if (name.StartsWith(NamespacePrefix, StringComparison.Ordinal) && Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    internal static string WorkDirectoryOf(string id) => Path.Combine(Path.GetTempPath(), "hipnat-lab", id);

    private static void RemoveWorkDirectory(string id)
    {
        var dir = WorkDirectoryOf(id);
        try
        {
            if (Directory.Exists(dir) && !File.Exists(Path.Combine(dir, ".keep")))
            {
                Directory.Delete(dir, recursive: true);
            }

            File.Delete(LabLock.PathOf(id));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
