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
