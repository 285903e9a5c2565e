using Hipnat.Core.Transport;
using Hipnat.Wire;

namespace Hipnat.Core.Association;

/// <summary>A read-only snapshot of one host association for status views and tests.</summary>
public sealed record AssociationInfo(
    Hit PeerHit,
    AssociationState State,
    bool Initiator,
    TransportAddress? LocalAddress,
    TransportAddress? PeerAddress,
    TimeSpan? EstablishedAt,
    TimeSpan LastSeen,
    IReadOnlyList<TransportAddress> PeerLocators,
    IReadOnlyList<LocatorPairInfo> Pairs,
    IReadOnlyList<SaPairInfo> SaPairs,
    string DhGroup,
    string Cipher,
    string HitSuite,
    ushort EspSuite)
{
    /// <summary>The last handover (ours or the peer's), if any.</summary>
    public HandoverRecord? LastHandover { get; init; }

    /// <summary>The last failover to a standby (or failback), if any.</summary>
    public FailoverRecord? LastFailover { get; init; }
}

public sealed record LocatorPairInfo(TransportAddress Local, TransportAddress Peer, LocatorPairState State, TimeSpan Rtt, TimeSpan LastReceived, TransportAddress? RelayedTo = null, bool ThroughRelay = false, bool ViaDataRelay = false, bool CreditLimited = false);

/// <summary>One SA pair; <paramref name="BoundLocal"/> and <paramref name="BoundPeer"/> name the locator pair a
/// multihoming SA pair is bound to (RFC 8047 §4.2.4), both null for the primary pair (it follows the active pair);
/// <paramref name="BoundState"/> is that path's state (Failed: its traffic moves to the other SA pairs).</summary>
public sealed record SaPairInfo(uint InboundSpi, uint OutboundSpi, ushort Suite, ushort KeymatIndex, int Generation,
    TransportAddress? BoundLocal = null, TransportAddress? BoundPeer = null, LocatorPairState? BoundState = null);
