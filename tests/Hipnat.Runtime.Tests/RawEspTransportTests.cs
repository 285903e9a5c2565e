using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Hipnat.Core.Transport;
using Hipnat.Runtime.DataPlane;
using Hipnat.Runtime.Tests.Support;
using Hipnat.Runtime.Transports;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hipnat.Runtime.Tests;

/// <summary>
/// ESP straight over IP protocol 50 for raw HIP associations, on loopback: the data plane's sender picks the raw
/// socket for a raw locator pair, and the receive thread hands the ESP packet — without IP header, UDP header or
/// marker — to the receiver. Batches go out in sendmmsg calls and come in through recvmmsg, the packets of one receive
/// call inside one Begin/EndBatch bracket. Needs root; CI runs as root.
/// </summary>
public sealed class RawEspTransportTests
{
    [Fact]
    public void EspToARawLocatorLeavesAsProtocol50AndArrivesAsTheBareEspPacket()
    {
        Assert.SkipUnless(NativeSignals.IsRoot, "raw sockets need root; CI runs as root");
        using var pair = TransportPair.Start();
        var (ipA, ipB, a, b, collector) = pair;

        var sender = new SocketEspSender(transport: null, raw: a);
        Assert.Null(sender.CreateRoute(TransportAddress.Udp(ipA, 10500), TransportAddress.Udp(ipB, 10500), relayed: false)); // no UDP transport
        var route = sender.CreateRoute(TransportAddress.Raw(ipA), TransportAddress.Raw(ipB), relayed: false)!;
        Assert.Same(a.GetEspSocket(TransportAddress.Raw(ipA), TransportAddress.Raw(ipB)), route.Socket);

        var packets = Enumerable.Range(1, 5).Select(i => Esp(0x1000_0000u + (uint)i, i, 100 + i)).ToArray();
        Assert.True(sender.Send(packets[0], route));
        Assert.Equal(4, sender.SendBatch(route, Pinned(packets[1..])));

        collector.WaitFor(5);
        for (int i = 0; i < packets.Length; i++)
        {
            Assert.Equal(packets[i], collector.Take(i));
        }

        Assert.Equal(5, b.Counters.Received);
    }

    [Fact]
    public void ABatchOfFortyPacketsOfVariedSizesGoesOutWithSendmmsgAndArrivesCompleteAndInOrder()
    {
        Assert.SkipUnless(NativeSignals.IsRoot, "raw sockets need root; CI runs as root");
        using var pair = TransportPair.Start();
        var (ipA, ipB, a, b, collector) = pair;

        var sender = new SocketEspSender(transport: null, raw: a);
        var route = sender.CreateRoute(TransportAddress.Raw(ipA), TransportAddress.Raw(ipB), relayed: false)!;
        var packets = Enumerable.Range(1, 40).Select(i => Esp(0x2000_0000u + (uint)i, i, 24 + (i * 331 % 1400))).ToArray();
        Assert.True(sender.UsesMultiMessage);
        Assert.Equal(40, sender.SendBatch(route, Pinned(packets)));
        Assert.True(sender.UsesMultiMessage); // not refused
        Assert.Equal(1, sender.MultiMessageCalls); // the whole batch in one system call

        collector.WaitFor(40);
        Assert.Equal(40, collector.Count);
        for (int i = 0; i < packets.Length; i++)
        {
            Assert.Equal(packets[i], collector.Take(i));
        }

        Assert.Equal(40, b.Counters.Received);
    }

    [Fact]
    public void OneSendmmsgCallTakesTheWholeBatch()
    {
        Assert.SkipUnless(NativeSignals.IsRoot, "raw sockets need root; CI runs as root");
        using var pair = TransportPair.Start();
        var (ipA, ipB, a, b, collector) = pair;

        var socket = a.GetEspSocket(TransportAddress.Raw(ipA), TransportAddress.Raw(ipB))!;
        var packets = Enumerable.Range(1, 40).Select(i => Esp(0x2100_0000u + (uint)i, i, 40 + i)).ToArray();
        Assert.Equal(40, RawEspBatch.Send(socket, new IPEndPoint(ipB, 0).Serialize(), Pinned(packets), out int errno));
        Assert.Equal(0, errno);

        collector.WaitFor(40);
        Assert.Equal(packets, collector.All());
    }

    [Fact]
    public void ADatagramTheKernelRefusesInTheMiddleOfABatchIsLostAndTheRestStillGoesInOrder()
    {
        Assert.SkipUnless(NativeSignals.IsRoot, "raw sockets need root; CI runs as root");
        using var pair = TransportPair.Start();
        var (ipA, ipB, a, b, collector) = pair;

        var sender = new SocketEspSender(transport: null, raw: a);
        var route = sender.CreateRoute(TransportAddress.Raw(ipA), TransportAddress.Raw(ipB), relayed: false)!;
        var packets = Enumerable.Range(1, 30).Select(i => Esp(0x2200_0000u + (uint)i, i, 50 + i)).ToArray();
        packets[10] = Esp(0x2200_FFFFu, 11, 70_000); // more than an IPv4 datagram holds: EMSGSIZE after ten went

        Assert.Equal(29, sender.SendBatch(route, Pinned(packets)));
        Assert.True(sender.UsesMultiMessage); // a refused datagram does not switch sendmmsg off
        Assert.Equal(3, sender.MultiMessageCalls); // ten went; the big one failed alone; then the other nineteen

        collector.WaitFor(29);
        Assert.Equal(packets.Where((_, i) => i != 10), collector.All());
    }

