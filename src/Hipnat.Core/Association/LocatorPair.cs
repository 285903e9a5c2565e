using Hipnat.Core.Transport;

namespace Hipnat.Core.Association;

/// <summary>One (local, peer) locator pair of a host association, with its own state and timing.</summary>
public sealed class LocatorPair
{
    public LocatorPair(TransportAddress local, TransportAddress peer)
    {
        Local = local;
        Peer = peer;
    }

    public TransportAddress Local { get; internal set; }

    public TransportAddress Peer { get; }

    public LocatorPairState State { get; internal set; }

    /// <summary>
    /// Set when <see cref="Peer"/> is a control relay and not the peer itself: the peer's address behind the
    /// relay, carried as RELAY_TO in every packet we send on this pair (RFC 9028 §4.5).
    /// </summary>
    public TransportAddress? RelayedTo { get; internal set; }

    /// <summary>True when <see cref="Peer"/> is a relay that forwards to the peer (whichever side we are).</summary>
    public bool ThroughRelay { get; internal set; }

    public bool IsRelayed => RelayedTo is not null || ThroughRelay;

    /// <summary>The ICE-selected pair uses a relayed candidate: ESP crosses a data relay (RFC 9028 §4.12).</summary>
    public bool ViaDataRelay { get; internal set; }

    /// <summary>
    /// Active before return routability verified the peer's address: data goes there only within the peer's credit
    /// (RFC 8046 §5.6.1) until the signed echo is answered.
    /// </summary>
    public bool CreditLimited { get; internal set; }

    public TimeSpan LastReceived { get; internal set; }

    /// <summary>When an ICE check or a signed echo last verified this pair.</summary>
    public TimeSpan VerifiedAt { get; internal set; }

    /// <summary>A standby's next keepalive probe (hot backup, draft §3.2.1).</summary>
    internal TimeSpan NextKeepaliveAt { get; set; } = TimeSpan.MaxValue;

    /// <summary>A failed pair's current interval between recovery probes (doubling up to the keepalive interval).</summary>
    internal TimeSpan RecoveryInterval { get; set; }

    /// <summary>Recovery probes sent since the pair failed.</summary>
    internal int RecoveryProbes { get; set; }

    public TimeSpan LastSent { get; internal set; }

    /// <summary>Smoothed round-trip time measured by exchanges over this pair; zero until measured.</summary>
    public TimeSpan Rtt { get; internal set; }

    public override string ToString() => RelayedTo is { } r ? $"{Local} <-> {Peer} relay -> {r} ({State})" : $"{Local} <-> {Peer} ({State})";
}
