using System.Net;
using System.Net.Sockets;
using Hipnat.Core.Transport;
using Hipnat.Runtime.Tests.Support;
using Hipnat.Runtime.Transports;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hipnat.Runtime.Tests;

[CollectionDefinition(nameof(AllocationTests), DisableParallelization = true)]
public sealed class AllocationCollection;

/// <summary>The receive path does not allocate per packet (it runs alone so other tests' allocations do not count).</summary>
[Collection(nameof(AllocationTests))]
public sealed class AllocationTests
{
    /// <summary>
    /// The limit leaves room for the test host's own background allocations (a few bytes per packet); a real
    /// per-packet allocation (an IPAddress, SocketAddress or buffer) is 40 bytes or more.
    /// </summary>
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("0.0.0.0")]
    public void ReceivingAllocatesNothingPerPacket(string bind)
    {
        int port = Ports.FreeUdpPort();
        using var inbox = new DriverInbox(capacity: 8192);
        using var transport = new UdpTransport([TransportAddress.Udp(IPAddress.Parse(bind), (ushort)port)], NullLogger.Instance);
        transport.Start(inbox);
        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        peer.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var target = new IPEndPoint(IPAddress.Loopback, port).Serialize();
        var payload = new byte[200];

        // Warm up caches and pools.
        Pump(peer, target, payload, inbox, transport, 500);
        const int count = 5000;
        long before = GC.GetTotalAllocatedBytes(precise: true);
        Pump(peer, target, payload, inbox, transport, count);
        long after = GC.GetTotalAllocatedBytes(precise: true);
        double perPacket = (after - before) / (double)count;
        Assert.True(perPacket < 24, $"{perPacket:0.0} bytes allocated per packet");
    }

    /// <summary>A relayed port of the data relay (an asynchronous receive loop, not a thread) allocates nothing per packet either, nor does sending from it.</summary>
    [Fact]
    public void RelayedPortsReceiveAndSendWithoutAllocatingPerPacket()
    {
        var (port, relayedPort) = Ports.TwoFreeUdpPorts();
        using var inbox = new DriverInbox(capacity: 8192);
        using var transport = new UdpTransport([TransportAddress.Udp(IPAddress.Loopback, (ushort)port)], NullLogger.Instance);
        transport.Start(inbox);
        var relayed = TransportAddress.Udp(IPAddress.Loopback, (ushort)relayedPort);
        Assert.True(transport.OpenRelayedPort(relayed, out var error), error);
        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        peer.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var payload = new byte[200];

        Pump(peer, new IPEndPoint(IPAddress.Loopback, relayedPort).Serialize(), payload, inbox, transport, 500);
        const int count = 5000;
        long before = GC.GetTotalAllocatedBytes(precise: true);
        Pump(peer, new IPEndPoint(IPAddress.Loopback, relayedPort).Serialize(), payload, inbox, transport, count);
        long after = GC.GetTotalAllocatedBytes(precise: true);
        double perPacket = (after - before) / (double)count;
        Assert.True(perPacket < 24, $"{perPacket:0.0} bytes allocated per received packet");

        var to = TransportAddress.Udp(IPAddress.Loopback, (ushort)((IPEndPoint)peer.LocalEndPoint!).Port);
        var buffer = new byte[200];
        for (int i = 0; i < 100; i++)
        {
            Assert.True(transport.Send(new Transmit(relayed, to, buffer, 200)));
        }

        before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < count; i++)
        {
            transport.Send(new Transmit(relayed, to, buffer, 200));
        }

        after = GC.GetAllocatedBytesForCurrentThread();
        Assert.True(after - before < 1024, $"{after - before} bytes allocated sending {count} packets from a relayed port");
    }

    /// <summary>Sends that name their source (IP_PKTINFO on a wildcard socket) allocate nothing either: HIP control, ESP singles and offloaded batches.</summary>
    [Fact]
    public void SendingFromAChosenAddressOfAWildcardSocketAllocatesNothingPerPacket()
    {
        Assert.SkipUnless(PacketInfoSender.IsSupported, "IP_PKTINFO sends need 64-bit Linux");
        int port = Ports.FreeUdpPort();
        using var transport = new UdpTransport([TransportAddress.Udp(IPAddress.Any, (ushort)port)], NullLogger.Instance);
        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        peer.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        peer.ReceiveBufferSize = 1 << 20;
        var to = TransportAddress.Udp(IPAddress.Loopback, (ushort)((IPEndPoint)peer.LocalEndPoint!).Port);
        var from = TransportAddress.Udp(IPAddress.Parse("127.0.0.2"), (ushort)port);
        var buffer = new byte[200];
        var esp = new DataPlane.SocketEspSender(new PacketInfoSendTests.FixedSocket(transport.GetEspSocket(from, to)!));
        var route = esp.CreateRoute(from, to, relayed: false)!;
        Assert.NotNull(route.SourceControl);
        var batch = new DataPlane.EspDatagram[4];
        for (int i = 0; i < batch.Length; i++)
        {
            batch[i] = new DataPlane.EspDatagram(GC.AllocateUninitializedArray<byte>(1200, pinned: true), 0, 1200);
        }

        void SendAll(int count)
        {
            for (int i = 0; i < count; i++)
            {
                transport.Send(new Transmit(from, to, buffer, 200));
                esp.Send(buffer.AsSpan(0, 200), route);
                esp.SendBatch(route, batch);
                if ((i & 15) == 15)
                {
                    Drain(peer);
                }
            }
        }

        SendAll(100);
        const int count = 2000;
        long before = GC.GetAllocatedBytesForCurrentThread();
        SendAll(count);
        long after = GC.GetAllocatedBytesForCurrentThread();
        Assert.True(after - before < 1024, $"{after - before} bytes allocated sending {count} rounds from a chosen address");
        Assert.Equal(0, transport.Counters.SendErrors);
    }

    /// <summary>Raw ESP batches leave in sendmmsg calls and arrive through recvmmsg without allocating per packet.</summary>
    [Fact]
    public void RawEspBatchesAreSentAndReceivedWithoutAllocatingPerPacket()
    {
        Assert.SkipUnless(NativeSignals.IsRoot, "raw sockets need root; CI runs as root");
        var (ipA, ipB) = Ports.LoopbackPair();
        using var a = new RawEspTransport([ipA], NullLogger.Instance);
        using var b = new RawEspTransport([ipB], NullLogger.Instance);
        var receiver = new CountingReceiver();
        b.SetEspReceiver(receiver);
        b.Start();
        var esp = new DataPlane.SocketEspSender(transport: null, raw: a);
        var route = esp.CreateRoute(TransportAddress.Raw(ipA), TransportAddress.Raw(ipB), relayed: false)!;
        var batch = new DataPlane.EspDatagram[32];
        for (int i = 0; i < batch.Length; i++)
        {
            var buffer = GC.AllocateArray<byte>(200, pinned: true);
            buffer[0] = 0x5A; // a non-zero SPI
            batch[i] = new DataPlane.EspDatagram(buffer, 0, 200);
        }

        long sent = 0;
        void SendAll(int rounds)
        {
            for (int i = 0; i < rounds; i++)
            {
                sent += esp.SendBatch(route, batch);
                var deadline = Environment.TickCount64 + 2000;
                while (Volatile.Read(ref receiver.Count) < sent && Environment.TickCount64 < deadline)
                {
                    Thread.Yield(); // the receive buffer holds a few hundred small packets: keep pace
                }
            }
        }

        SendAll(20);
        const int rounds = 200;
        long total = GC.GetTotalAllocatedBytes(precise: true);
        long thread = GC.GetAllocatedBytesForCurrentThread();
        SendAll(rounds);
        long threadAfter = GC.GetAllocatedBytesForCurrentThread();
        long totalAfter = GC.GetTotalAllocatedBytes(precise: true);

        Assert.Equal(rounds + 20L, esp.MultiMessageCalls); // one sendmmsg per batch, 20 of them warming up
        Assert.True(threadAfter - thread < 1024, $"{threadAfter - thread} bytes allocated sending {rounds} batches");
        Assert.Equal((rounds + 20L) * batch.Length, Volatile.Read(ref receiver.Count));
        double perPacket = (totalAfter - total) / (double)(rounds * batch.Length);
        Assert.True(perPacket < 24, $"{perPacket:0.0} bytes allocated per packet");
    }

    private sealed class CountingReceiver : IEspReceiver
    {
        public long Count;

        public bool TryReceive(ReadOnlySpan<byte> datagram)
        {
            Interlocked.Increment(ref Count);
            return true;
        }
    }

    private static void Drain(Socket socket)
    {
        Span<byte> sink = stackalloc byte[2048];
        while (socket.Available > 0)
        {
            socket.Receive(sink);
        }
    }

    private static void Pump(Socket peer, SocketAddress target, byte[] payload, DriverInbox inbox, UdpTransport transport, int count)
    {
        long start = transport.Counters.Received;
        int taken = 0;
        for (int i = 0; i < count; i++)
        {
            peer.SendTo(payload, SocketFlags.None, target);
            while (inbox.TryTakeDatagram(out var d))
            {
                d.Release();
                taken++;
            }

            if ((i & 63) == 63)
            {
                while (transport.Counters.Received - start < i + 1 - 32)
                {
                    Thread.Yield();
                }
            }
        }

        var deadline = Environment.TickCount64 + 5000;
        while (taken < count && Environment.TickCount64 < deadline)
        {
            while (inbox.TryTakeDatagram(out var d))
            {
                d.Release();
                taken++;
            }

            Thread.Yield();
        }

        Assert.Equal(count, taken);
    }
}