    [Fact]
    public void PacketsQueuedBeforeTheReceiverReadsArePassedOnInBatches()
    {
        Assert.SkipUnless(NativeSignals.IsRoot, "raw sockets need root; CI runs as root");
        using var pair = TransportPair.Start(receive: false); // b is bound: packets queue on its socket
        var (ipA, ipB, a, b, collector) = pair;

        var sender = new SocketEspSender(transport: null, raw: a);
        var route = sender.CreateRoute(TransportAddress.Raw(ipA), TransportAddress.Raw(ipB), relayed: false)!;
        var packets = Enumerable.Range(1, 40).Select(i => Esp(0x2300_0000u + (uint)i, i, 64 + (i * 97 % 900))).ToArray();
        Assert.Equal(40, sender.SendBatch(route, Pinned(packets)));
        Thread.Sleep(50); // loopback delivers synchronously; give it a moment anyway
        b.Start();

        collector.WaitFor(40);
        Assert.Equal(packets, collector.All());
        Assert.Equal(40, b.Counters.Received);

        // Every packet came inside a Begin/EndBatch bracket, brackets never nest or stay open, none is empty, and at
        // least one held many packets (all 40 were queued: one recvmmsg takes as many as it has slots).
        var batches = collector.Batches();
        Assert.DoesNotContain(0, batches);
        Assert.False(collector.Misnested);
        Assert.False(collector.InBatch);
        var sizes = batches.GroupBy(id => id).Select(g => g.Count()).ToArray();
        Assert.Equal(collector.BatchesEnded, sizes.Length);
        Assert.True(sizes.Max() > 1, $"batch sizes {string.Join(", ", sizes)}");
        Assert.Equal(batches.Order(), batches); // brackets in order, each one contiguous
    }

    [Fact]
    public void TheRawEspSocketGetsTheLargeReceiveBufferOfTheUdpSocket()
    {
        // A default-sized buffer (about 200 KiB) dropped a single TCP stream's segments by the tens of thousands.
        Assert.SkipUnless(NativeSignals.IsRoot, "raw sockets need root (SO_RCVBUFFORCE too); CI runs as root");
        var (ipA, ipB) = Ports.LoopbackPair();
        using var a = new RawEspTransport([ipA], NullLogger.Instance);
        var socket = a.GetEspSocket(TransportAddress.Raw(ipA), TransportAddress.Raw(ipB))!;

        Assert.True(socket.ReceiveBufferSize >= UdpListener.ReceiveBufferBytes, $"{socket.ReceiveBufferSize} octets");
    }

    [Fact]
    public void ANonEspOrSpiZeroPacketIsCountedAndNotPassedOn()
    {
        Assert.SkipUnless(NativeSignals.IsRoot, "raw sockets need root; CI runs as root");
        using var pair = TransportPair.Start();
        var (ipA, ipB, a, b, collector) = pair;

        var socket = a.GetEspSocket(TransportAddress.Raw(ipA), TransportAddress.Raw(ipB))!;
        socket.SendTo(Esp(0, 1, 40), new IPEndPoint(ipB, 0)); // SPI 0: reserved (RFC 4303 §2.1)
        socket.SendTo(new byte[4], new IPEndPoint(ipB, 0));   // shorter than an ESP header
        var good = Esp(0xABCD_0001, 2, 40);
        socket.SendTo(good, new IPEndPoint(ipB, 0));

        collector.WaitFor(1);
        Assert.Equal(good, collector.Take(0));
        Assert.Equal(2, b.Counters.Malformed);
        Assert.Equal(1, collector.Count);
    }

    [Fact]
    public void IPv6EspArrivesWithoutAHeaderToStrip()
    {
        Assert.SkipUnless(NativeSignals.IsRoot, "raw sockets need root; CI runs as root");
        Assert.SkipUnless(Socket.OSSupportsIPv6, "IPv6 is not available on this host");
        using var a = new RawEspTransport([IPAddress.IPv6Loopback], NullLogger.Instance);
        using var b = new RawEspTransport([IPAddress.IPv6Any], NullLogger.Instance);
        var collector = new Collector();
        b.SetEspReceiver(collector);
        b.Start();

        var sender = new SocketEspSender(transport: null, raw: a);
        var route = sender.CreateRoute(TransportAddress.Raw(IPAddress.IPv6Loopback), TransportAddress.Raw(IPAddress.IPv6Loopback), relayed: false)!;
        uint spi = 0x7E57_0000u | (uint)Random.Shared.Next(0xFFFF);
        var packet = Esp(spi, 1, 64);
        Assert.True(sender.Send(packet, route));

        // Other tests' ESP on ::1 may arrive too; ours has its own SPI.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (!collector.Any(p => p.Length >= 4 && BinaryPrimitives.ReadUInt32BigEndian(p) == spi))
        {
            Assert.True(DateTime.UtcNow < deadline, "our IPv6 ESP packet did not arrive");
            Thread.Sleep(10);
        }

        Assert.Contains(collector.All(), p => p.SequenceEqual(packet));
    }

