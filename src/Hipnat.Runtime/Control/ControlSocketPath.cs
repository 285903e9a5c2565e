using System.Runtime.InteropServices;

namespace Hipnat.Runtime.Control;

/// <summary>
/// Where the daemon's control socket lives when no --control PATH (or "controlSocket" key) is given. The daemon and
/// the client commands compute the same path from the same rules. Each default lives in a directory of its own
/// that the daemon creates and checks (<see cref="PrepareDirectory"/>): never a guessable name in a directory
/// others can write to, such as /tmp.
/// </summary>
public static class ControlSocketPath
{
    public const string SystemDirectory = "/run/hipnat";

    public const string SystemPath = SystemDirectory + "/" + FileName;

    /// <summary>The socket's name in its directory.</summary>
    public const string FileName = "hipnat.sock";

    /// <summary>Mode of /run/hipnat: anyone may look in, the socket's own mode and the peer check decide who connects.</summary>
    public const uint SystemDirectoryMode = 0x1ED; // 0755

    /// <summary>Mode of a user's own socket directory.</summary>
    public const uint PrivateDirectoryMode = 0x1C0; // 0700

    /// <summary>
    /// /run/hipnat/hipnat.sock for root; otherwise $XDG_RUNTIME_DIR/hipnat/hipnat.sock, or, when XDG_RUNTIME_DIR is
    /// not set, $XDG_STATE_HOME/hipnat/hipnat.sock ($HOME/.local/state/hipnat/hipnat.sock).
    /// </summary>
    public static string Default() => Path.Combine(DefaultDirectory(), FileName);

    /// <summary>The directory of <see cref="Default"/>.</summary>
    public static string DefaultDirectory()
    {
        if (OperatingSystem.IsWindows())
        {
            return Path.GetTempPath();
        }

        if (NativeMethods.GetEffectiveUserId() == 0)
        {
            return SystemDirectory;
        }

        var xdg = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
        if (!string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg) && Directory.Exists(xdg))
        {
            return Path.Combine(xdg, "hipnat");
        }

        var state = Environment.GetEnvironmentVariable("XDG_STATE_HOME");
        if (string.IsNullOrEmpty(state) || !Path.IsPathRooted(state))
        {
            var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            if (string.IsNullOrEmpty(home))
            {
                throw new ControlSocketException(ControlSocketProblem.CannotCreate,
                    "no place for the control socket: neither XDG_RUNTIME_DIR nor HOME is set; set one of them or pass --control PATH");
            }

            state = Path.Combine(home, ".local", "state");
        }

        return Path.Combine(state, "hipnat");
    }

    public static string Resolve(string? configured) => string.IsNullOrWhiteSpace(configured) ? Default() : configured;

    /// <summary>
    /// The socket a client command talks to: <paramref name="configured"/> when given; else this user's
    /// <see cref="Default"/> when something is there; else the system daemon's <see cref="SystemPath"/> when it
    /// exists (a member of a root daemon's control group finds it without --control); else this user's default,
    /// for the "no daemon" message.
    /// </summary>
    public static string ForClient(string? configured)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return configured;
        }

        string? own;
        try
        {
            own = Default();
        }
        catch (ControlSocketException)
        {
            own = null; // no runtime directory nor home: only the system daemon's socket is left
        }

        if (own is not null && (own == SystemPath || UnixFileStatus.TryRead(own, out _, out _)))
        {
            return own;
        }

        return UnixFileStatus.TryRead(SystemPath, out _, out _) || own is null ? SystemPath : own;
    }

    /// <summary>The mode <see cref="PrepareDirectory"/> gives <see cref="DefaultDirectory"/> when it creates it.</summary>
    public static uint DefaultDirectoryMode() =>
        !OperatingSystem.IsWindows() && NativeMethods.GetEffectiveUserId() == 0 ? SystemDirectoryMode : PrivateDirectoryMode;

    /// <summary>
    /// Makes sure <paramref name="directory"/> is a safe home for the control socket: creates it with
    /// <paramref name="mode"/> (exactly, whatever the umask) when missing, then checks that it is a real directory (not
    /// a symbolic link), owned by this process's user or root, and that no other user may write to it (nobody else
    /// can replace or remove the socket). Throws <see cref="ControlSocketException"/>.
    /// </summary>
    public static void PrepareDirectory(string directory, uint mode)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        CreateIfMissing(directory, mode);
        if (!UnixFileStatus.TryRead(directory, out var status, out int error))
        {
            throw new ControlSocketException(ControlSocketProblem.CannotCreate,
                $"cannot check the control socket directory '{directory}': {Describe(error)}; pass --control PATH in a directory of yours");
        }

        uint uid = NativeMethods.GetEffectiveUserId();
        if (!status.IsDirectory)
        {
            throw new ControlSocketException(ControlSocketProblem.UnsafeDirectory,
                $"the control socket directory '{directory}' is {status.TypeName}, not a directory; remove it or pass --control PATH");
        }

        if (status.Uid != uid && status.Uid != 0)
        {
            throw new ControlSocketException(ControlSocketProblem.UnsafeDirectory,
                $"the control socket directory '{directory}' belongs to uid {status.Uid}, not to this daemon's user (uid {uid}) or root; " +
                "another user may have created it: remove it or pass --control PATH");
        }

        if ((status.Permissions & 0x12) != 0) // group or others may write
        {
            throw new ControlSocketException(ControlSocketProblem.UnsafeDirectory,
                $"the control socket directory '{directory}' is writable by group or others (mode {Convert.ToString(status.Permissions, 8)}); " +
                $"run: chmod go-w {directory}, or pass --control PATH");
        }
    }

    /// <summary>Creates <paramref name="directory"/> (its parents with the usual permissions) with exactly <paramref name="mode"/>, unless it exists.</summary>
    internal static void CreateIfMissing(string directory, uint mode)
    {
        if (UnixFileStatus.TryRead(directory, out _, out int error) || error != NativeMethods.ENoEnt)
        {
            return; // there (checked by the caller), or a problem the caller's next step reports
        }

        try
        {
            var parent = Path.GetDirectoryName(Path.GetFullPath(directory));
            if (parent is not null)
            {
                Directory.CreateDirectory(parent);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ControlSocketException(ControlSocketProblem.CannotCreate,
                $"cannot create the control socket directory '{directory}': {e.Message}; pass --control PATH in a writable directory", e);
        }

        if (NativeMethods.MakeDirectory(directory, mode) != 0)
        {
            error = Marshal.GetLastPInvokeError();
            if (error == NativeMethods.EExist)
            {
                return; // created meanwhile: checked like any existing directory
            }

            throw new ControlSocketException(ControlSocketProblem.CannotCreate,
                $"cannot create the control socket directory '{directory}': {Describe(error)}; pass --control PATH in a writable directory");
        }

        // mkdir applied the umask; give the directory exactly the intended mode.
        if (NativeMethods.ChangeMode(directory, mode) != 0)
        {
            error = Marshal.GetLastPInvokeError();
            throw new ControlSocketException(ControlSocketProblem.CannotCreate,
                $"cannot set the mode of the control socket directory '{directory}': {Describe(error)}");
        }
    }

    internal static string Describe(int errno) => Marshal.GetPInvokeErrorMessage(errno);
}
