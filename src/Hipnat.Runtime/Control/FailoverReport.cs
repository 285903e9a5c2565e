namespace Hipnat.Runtime.Control;

/// <summary>The last failover of an association (multihoming hot or cold backup, or a failback), as "status" reports it.</summary>
public sealed class FailoverReport
{
    /// <summary>"failover" or "failback".</summary>
    public string Kind { get; set; } = string.Empty;

    public string From { get; set; } = string.Empty;

    public string To { get; set; } = string.Empty;

    public string Reason { get; set; } = string.Empty;

    public double SecondsAgo { get; set; }
}
