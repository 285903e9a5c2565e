using System.Net;
using System.Net.Sockets;
using Hipnat.Core.Transport;

namespace Hipnat.Runtime.DataPlane;

/// <summary>
/// Where an association's ESP goes: the active locator pair, resolved once into the socket to send from and the
/// peer's serialized <see cref="SocketAddress"/>, so sending a packet allocates nothing. Immutable; a path change
/// replaces the whole route.
/// </summary>
public sealed class EspRoute
{
    public EspRoute(TransportAddress local, TransportAddress remote, bool relayed, Socket? socket = null)
    {
        Local = local;
        Remote = remote;
        Relayed = relayed;
        Socket = socket;
        Address = new IPEndPoint(remote.Address, remote.Port).Serialize();
    }

    public TransportAddress Local { get; }

    public TransportAddress Remote { get; }

    /// <summary>True when the pair goes through a relay rather than straight to the peer.</summary>
    public bool Relayed { get; }

    /// <summary>The daemon's UDP socket for <see cref="Local"/>; null in tests that deliver in process.</summary>
    public Socket? Socket { get; }

    /// <summary>
    /// The IP_PKTINFO / IPV6_PKTINFO control message that makes a wildcard <see cref="Socket"/> send from
    /// <see cref="Local"/>; null when the socket already sends from it or the kernel picks the source.
    /// </summary>
    public byte[]? SourceControl { get; init; }

    /// <summary>Where datagrams go, in the form sendto(2) takes: the peer, or the TURN server for a TURN route.</summary>
    public SocketAddress Address { get; init; }

    /// <summary>
    /// For a route from a TURN relayed address: the channel to the peer; datagrams are framed as ChannelData and sent
    /// to the server (RFC 8656 §12.5). Null for every other route.
    /// </summary>
    public Turn.TurnChannelSlot? TurnChannel { get; init; }

    /// <summary>Shown after the route (e.g. the TURN server), or null.</summary>
    public string? Via { get; init; }

    public override string ToString() => $"{Local} -> {Remote}{(Relayed ? " (relayed)" : string.Empty)}{(Via is null ? string.Empty : " " + Via)}";
}

/// <summary>Sends ESP datagrams. The daemon's implementation sends through its UDP sockets; tests deliver in process.</summary>
public interface IEspSender
{
    /// <summary>Resolves a locator pair into a route; null when no socket can send there (family, raw HIP).</summary>
    EspRoute? CreateRoute(TransportAddress local, TransportAddress remote, bool relayed);

    /// <summary>Sends one datagram from any thread. False when the send failed (counted by the caller).</summary>
    bool Send(ReadOnlySpan<byte> datagram, EspRoute route);

    /// <summary>
    /// Sends several datagrams to one route, in order (the TUN reader's batches; the buffers are pinned). Returns
    /// how many were sent.
    /// </summary>
    int SendBatch(EspRoute route, ReadOnlySpan<EspDatagram> datagrams);
}

/// <summary>Where decrypted packets go: the TUN device, or a test's collector. Called from several threads.</summary>
public interface IPacketWriter
{
    /// <summary>Writes one IP packet (behind its virtio_net_hdr when <see cref="VnetHeaderLength"/> is not 0). False when the device is gone.</summary>
    bool TryWrite(ReadOnlySpan<byte> packet);

    /// <summary>Octets of virtio_net_hdr every written packet starts with (a TUN device with IFF_VNET_HDR); 0: plain packets.</summary>
    int VnetHeaderLength => 0;
}

/// <summary>The TUN device as the reader thread sees it.</summary>
public interface ITunReader
{
    /// <summary>Reads one packet, waiting for it. False once the device is shut down.</summary>
    bool TryRead(Span<byte> buffer, out int length);

    /// <summary>Reads one packet if one is queued now. False when none is (or the device is shut down).</summary>
    bool TryReadNow(Span<byte> buffer, out int length);

    /// <summary>Octets of virtio_net_hdr in front of every packet read (a TUN device with IFF_VNET_HDR and offloads); 0: plain packets.</summary>
    int VnetHeaderLength => 0;
}
