using System.Net;
using System.Net.Sockets;
using Hipnat.Core.Transport;
using Hipnat.Runtime.DataPlane;
using Hipnat.Runtime.Tests.Support;
using Hipnat.Runtime.Transports;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hipnat.Runtime.Tests;

/// <summary>
/// A wildcard UDP socket sends from the address a transmit or ESP route names (IP_PKTINFO / IPV6_PKTINFO), and
/// reports the address each datagram arrived at: on loopback, where 127.0.0.1 and 127.0.0.2 are both local.
/// </summary>
public sealed class PacketInfoSendTests
{
    private static readonly IPAddress Second = IPAddress.Parse("127.0.0.2");

    [Fact]
    public void AWildcardSocketSendsEachTransmitFromItsLocalAddressAndReportsWhereAnswersArrive()
    {
        Assert.SkipUnless(PacketInfoSender.IsSupported, "IP_PKTINFO sends need 64-bit Linux");
        int port = Ports.FreeUdpPort();
        using var inbox = new DriverInbox();
        using var transport = new UdpTransport([TransportAddress.Udp(IPAddress.Any, (ushort)port)], NullLogger.Instance);
        transport.Start(inbox);
        using var peer = Peer(IPAddress.Loopback);
        var peerAddress = TransportAddress.Udp(IPAddress.Loopback, (ushort)((IPEndPoint)peer.LocalEndPoint!).Port);

        foreach (var source in new[] { Second, IPAddress.Loopback, Second })
        {
            var local = TransportAddress.Udp(source, (ushort)port);
            Assert.True(transport.Send(new Transmit(local, peerAddress, "\0\0\0\0check"u8.ToArray(), 9)));
            var (from, payload) = Receive(peer);
            Assert.Equal(new IPEndPoint(source, port), from);
            Assert.Equal("\0\0\0\0check", payload);

            // The answer goes back to where the check came from; the core learns which address it arrived at.
            peer.SendTo("\0\0\0\0answer"u8, from);
            var d = UdpTransportTests.Take(inbox);
            Assert.Equal(local, d.Local);
            Assert.Equal(peerAddress, d.Remote);
            d.Release();
        }

        Assert.Equal(3, transport.Counters.Sent);
        Assert.Equal(0, transport.Counters.SendErrors);
    }

