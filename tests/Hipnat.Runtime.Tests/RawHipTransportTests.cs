using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Hipnat.Core.Transport;
using Hipnat.Runtime.Tests.Support;
using Hipnat.Runtime.Transports;
using Hipnat.Wire;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hipnat.Runtime.Tests;

/// <summary>The raw HIP transport (IP protocol 139) on loopback. Needs root; CI runs as root.</summary>
public sealed partial class RawHipTransportTests
{
    [Fact]
    public void PacketsArriveWithBothAddressesAndAVerifiedChecksum()
    {
        Assert.SkipUnless(NativeSignals.IsRoot, "raw sockets need root; CI runs as root");
        var (ipA, ipB) = Ports.LoopbackPair();
        using var inbox = new DriverInbox();
        using var a = new RawHipTransport([ipA], NullLogger.Instance);
        using var b = new RawHipTransport([ipB], NullLogger.Instance);
        b.Start(inbox);

        var packet = FakeHip(48);
        Send(a, TransportAddress.Raw(ipA), TransportAddress.Raw(ipB), packet);

        var d = UdpTransportTests.Take(inbox);
        Assert.Equal(TransportAddress.Raw(ipB), d.Local);
        Assert.Equal(TransportAddress.Raw(ipA), d.Remote);
        Assert.Equal(packet.Length, d.Length);
        Assert.True(HipChecksum.Verify(d.Payload, ipA, ipB));
        Assert.Equal(packet.AsSpan(6).ToArray(), d.Payload[6..].ToArray());
        Assert.NotEqual(0, d.Payload[4] | d.Payload[5]);
        d.Release();
        Assert.Equal(1, a.Counters.Sent);
    }

    [Fact]
    public void AWildcardSenderUsesTheRoutedSourceInTheChecksum()
    {
        Assert.SkipUnless(NativeSignals.IsRoot, "raw sockets need root; CI runs as root");
        var (_, ipB) = Ports.LoopbackPair();
        using var inbox = new DriverInbox();
        using var a = new RawHipTransport([IPAddress.Any], NullLogger.Instance);
        using var b = new RawHipTransport([ipB], NullLogger.Instance);
        b.Start(inbox);

        Send(a, TransportAddress.Raw(IPAddress.Any), TransportAddress.Raw(ipB), FakeHip(64));
        var d = UdpTransportTests.Take(inbox);
        Assert.True(HipChecksum.Verify(d.Payload, d.Remote.Address, ipB));
        Assert.Equal(0, b.Counters.BadChecksum);
        d.Release();
    }

    [Theory]
    [InlineData("::1")]
    [InlineData("::")]
    public void IPv6PacketsCarryTheIPv6PseudoHeaderChecksum(string bind)
    {
        Assert.SkipUnless(NativeSignals.IsRoot, "raw sockets need root; CI runs as root");
        Assert.SkipUnless(Socket.OSSupportsIPv6, "IPv6 is not available on this host");
        using var inbox = new DriverInbox();
        using var a = new RawHipTransport([IPAddress.IPv6Loopback], NullLogger.Instance);
        using var b = new RawHipTransport([IPAddress.Parse(bind)], NullLogger.Instance);
        b.Start(inbox);

        var packet = FakeHip(56);
        packet[8] = 0x5A; // recognisable among other tests' ::1 traffic
        packet[9] = (byte)bind.Length;
        Send(a, TransportAddress.Raw(IPAddress.IPv6Loopback), TransportAddress.Raw(IPAddress.IPv6Loopback), packet);

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (true)
        {
            var d = UdpTransportTests.Take(inbox);
            bool ours = d.Length == packet.Length && d.Payload[8] == 0x5A && d.Payload[9] == (byte)bind.Length;
            if (ours)
            {
                Assert.Equal(TransportAddress.Raw(IPAddress.IPv6Loopback), d.Local);
                Assert.Equal(TransportAddress.Raw(IPAddress.IPv6Loopback), d.Remote);
                Assert.True(HipChecksum.Verify(d.Payload, IPAddress.IPv6Loopback, IPAddress.IPv6Loopback));
                d.Release();
                break;
            }

            d.Release();
            Assert.True(DateTime.UtcNow < deadline, "our IPv6 packet did not arrive");
        }

        Assert.Equal(0, b.Counters.BadChecksum);
    }

    [Fact]
    public void ABadChecksumIsDroppedAndCounted()
    {
        Assert.SkipUnless(NativeSignals.IsRoot, "raw sockets need root; CI runs as root");
        var (ipA, ipB) = Ports.LoopbackPair();
        using var inbox = new DriverInbox();
        using var b = new RawHipTransport([ipB], NullLogger.Instance);
        b.Start(inbox);

        using var sender = OpenRaw();
        sender.Bind(new IPEndPoint(ipA, 0));
        var good = FakeHip(40);
        HipChecksum.Apply(good, ipA, ipB);
        var bad = (byte[])good.Clone();
        bad[4] ^= 0xFF;
        sender.SendTo(bad, new IPEndPoint(ipB, 0));
        sender.SendTo(good, new IPEndPoint(ipB, 0));

        var d = UdpTransportTests.Take(inbox);
        Assert.Equal(good, d.Payload.ToArray());
        d.Release();
        Assert.Equal(1, b.Counters.BadChecksum);
        Assert.False(inbox.TryTakeDatagram(out _));
    }

    [Fact]
    public void TheIPv4HeaderIsStripped()
    {
        byte[] datagram = [0x46, 0, 0, 32, 0, 0, 0, 0, 64, 139, 0, 0, 127, 0, 0, 1, 127, 0, 0, 2, 1, 2, 3, 4, .. new byte[8]];
        Assert.True(RawHipListener.TryParseIPv4(datagram, out int offset, out int length));
        Assert.Equal(24, offset);
        Assert.Equal(8, length);

        datagram[9] = 17; // not HIP
        Assert.False(RawHipListener.TryParseIPv4(datagram, out _, out _));
        Assert.False(RawHipListener.TryParseIPv4(datagram.AsSpan(0, 10), out _, out _));
    }

    private static void Send(RawHipTransport transport, TransportAddress local, TransportAddress remote, byte[] packet)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(packet.Length);
        packet.CopyTo(buffer, 0);
        Assert.True(transport.Send(new Transmit(local, remote, buffer, packet.Length)));
        ArrayPool<byte>.Shared.Return(buffer);
    }

    /// <summary>Bytes shaped like a HIP header (the transport does not parse beyond the checksum field).</summary>
    private static byte[] FakeHip(int length)
    {
        var p = new byte[length];
        new Random(length).NextBytes(p);
        p[0] = 59;
        p[1] = (byte)(length / 8 - 1);
        p[2] = 1;
        p[3] = 0x21;
        p[4] = 0;
        p[5] = 0;
        return p;
    }

    private static Socket OpenRaw()
    {
        int fd = CreateSocket(2, 3 | 0x80000, 139);
        Assert.True(fd >= 0, "socket(AF_INET, SOCK_RAW, 139) failed");
        return new Socket(new SafeSocketHandle(fd, ownsHandle: true));
    }

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    private static partial int CreateSocket(int domain, int type, int protocol);
}
