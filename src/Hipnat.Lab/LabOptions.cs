namespace Hipnat.Lab;

/// <summary>How a <see cref="NetworkLab"/> behaves around its own lifetime.</summary>
public sealed record LabOptions
{
    /// <summary>Run <see cref="LabJanitor.CleanupStale"/> before creating the lab (default true).</summary>
    public bool CleanupStaleOnStart { get; init; } = true;

    /// <summary>Tear the lab down on process exit, Ctrl-C, SIGTERM, SIGHUP and SIGQUIT (default true).</summary>
    public bool HandleSignals { get; init; } = true;

    /// <summary>Keep <see cref="NetworkLab.WorkDirectory"/> (captures, logs) after disposal (default false).</summary>
    public bool KeepArtifacts { get; init; }

    /// <summary>Disable IPv6 in every namespace so counters and captures see only the lab's IPv4 traffic (default true).</summary>
    public bool DisableIPv6 { get; init; } = true;
}
