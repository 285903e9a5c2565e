namespace Hipnat.Runtime.Control;

/// <summary>One local/peer locator pair of a host association.</summary>
public sealed class LocatorPairReport
{
    public string Local { get; set; } = string.Empty;

    public string Peer { get; set; } = string.Empty;

    public string State { get; set; } = string.Empty;

    public double RttMs { get; set; }

    /// <summary>True when <see cref="Peer"/> is a relay that forwards to the peer.</summary>
    public bool ThroughRelay { get; set; }

    /// <summary>The peer's address behind the relay (RELAY_TO), when we answer through one.</summary>
    public string? RelayedTo { get; set; }

    /// <summary>True when this pair goes through a data relay (a relayed ICE candidate on either side).</summary>
    public bool ViaDataRelay { get; set; }

    /// <summary>Seconds since a packet arrived on this pair; null if none has.</summary>
    public double? LastReceivedSecondsAgo { get; set; }
}
