using Hipnat.Crypto;
using Hipnat.Runtime.Configuration;

namespace Hipnat.Runtime;

/// <summary>Reads and writes host identity key files (PKCS#8 PEM, mode 0600).</summary>
public static class HostIdentityFile
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Loads a key file. Throws <see cref="ConfigException"/> naming the file and the fix.</summary>
    public static HostIdentity Load(string path)
    {
        string pem;
        try
        {
            pem = File.ReadAllText(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ConfigException($"key file '{path}' not found; create one with `hipnat keygen --out {path}` or pass the right --key FILE");
        }
        catch (UnauthorizedAccessException)
        {
            throw new ConfigException($"key file '{path}' is not readable; run as its owner (usually root) or fix its permissions");
        }
        catch (IOException e)
        {
            throw new ConfigException($"key file '{path}' cannot be read: {e.Message}");
        }

        try
        {
            return HostIdentity.ImportPem(pem);
        }
        catch (HostIdentityFormatException e)
        {
            var reason = e.Message.StartsWith("key file ", StringComparison.Ordinal) ? e.Message["key file ".Length..] : e.Message;
            throw new ConfigException($"key file '{path}': {reason}; create a new key with `hipnat keygen --out FILE`");
        }
    }

    /// <summary>
    /// The first line of a key file `hipnat keygen` writes (text before the PEM block, which PEM readers skip): it
    /// marks a key whose HIT was always computed over the uncompressed-point HOST_ID, so no note about an earlier HIT
    /// is due.
    /// </summary>
    public const string UncompressedPointMarker = "# hipnat host identity; ECDSA public key in HOST_ID: 0x04 | x | y";

    /// <summary>
    /// For an ECDSA key file not written by this release's keygen, what an operator needs to know about its HIT:
    /// hipnat now writes the public key in HOST_ID as ECC Curve | 0x04 | x | y (RFC 7401 §5.2.9, the uncompressed
    /// point other HIPv2 implementations expect), and the HIT is the hash of those octets (§3.2), so a key made by an
    /// earlier release, which wrote ECC Curve | x | y, has a new HIT. Names both HITs. Null for RSA keys, whose HIT
    /// did not change, and for key files that carry <see cref="UncompressedPointMarker"/>.
    /// </summary>
    public static string? HitChangeNotice(HostIdentity identity, string path)
    {
        ArgumentNullException.ThrowIfNull(identity);
        if (identity.HitBeforeUncompressedPoint is not { } old || HasMarker(path))
        {
            return null;
        }

        return $"hipnat now writes ECDSA public keys in HOST_ID as the uncompressed point 0x04 | x | y, which changed the HIT of ECDSA keys: "
            + $"this key's HIT is {identity.Hit}; if the key was made by an earlier hipnat, its HIT was {old}, "
            + $"and peers, relay allow-lists and config files that name {old} need {identity.Hit}";
    }

    private static bool HasMarker(string path)
    {
        try
        {
            using var reader = new StreamReader(path);
            return reader.ReadLine() == UncompressedPointMarker;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>True when group or others may read the file (a private key should be 0600).</summary>
    public static bool IsExposed(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return false;
        }

        try
        {
            var mode = File.GetUnixFileMode(path);
            return (mode & (UnixFileMode.GroupRead | UnixFileMode.OtherRead | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0;
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>
    /// Writes <paramref name="identity"/> as PKCS#8 PEM to <paramref name="path"/>, created with mode 0600 (the key
    /// never exists on disk with a wider mode). Refuses to replace an existing file unless <paramref name="force"/>.
    /// Throws <see cref="ConfigException"/>.
    /// </summary>
    public static void Write(string path, HostIdentity identity, bool force)
    {
        ArgumentNullException.ThrowIfNull(identity);
        if (Directory.Exists(path))
        {
            throw new ConfigException($"--out '{path}' is a directory; give a file name such as {Path.Combine(path, "host.pem")}");
        }

        if (!force && File.Exists(path))
        {
            throw new ConfigException($"--out '{path}' already exists; refusing to overwrite a key (pass --force to replace it)");
        }

        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full) ?? ".";
        if (!Directory.Exists(dir))
        {
            throw new ConfigException($"--out '{path}': directory '{dir}' does not exist; create it first");
        }

        var temp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnly;
        }

        try
        {
            using (var stream = new FileStream(temp, options))
            using (var writer = new StreamWriter(stream))
            {
                writer.Write(UncompressedPointMarker + "\n");
                writer.Write(identity.ExportPkcs8Pem());
                writer.Flush();
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, full, overwrite: force);
        }
        catch (IOException) when (!force && File.Exists(full))
        {
            TryDelete(temp);
            throw new ConfigException($"--out '{path}' already exists; refusing to overwrite a key (pass --force to replace it)");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            throw new ConfigException($"--out '{path}': cannot write the key: {e.Message}");
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort.
        }
    }
}
