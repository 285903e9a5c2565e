namespace Hipnat.Runtime.Control;

/// <summary>Result of a successful "connect": the association is ESTABLISHED.</summary>
public sealed class ConnectReport
{
    public string Hit { get; set; } = string.Empty;

    /// <summary>The name the peer was asked for by, when it was; see <see cref="Resolve"/>.</summary>
    public string? Name { get; set; }

    /// <summary>How the name was resolved, when the peer was asked for by name.</summary>
    public ResolveReport? Resolve { get; set; }

    /// <summary>The peer locator the association uses.</summary>
    public string? PeerAddress { get; set; }

    /// <summary>From the daemon receiving the request to ESTABLISHED (0 when it already was).</summary>
    public double ElapsedMs { get; set; }

    public bool AlreadyEstablished { get; set; }
}
