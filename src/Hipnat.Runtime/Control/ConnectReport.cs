namespace Hipnat.Runtime.Control;

/// <summary>Result of a successful "connect": the association is ESTABLISHED.</summary>
public sealed class ConnectReport
{
    public string Hit { get; set; } = string.Empty;

    /// <summary>The peer locator the association uses.</summary>
    public string? PeerAddress { get; set; }

    /// <summary>From the daemon receiving the request to ESTABLISHED (0 when it already was).</summary>
    public double ElapsedMs { get; set; }

    public bool AlreadyEstablished { get; set; }
}
