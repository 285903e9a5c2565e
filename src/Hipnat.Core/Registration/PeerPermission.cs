using Hipnat.Core.Transport;

namespace Hipnat.Core.Registration;

/// <summary>
/// A data-relay permission (RFC 9028 §4.12.1, §5.13): ESP from <see cref="Peer"/> with SPI
/// <see cref="InboundSpi"/> goes to the client; ESP from the client with SPI <see cref="OutboundSpi"/> goes to
/// <see cref="Peer"/>. Lives five minutes unless refreshed.
/// </summary>
public sealed class PeerPermission
{
    internal PeerPermission(TransportAddress peer, uint outboundSpi, uint inboundSpi)
    {
        Peer = peer;
        OutboundSpi = outboundSpi;
        InboundSpi = inboundSpi;
    }

    /// <summary>The peer's transport address, where the client's ESP goes. Permissions match the peer by IP address
    /// (as TURN does, RFC 8656 §9); the address and port latch to where the peer's ESP actually comes from, which an
    /// endpoint-dependent NAT in front of the peer picks anew for the relayed port; while none comes, the client's
    /// latest PEER_PERMISSION names them.</summary>
    public TransportAddress Peer { get; internal set; }

    public uint OutboundSpi { get; }

    public uint InboundSpi { get; }

    public TimeSpan ExpiresAt { get; internal set; }

    /// <summary>When ESP from the peer last came in through the relayed port (zero: never).</summary>
    public TimeSpan PeerEspAt { get; internal set; }

    /// <summary>
    /// Further addresses of the same peer permitted for this SPI pair (RFC 9028 §4.12.1: a permission per peer
    /// address; a multihomed peer sends from several), each with its own expiry. ESP from any of them reaches the
    /// client, and the client's ESP goes to the one the peer's ESP last came from (<see cref="Peer"/>).
    /// </summary>
    internal Dictionary<System.Net.IPAddress, TimeSpan> OtherPeers { get; } = [];

    /// <summary>At most this many addresses per SPI pair.</summary>
    internal const int MaxAddresses = 4;

    /// <summary>Whether ESP from <paramref name="address"/> is permitted at <paramref name="now"/>.</summary>
    internal bool Permits(System.Net.IPAddress address, TimeSpan now) =>
        (Peer.Address.Equals(address) && ExpiresAt > now) || (OtherPeers.TryGetValue(address, out var until) && until > now);

    public long PacketsToClient { get; internal set; }

    public long PacketsToPeer { get; internal set; }

    public long Bytes { get; internal set; }
}