    [Fact]
    public void ATransmitFromAnAddressThatIsNotLocalLeavesFromTheAddressRoutingPicks()
    {
        int port = Ports.FreeUdpPort();
        using var transport = new UdpTransport([TransportAddress.Udp(IPAddress.Any, (ushort)port)], NullLogger.Instance);
        using var peer = Peer(IPAddress.Loopback);
        var peerAddress = TransportAddress.Udp(IPAddress.Loopback, (ushort)((IPEndPoint)peer.LocalEndPoint!).Port);

        // 192.0.2.7 (TEST-NET-1) stands for a relayed or reflexive address: not one of ours.
        Assert.True(transport.Send(new Transmit(TransportAddress.Udp(IPAddress.Parse("192.0.2.7"), (ushort)port), peerAddress, [1, 2, 3, 4], 4)));
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, port), Receive(peer).From);

        // The wildcard itself: no control message at all.
        Assert.True(transport.Send(new Transmit(TransportAddress.Udp(IPAddress.Any, (ushort)port), peerAddress, [1, 2, 3, 4], 4)));
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, port), Receive(peer).From);
    }

    [Fact]
    public void TheControlMessagesHaveTheKernelsLayoutForBothFamilies()
    {
        Assert.SkipUnless(PacketInfoSender.IsSupported, "IP_PKTINFO sends need 64-bit Linux");
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Any, 0));
        using var peer = Peer(IPAddress.Loopback);
        var to = peer.LocalEndPoint!.Serialize();
        Span<byte> control = stackalloc byte[PacketInfoSender.MaxControlSize];
        int length = PacketInfoSender.WriteControl(Second, control);
        Assert.Equal(PacketInfoSender.IPv4ControlSize, length);
        Assert.Equal(0, PacketInfoSender.SendTo(socket.SafeHandle, "v4"u8, to, control[..length]));
        Assert.Equal(Second, ((IPEndPoint)Receive(peer).From).Address);

        // A source that is not ours is refused by the kernel, not silently replaced.
        length = PacketInfoSender.WriteControl(IPAddress.Parse("192.0.2.7"), control);
        Assert.NotEqual(0, PacketInfoSender.SendTo(socket.SafeHandle, "v4"u8, to, control[..length]));

        Assert.SkipUnless(Socket.OSSupportsIPv6 && HasIPv6Loopback(), "IPv6 loopback is not available on this host");
        using var socket6 = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp) { DualMode = false };
        socket6.Bind(new IPEndPoint(IPAddress.IPv6Any, 0));
        using var peer6 = Peer(IPAddress.IPv6Loopback);
        length = PacketInfoSender.WriteControl(IPAddress.IPv6Loopback, control);
        Assert.Equal(PacketInfoSender.IPv6ControlSize, length);
        Assert.Equal(0, PacketInfoSender.SendTo(socket6.SafeHandle, "v6"u8, peer6.LocalEndPoint!.Serialize(), control[..length]));
        Assert.Equal(IPAddress.IPv6Loopback, ((IPEndPoint)Receive(peer6).From).Address);
        length = PacketInfoSender.WriteControl(IPAddress.Parse("2001:db8::7"), control);
        Assert.NotEqual(0, PacketInfoSender.SendTo(socket6.SafeHandle, "v6"u8, peer6.LocalEndPoint!.Serialize(), control[..length]));
    }

    [Fact]
    public void EspRoutesFromAWildcardSocketSendSinglesAndOffloadedBatchesFromTheirLocalAddress()
    {
        Assert.SkipUnless(PacketInfoSender.IsSupported, "IP_PKTINFO sends need 64-bit Linux");
        using var wildcard = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        wildcard.Bind(new IPEndPoint(IPAddress.Any, 0));
        int port = ((IPEndPoint)wildcard.LocalEndPoint!).Port;
        using var peer = Peer(IPAddress.Loopback);
        var to = (IPEndPoint)peer.LocalEndPoint!;
        var remote = TransportAddress.Udp(to.Address, (ushort)to.Port);
        var esp = new SocketEspSender(new FixedSocket(wildcard));

        var route = esp.CreateRoute(TransportAddress.Udp(Second, (ushort)port), remote, relayed: false)!;
        Assert.NotNull(route.SourceControl);
        Assert.True(esp.Send(new byte[] { 0, 0, 0, 1, 9 }, route));
        Assert.Equal(new IPEndPoint(Second, port), Receive(peer).From);

        var datagrams = new EspDatagram[8];
        for (int i = 0; i < datagrams.Length; i++)
        {
            var buffer = GC.AllocateUninitializedArray<byte>(1400, pinned: true);
            buffer.AsSpan().Fill((byte)(i + 1));
            datagrams[i] = new EspDatagram(buffer, 3, i == datagrams.Length - 1 ? 500 : 1200);
        }

        Assert.Equal(datagrams.Length, esp.SendBatch(route, datagrams));
        for (int i = 0; i < datagrams.Length; i++)
        {
            var (from, payload) = Receive(peer);
            Assert.Equal(new IPEndPoint(Second, port), from);
            Assert.Equal(datagrams[i].Length, payload.Length);
        }

        Assert.True(esp.UsesGso || !UdpGso.IsSupported, "UDP_SEGMENT with IP_PKTINFO was refused on loopback");

        // The kernel picks the source where no control message is needed or possible.
        Assert.Null(esp.CreateRoute(TransportAddress.Udp(IPAddress.Any, (ushort)port), remote, relayed: false)!.SourceControl);
        Assert.Null(esp.CreateRoute(TransportAddress.Udp(IPAddress.Parse("192.0.2.7"), (ushort)port), remote, relayed: false)!.SourceControl);
        using var bound = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        bound.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        Assert.Null(new SocketEspSender(new FixedSocket(bound)).CreateRoute(TransportAddress.Udp(IPAddress.Loopback, 0), remote, relayed: false)!.SourceControl);
    }

    internal static Socket Peer(IPAddress address)
    {
        var peer = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 5000 };
        peer.Bind(new IPEndPoint(address, 0));
        return peer;
    }

    private static (EndPoint From, string Payload) Receive(Socket peer)
    {
        var buffer = new byte[2048];
        EndPoint from = new IPEndPoint(peer.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        int n = peer.ReceiveFrom(buffer, ref from);
        return (from, System.Text.Encoding.Latin1.GetString(buffer, 0, n));
    }

    private static bool HasIPv6Loopback()
    {
        try
        {
            using var s = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp);
            s.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    internal sealed class FixedSocket(Socket socket) : IEspTransport
    {
        public Socket? GetEspSocket(TransportAddress local, TransportAddress remote) => socket;

        public void SetEspReceiver(IEspReceiver? receiver)
        {
        }
    }
}