    [Fact]
    public void TheIPv4HeaderIsStripped()
    {
        byte[] datagram = [0x46, 0, 0, 36, 0, 0, 0, 0, 64, 50, 0, 0, 127, 0, 0, 1, 127, 0, 0, 2, 1, 2, 3, 4, .. new byte[12]];
        Assert.True(RawEspTransport.TryStripIPv4(datagram, out int offset, out int length));
        Assert.Equal(24, offset);
        Assert.Equal(12, length);

        datagram[9] = 139; // not ESP
        Assert.False(RawEspTransport.TryStripIPv4(datagram, out _, out _));
        datagram[9] = 50;
        Assert.False(RawEspTransport.TryStripIPv4(datagram.AsSpan(0, 24), out _, out _));
        Assert.False(RawEspTransport.TryStripIPv4(datagram.AsSpan(0, 10), out _, out _));
    }

    /// <summary>Copies of <paramref name="packets"/> in pinned buffers, each 3 octets in (the offset must be honoured).</summary>
    private static EspDatagram[] Pinned(byte[][] packets) => packets.Select(p =>
    {
        var buffer = GC.AllocateUninitializedArray<byte>(p.Length + 3, pinned: true);
        p.CopyTo(buffer, 3);
        return new EspDatagram(buffer, 3, p.Length);
    }).ToArray();

    /// <summary>Bytes shaped like ESP: SPI, sequence number, then opaque data.</summary>
    private static byte[] Esp(uint spi, int sequence, int length)
    {
        var p = new byte[length];
        new Random(length).NextBytes(p);
        if (length >= 8)
        {
            BinaryPrimitives.WriteUInt32BigEndian(p, spi);
            BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(4), (uint)sequence);
        }

        return p;
    }

    /// <summary>Records the packets passed on and, for each, the batch bracket it came in (0: none).</summary>
    /// <summary>Two raw ESP transports on a loopback address pair; B hands what it receives to a collector.</summary>
    private sealed class TransportPair : IDisposable
    {
        private TransportPair(IPAddress ipA, IPAddress ipB)
        {
            IpA = ipA;
            IpB = ipB;
            A = new RawEspTransport([ipA], NullLogger.Instance);
            B = new RawEspTransport([ipB], NullLogger.Instance);
            B.SetEspReceiver(Collector);
        }

        public IPAddress IpA { get; }

        public IPAddress IpB { get; }

        public RawEspTransport A { get; }

        public RawEspTransport B { get; }

        public Collector Collector { get; } = new();

        /// <param name="receive">False: B's receive thread is not started yet (the test starts it).</param>
        public static TransportPair Start(bool receive = true)
        {
            var (ipA, ipB) = Ports.LoopbackPair();
            var pair = new TransportPair(ipA, ipB);
            if (receive)
            {
                pair.B.Start();
            }

            return pair;
        }

        public void Deconstruct(out IPAddress ipA, out IPAddress ipB, out RawEspTransport a, out RawEspTransport b, out Collector collector) =>
            (ipA, ipB, a, b, collector) = (IpA, IpB, A, B, Collector);

        public void Dispose()
        {
            A.Dispose();
            B.Dispose();
        }
    }

    private sealed class Collector : IEspReceiver
    {
        private readonly List<byte[]> _got = [];
        private readonly List<int> _batchOf = [];
        private int _batch;
        private int _lastBatch;

        public bool InBatch => Volatile.Read(ref _batch) != 0;

        /// <summary>A BeginBatch inside a bracket or an EndBatch outside one was seen.</summary>
        public bool Misnested { get; private set; }

        public int BatchesEnded { get; private set; }

        public void BeginBatch()
        {
            lock (_got)
            {
                Misnested |= _batch != 0;
                _batch = ++_lastBatch;
            }
        }

        public void EndBatch()
        {
            lock (_got)
            {
                Misnested |= _batch == 0;
                _batch = 0;
                BatchesEnded++;
            }
        }

        public List<int> Batches()
        {
            lock (_got)
            {
                return [.. _batchOf];
            }
        }

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

        public List<byte[]> All()
        {
            lock (_got)
            {
                return [.. _got];
            }
        }

        public bool Any(Func<byte[], bool> predicate) => All().Any(predicate);

        public void WaitFor(int count)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
            while (Count < count)
            {
                Assert.True(DateTime.UtcNow < deadline, $"{Count} of {count} ESP packets arrived");
                Thread.Sleep(10);
            }

            Thread.Sleep(50); // nothing else should follow
        }

        public bool TryReceive(ReadOnlySpan<byte> datagram)
        {
            lock (_got)
            {
                _got.Add(datagram.ToArray());
                _batchOf.Add(_batch);
            }

            return true;
        }
    }
}
