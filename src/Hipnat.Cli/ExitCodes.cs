namespace Hipnat.Cli;

/// <summary>Exit codes of the hipnat command (documented in docs/cli.md).</summary>
public static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;

    /// <summary>The operation failed: connect did not reach ESTABLISHED, the daemon refused a request.</summary>
    public const int Failed = 1;

    /// <summary>Bad usage: invalid arguments, config file or key file.</summary>
    public const int Usage = 2;

    /// <summary>No daemon answers on the control socket (or it did not reply in time).</summary>
    public const int DaemonUnavailable = 3;

    /// <summary>The daemon could not start: a socket could not be opened (port in use, raw HIP without root, control socket taken).</summary>
    public const int Environment = 4;
}
