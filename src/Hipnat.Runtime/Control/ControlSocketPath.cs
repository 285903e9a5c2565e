namespace Hipnat.Runtime.Control;

/// <summary>Where the daemon's control socket lives when no --control PATH (or "controlSocket" key) is given.</summary>
public static class ControlSocketPath
{
    public const string SystemPath = "/run/hipnat/hipnat.sock";

    /// <summary>
    /// /run/hipnat/hipnat.sock for root; otherwise $XDG_RUNTIME_DIR/hipnat.sock, or /tmp/hipnat-UID.sock when
    /// XDG_RUNTIME_DIR is not set.
    /// </summary>
    public static string Default()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS() && !OperatingSystem.IsFreeBSD())
        {
            return Path.Combine(Path.GetTempPath(), "hipnat.sock");
        }

        uint uid = NativeMethods.GetEffectiveUserId();
        if (uid == 0)
        {
            return SystemPath;
        }

        var xdg = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
        if (!string.IsNullOrEmpty(xdg) && Directory.Exists(xdg))
        {
            return Path.Combine(xdg, "hipnat.sock");
        }

        return $"/tmp/hipnat-{uid}.sock";
    }

    public static string Resolve(string? configured) => string.IsNullOrWhiteSpace(configured) ? Default() : configured;
}
