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
}

public sealed record LocatorPairInfo(TransportAddress Local, TransportAddress Peer, LocatorPairState State, TimeSpan Rtt, TimeSpan LastReceived, TransportAddress? RelayedTo = null, bool ThroughRelay = false, bool ViaDataRelay = false, bool CreditLimited = false);

public sealed record SaPairInfo(uint InboundSpi, uint OutboundSpi, ushort Suite, ushort KeymatIndex, int Generation);
