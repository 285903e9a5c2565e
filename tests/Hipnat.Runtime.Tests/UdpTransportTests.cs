using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Hipnat.Core.Transport;
using Hipnat.Runtime.Tests.Support;
using Hipnat.Runtime.Transports;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hipnat.Runtime.Tests;

/// <summary>The UDP transport against plain sockets on loopback.</summary>
public sealed class UdpTransportTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    [Fact]
    public void ASpecificAddressReceivesWithBothAddressesAndSendsFromItsPort()
    {
        int port = Ports.FreeUdpPort();
        var local = TransportAddress.Udp(IPAddress.Loopback, (ushort)port);
        using var inbox = new DriverInbox();
        using var transport = new UdpTransport([local], NullLogger.Instance);
        transport.Start(inbox);
        Assert.Equal([local], transport.LocalAddresses);

        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        peer.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var peerAddress = TransportAddress.Udp(IPAddress.Loopback, (ushort)((IPEndPoint)peer.LocalEndPoint!).Port);
        peer.SendTo("\0\0\0\0hello"u8, new IPEndPoint(IPAddress.Loopback, port));

        var d = Take(inbox);
        Assert.Equal(local, d.Local);
        Assert.Equal(peerAddress, d.Remote);
        Assert.Equal("\0\0\0\0hello"u8.ToArray(), d.Payload.ToArray());
        d.Release();

        var buffer = ArrayPool<byte>.Shared.Rent(16);
        "reply"u8.CopyTo(buffer);
        Assert.True(transport.Send(new Transmit(local, peerAddress, buffer, 5)));
        ArrayPool<byte>.Shared.Return(buffer);
        var received = new byte[64];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        peer.ReceiveTimeout = 5000;
        int n = peer.ReceiveFrom(received, ref from);
        Assert.Equal("reply"u8.ToArray(), received[..n]);
        Assert.Equal(port, ((IPEndPoint)from).Port);
        Assert.Equal(1, transport.Counters.Sent);
        Assert.Equal(1, transport.Counters.Received);
    }

    [Fact]
    public void AWildcardSocketLearnsWhichLocalAddressEachDatagramWasSentTo()
    {
        int port = Ports.FreeUdpPort();
        using var inbox = new DriverInbox();
        using var transport = new UdpTransport([TransportAddress.Udp(IPAddress.Any, (ushort)port)], NullLogger.Instance);
        transport.Start(inbox);
        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);

        foreach (var target in new[] { "127.0.0.1", "127.0.0.9" })
        {
            peer.SendTo("x"u8, new IPEndPoint(IPAddress.Parse(target), port));
            var d = Take(inbox);
            Assert.Equal(TransportAddress.Udp(IPAddress.Parse(target), (ushort)port), d.Local);
            d.Release();
        }
    }

    [Fact]
    public void IPv6AndIPv4WildcardsShareAPort()
    {
        Assert.SkipUnless(Socket.OSSupportsIPv6, "IPv6 is not available on this host");
        int port = Ports.FreeUdpPort();
        using var inbox = new DriverInbox();
        using var transport = new UdpTransport(
            [TransportAddress.Udp(IPAddress.Any, (ushort)port), TransportAddress.Udp(IPAddress.IPv6Any, (ushort)port)],
            NullLogger.Instance);
        transport.Start(inbox);
        using var peer6 = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp);
        peer6.SendTo("six"u8, new IPEndPoint(IPAddress.IPv6Loopback, port));
        var d = Take(inbox);
        Assert.Equal(TransportAddress.Udp(IPAddress.IPv6Loopback, (ushort)port), d.Local);
        Assert.Equal(IPAddress.IPv6Loopback, d.Remote.Address);
        d.Release();
    }

    [Fact]
    public void APortInUseIsReportedWithAFix()
    {
        using var holder = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        holder.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var taken = TransportAddress.Udp(IPAddress.Loopback, (ushort)((IPEndPoint)holder.LocalEndPoint!).Port);
        var e = Assert.Throws<TransportException>(() => new UdpTransport([taken], NullLogger.Instance));
        Assert.Equal($"cannot listen on {taken}: the port is already in use; stop the other process or choose another --listen port", e.Message);

        var foreign = TransportAddress.Udp(IPAddress.Parse("192.0.2.123"), 10500);
        var e2 = Assert.Throws<TransportException>(() => new UdpTransport([foreign], NullLogger.Instance));
        Assert.Contains("the address is not assigned to this host", e2.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnOptionalAddressThatFailsIsSkipped()
    {
        int port = Ports.FreeUdpPort();
        var good = TransportAddress.Udp(IPAddress.Loopback, (ushort)port);
        var foreign = TransportAddress.Udp(IPAddress.Parse("192.0.2.123"), 10500);
        using var transport = new UdpTransport([good, foreign], NullLogger.Instance, new HashSet<TransportAddress> { foreign });
        Assert.Equal([good], transport.LocalAddresses);
    }

    [Fact]
    public void DisposeStopsTheReceiveThreadPromptly()
    {
        using var inbox = new DriverInbox();
        var transport = new UdpTransport([TransportAddress.Udp(IPAddress.Loopback, (ushort)Ports.FreeUdpPort())], NullLogger.Instance);
        transport.Start(inbox);
        Thread.Sleep(50);
        var started = System.Diagnostics.Stopwatch.StartNew();
        transport.Dispose();
        Assert.True(started.Elapsed < TimeSpan.FromMilliseconds(900), $"dispose took {started.Elapsed}");
    }

    [Fact]
    public void AFullQueueDropsAndCountsInsteadOfBlocking()
    {
        int port = Ports.FreeUdpPort();
        using var inbox = new DriverInbox(capacity: 4);
        using var transport = new UdpTransport([TransportAddress.Udp(IPAddress.Loopback, (ushort)port)], NullLogger.Instance);
        transport.Start(inbox);
        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        var target = new IPEndPoint(IPAddress.Loopback, port);
        for (int i = 0; i < 20; i++)
        {
            peer.SendTo("x"u8, target);
        }

        var deadline = DateTime.UtcNow + Wait;
        while (transport.Counters.Received < 20 && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(5);
        }

        Assert.Equal(20, transport.Counters.Received);
        Assert.Equal(16, inbox.Dropped);
        int queued = 0;
        while (inbox.TryTakeDatagram(out var d))
        {
            d.Release();
            queued++;
        }

        Assert.Equal(4, queued);
    }

    [Fact]
    public void RelayedPortsDeliverWithTheirOwnAddressSendFromItAndCloseCleanly()
    {
        var (port, relayedPort) = Ports.TwoFreeUdpPorts();
        var main = TransportAddress.Udp(IPAddress.Loopback, (ushort)port);
        var relayed = TransportAddress.Udp(IPAddress.Loopback, (ushort)relayedPort);
        using var inbox = new DriverInbox();
        using var transport = new UdpTransport([main], NullLogger.Instance);
        transport.Start(inbox);
        Assert.True(transport.OpenRelayedPort(relayed, out var error), error);
        Assert.True(transport.OpenRelayedPort(relayed, out _)); // idempotent
        Assert.Equal(1, transport.RelayedPortCount);
        Assert.Equal([main], transport.LocalAddresses); // not a listen address

        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        peer.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        peer.ReceiveTimeout = 5000;
        var peerAddress = TransportAddress.Udp(IPAddress.Loopback, (ushort)((IPEndPoint)peer.LocalEndPoint!).Port);
        peer.SendTo(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 }, new IPEndPoint(IPAddress.Loopback, relayedPort));
        var d = Take(inbox);
        Assert.Equal(relayed, d.Local);
        Assert.Equal(peerAddress, d.Remote);
        Assert.Equal(8, d.Length);
        d.Release();

        // A transmit from the relayed address leaves from the relayed port; one from the main address from the main port.
        var buffer = new byte[] { 9, 9, 9, 9 };
        Assert.True(transport.Send(new Transmit(relayed, peerAddress, buffer, 4)));
        Assert.True(transport.Send(new Transmit(main, peerAddress, buffer, 4)));
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        peer.ReceiveFrom(new byte[16], ref from);
        Assert.Equal(relayedPort, ((IPEndPoint)from).Port);
        peer.ReceiveFrom(new byte[16], ref from);
        Assert.Equal(port, ((IPEndPoint)from).Port);

        // A port held by someone else cannot be opened, with the reason.
        using var holder = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        holder.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var taken = TransportAddress.Udp(IPAddress.Loopback, (ushort)((IPEndPoint)holder.LocalEndPoint!).Port);
        Assert.False(transport.OpenRelayedPort(taken, out error));
        Assert.Contains("the port is already in use", error, StringComparison.Ordinal);

        transport.CloseRelayedPort(relayed);
        Assert.Equal(0, transport.RelayedPortCount);
        using var rebind = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        rebind.Bind(new IPEndPoint(IPAddress.Loopback, relayedPort));
    }

    internal static ReceivedDatagram Take(DriverInbox inbox)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (DateTime.UtcNow < deadline)
        {
            if (inbox.TryTakeDatagram(out var d))
            {
                return d;
            }

            inbox.ResetSignal();
            inbox.Wait(TimeSpan.FromMilliseconds(50));
        }

        throw new TimeoutException("no datagram arrived");
    }
}
