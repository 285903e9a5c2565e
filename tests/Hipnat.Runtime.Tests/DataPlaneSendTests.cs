using System.Net;
using System.Net.Sockets;
using Hipnat.Core.Transport;
using Hipnat.Runtime.DataPlane;
using Hipnat.Runtime.Transports;

namespace Hipnat.Runtime.Tests;

/// <summary>The TUN reader's batches and the socket sender's UDP segmentation offload.</summary>
public sealed class DataPlaneSendTests
{
    [Fact]
    public void ABatchOfEqualDatagramsLeavesAsSeparateDatagramsInOrder()
    {
        using var receiver = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 5000 };
        receiver.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        sender.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var transport = new FixedSocket(sender);
        var esp = new SocketEspSender(transport);
        var to = (IPEndPoint)receiver.LocalEndPoint!;
        var route = esp.CreateRoute(TransportAddress.Udp(IPAddress.Loopback, 0), TransportAddress.Udp(to.Address, (ushort)to.Port), relayed: false)!;

        // 20 datagrams of 1200 octets and a shorter last one, spread over pinned buffers at odd offsets.
        var datagrams = new EspDatagram[21];
        for (int i = 0; i < datagrams.Length; i++)
        {
            var buffer = GC.AllocateUninitializedArray<byte>(2000, pinned: true);
            int length = i == datagrams.Length - 1 ? 300 : 1200;
            for (int k = 0; k < length; k++)
            {
                buffer[17 + k] = (byte)(i + k);
            }

            datagrams[i] = new EspDatagram(buffer, 17, length);
        }

        Assert.Equal(21, esp.SendBatch(route, datagrams));
        var got = new byte[2000];
        for (int i = 0; i < datagrams.Length; i++)
        {
            int n = receiver.Receive(got);
            Assert.Equal(datagrams[i].Length, n);
            Assert.True(got.AsSpan(0, n).SequenceEqual(datagrams[i].Span), $"datagram {i} differs");
        }

        Assert.True(esp.UsesGso, "UDP_SEGMENT was refused on loopback");
    }

    [Fact]
    public void TheReaderSendsABurstForOnePeerAsOneBatch()
    {
        using var pair = new DataPlaneTestPair();
        pair.Connect();
        pair.ImmediateEsp = true;
        var (a, b) = (pair.A, pair.B);
        var tun = new QueueTun();
        for (int i = 0; i < 10; i++)
        {
            tun.Packets.Enqueue(DataPlanePackets.Udp6(a.Hit, b.Hit, 1, 2, BitConverter.GetBytes(i)));
        }

        a.Engine.RunReader(tun, batchSize: 32);
        Assert.Equal(10, b.Received.Count);
        Assert.Equal(1, a.Batches);
        Assert.Equal(10, a.Engine.PacketsOut);
        int expected = 0;
        foreach (var p in b.Received)
        {
            Assert.Equal(expected++, BitConverter.ToInt32(DataPlanePackets.Transport(p), 8));
        }
    }

    private sealed class FixedSocket(Socket socket) : IEspTransport
    {
        public Socket? GetEspSocket(TransportAddress local, TransportAddress remote) => socket;

        public void SetEspReceiver(IEspReceiver? receiver)
        {
        }
    }

    /// <summary>A TUN device with a fixed burst queued; shut down once it is empty and read again.</summary>
    private sealed class QueueTun : ITunReader
    {
        public Queue<byte[]> Packets { get; } = new();

        public bool TryRead(Span<byte> buffer, out int length) => TryReadNow(buffer, out length);

        public bool TryReadNow(Span<byte> buffer, out int length)
        {
            length = 0;
            if (!Packets.TryDequeue(out var p))
            {
                return false;
            }

            p.CopyTo(buffer);
            length = p.Length;
            return true;
        }
    }
}

/// <summary>The UDP listener hands ESP to the data plane, one datagram at a time even when the kernel coalesced a burst.</summary>
public sealed class DataPlaneReceiveTests
{
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("0.0.0.0")]
    public void EspFromABurstReachesTheReceiverDatagramByDatagramAndHipControlTheDriver(string bind)
    {
        int port = Support.Ports.FreeUdpPort();
        using var inbox = new DriverInbox();
        using var transport = new UdpTransport([TransportAddress.Udp(IPAddress.Parse(bind), (ushort)port)], Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        var collector = new Collector();
        transport.SetEspReceiver(collector);
        transport.Start(inbox);

        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        peer.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var esp = new SocketEspSender(new Fixed(peer));
        var route = esp.CreateRoute(TransportAddress.Udp(IPAddress.Loopback, 0), TransportAddress.Udp(IPAddress.Loopback, (ushort)port), false)!;
        var datagrams = Enumerable.Range(0, 30).Select(i =>
        {
            var b = GC.AllocateUninitializedArray<byte>(1500, pinned: true);
            Array.Fill(b, (byte)i);
            b[0] = 0x10; // a non-zero SPI
            return new EspDatagram(b, 0, i == 29 ? 100 : 1400);
        }).ToArray();
        Assert.Equal(30, esp.SendBatch(route, datagrams));

        // HIP control (the non-ESP marker) still goes to the driver.
        var control = new byte[4 + 40];
        peer.SendTo(control, new IPEndPoint(IPAddress.Loopback, port));

        // (The receive counter moves before the datagram is queued, and on Linux HIP control may come in on the
        // I1/I2 socket's thread: wait for the queue itself.)
        var deadline = DateTime.UtcNow.AddSeconds(5);
        ReceivedDatagram hip = default;
        bool taken = false;
        while ((collector.Count < 30 || !taken) && DateTime.UtcNow < deadline)
        {
            taken = taken || inbox.TryTakeDatagram(out hip);
            Thread.Sleep(10);
        }

        Assert.True(taken || inbox.TryTakeDatagram(out hip), "the HIP control packet did not reach the driver");
        Assert.Equal(control.Length, hip.Length);
        hip.Release();
        Assert.Equal(30, collector.Count);
        for (int i = 0; i < 30; i++)
        {
            Assert.Equal(datagrams[i].Span.ToArray(), collector.Take(i));
        }

        Assert.Equal(31, transport.Counters.Received);
    }

    private sealed class Collector : IEspReceiver
    {
        private readonly List<byte[]> _got = [];

        public int Count
        {
            get
            {
                lock (_got)
                {
                    return _got.Count;
                }
            }
        }

        public byte[] Take(int i)
        {
            lock (_got)
            {
                return _got[i];
            }
        }

        public bool TryReceive(ReadOnlySpan<byte> datagram)
        {
            lock (_got)
            {
                _got.Add(datagram.ToArray());
            }

            return true;
        }
    }

    private sealed class Fixed(Socket socket) : IEspTransport
    {
        public Socket? GetEspSocket(TransportAddress local, TransportAddress remote) => socket;

        public void SetEspReceiver(IEspReceiver? receiver)
        {
        }
    }
}
