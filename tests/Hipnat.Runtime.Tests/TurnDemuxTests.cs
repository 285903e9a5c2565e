using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Hipnat.Core.Transport;
using Hipnat.Runtime.DataPlane;
using Hipnat.Runtime.Transports;
using Hipnat.Runtime.Turn;

namespace Hipnat.Runtime.Tests;

/// <summary>
/// The data plane's side of TURN relayed candidates: ESP on a route from a relayed address leaves as ChannelData
/// to the TURN server (RFC 8656 §12.5), and ChannelData on a bound channel is unwrapped before the ESP engine;
/// HIP control inside ChannelData, unbound channels and plain ESP are told apart.
/// </summary>
public sealed class TurnDemuxTests
{
    private static readonly TransportAddress Relayed = TransportAddress.Udp(IPAddress.Parse("203.0.113.20"), 49200);
    private static readonly TransportAddress Peer = TransportAddress.Udp(IPAddress.Parse("203.0.113.12"), 40001);

    private sealed class Collector : IEspReceiver
    {
        public List<byte[]> Received { get; } = [];

        public bool TryReceive(ReadOnlySpan<byte> datagram)
        {
            Received.Add(datagram.ToArray());
            return true;
        }
    }

    private static byte[] Esp(uint spi, int length)
    {
        var d = new byte[length];
        BinaryPrimitives.WriteUInt32BigEndian(d, spi);
        for (int i = 4; i < length; i++)
        {
            d[i] = (byte)i;
        }

        return d;
    }

    private static byte[] ChannelData(ushort channel, ReadOnlySpan<byte> data, int padding = 0)
    {
        var d = new byte[4 + data.Length + padding];
        TurnFraming.WriteHeader(d, channel, data.Length);
        data.CopyTo(d.AsSpan(4));
        return d;
    }

    private static (TurnRelayTable Table, TurnChannelSlot Slot) BoundTable(ushort channel)
    {
        var table = new TurnRelayTable();
        var route = new TurnRelayedRoute(Relayed, TransportAddress.Udp(IPAddress.Loopback, 10500), TransportAddress.Udp(IPAddress.Loopback, 3478));
        table.Add(route);
        var slot = route.SlotFor(Peer);
        table.SetChannel(slot, channel);
        return (table, slot);
    }

    [Fact]
    public void EspInsideChannelDataOnABoundChannelReachesTheEngineUnwrapped()
    {
        var (table, _) = BoundTable(0x4001);
        var engine = new Collector();
        var demux = new TurnEspReceiver(engine, table);
        var esp = Esp(0x12345678, 101);

        Assert.True(demux.TryReceive(ChannelData(0x4001, esp)));
        Assert.True(demux.TryReceive(ChannelData(0x4001, esp, padding: 3)));
        Assert.Equal(2, engine.Received.Count);
        Assert.All(engine.Received, r => Assert.Equal(esp, r));
        Assert.Equal(2, table.EspPacketsIn);
        Assert.Equal(202, table.BytesIn);
    }

    [Fact]
    public void HipControlInsideChannelDataIsLeftToTheDriver()
    {
        var (table, _) = BoundTable(0x4000);
        var engine = new Collector();
        var demux = new TurnEspReceiver(engine, table);
        var control = new byte[48]; // four zero octets, then a HIP header

        Assert.False(demux.TryReceive(ChannelData(0x4000, control)));
        Assert.Empty(engine.Received);
    }

    [Fact]
    public void PlainEspAndChannelDataOnUnboundChannelsGoToTheEngineUnchanged()
    {
        var (table, _) = BoundTable(0x4000);
        var engine = new Collector();
        var demux = new TurnEspReceiver(engine, table);
        var plain = Esp(0x4000_1234, 64);            // an SPI whose first octet looks like a channel
        var unbound = ChannelData(0x4002, Esp(0x01020304, 40));
        var wrongLength = ChannelData(0x4000, Esp(0x01020304, 40), padding: 8);

        foreach (var d in new[] { plain, unbound, wrongLength })
        {
            Assert.True(demux.TryReceive(d));
        }

        Assert.Equal([plain, unbound, wrongLength], engine.Received);
        Assert.Equal(0, table.EspPacketsIn);

        // Without any bound channel nothing is even looked at.
        var empty = new TurnRelayTable();
        var engine2 = new Collector();
        Assert.True(new TurnEspReceiver(engine2, empty).TryReceive(ChannelData(0x4000, Esp(7, 20))));
        Assert.Single(engine2.Received);
    }

    [Fact]
    public void EspOnARouteFromTheRelayedAddressLeavesAsChannelDataToTheServer()
    {
        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 5000 };
        server.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var hip = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        hip.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var serverAddress = (IPEndPoint)server.LocalEndPoint!;
        var table = new TurnRelayTable();
        var allocation = new TurnRelayedRoute(Relayed, TransportAddress.Udp(IPAddress.Loopback, 10500), TransportAddress.Udp(serverAddress.Address, (ushort)serverAddress.Port));
        table.Add(allocation);
        var sender = new TurnEspSender(new SocketEspSender(new FixedSocket(hip)), table);

        var route = sender.CreateRoute(Relayed, Peer, relayed: true)!;
        Assert.NotNull(route.TurnChannel);
        Assert.True(route.TurnChannel!.Wanted); // no channel yet: the driver is asked to bind one
        var esp = Esp(0xCAFEBABE, 120);
        Assert.False(sender.Send(esp, route));
        Assert.Equal(1, table.EspNoChannel);

        table.SetChannel(route.TurnChannel, 0x4007);
        Assert.True(sender.Send(esp, route));

        // A batch: headers go into the headroom in front of each datagram.
        var batch = new EspDatagram[3];
        for (int i = 0; i < batch.Length; i++)
        {
            var buffer = GC.AllocateUninitializedArray<byte>(400, pinned: true);
            esp.CopyTo(buffer, 64);
            batch[i] = new EspDatagram(buffer, 64, esp.Length);
        }

        Assert.Equal(3, sender.SendBatch(route, batch));
        var got = new byte[2000];
        for (int i = 0; i < 4; i++)
        {
            int n = server.Receive(got);
            Assert.True(TurnFraming.TryUnwrap(got.AsSpan(0, n), out ushort channel, out var data));
            Assert.Equal(0x4007, channel);
            Assert.Equal(esp, data.ToArray());
        }

        Assert.Equal(4, table.EspPacketsOut);
        Assert.Equal(4 * esp.Length, table.BytesOut);

        // Every other route is left alone.
        var direct = sender.CreateRoute(TransportAddress.Udp(IPAddress.Loopback, 10500), Peer, relayed: false)!;
        Assert.Null(direct.TurnChannel);
    }

    private sealed class FixedSocket(Socket socket) : IEspTransport
    {
        public Socket? GetEspSocket(TransportAddress local, TransportAddress remote) => socket;

        public void SetEspReceiver(IEspReceiver? receiver)
        {
        }
    }
}
