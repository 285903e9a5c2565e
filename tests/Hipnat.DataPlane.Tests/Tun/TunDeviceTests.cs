using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Hipnat.DataPlane.Beet;
using Hipnat.DataPlane.Esp;
using Hipnat.DataPlane.Tun;
using Hipnat.Wire;

namespace Hipnat.DataPlane.Tests.Tun;

public class TunDeviceTests
{
    private static readonly Hit LocalHit = Hit.Parse("2001:2a::1");
    private static readonly Hit PeerHit = Hit.Parse("2001:2b::2");
    private static readonly IPAddress LocalLsi = IPAddress.Parse("198.19.0.1");
    private static readonly IPAddress PeerLsi = IPAddress.Parse("198.19.0.2");
    private static readonly IPNetwork LsiNetwork = IPNetwork.Parse("198.19.0.0/16");

    private static void RequireRoot()
    {
        if (!TunDevice.IsSupported)
        {
            Assert.Skip("needs root (CAP_NET_ADMIN) and /dev/net/tun; CI runs these as root");
        }

        if (!NetworkNamespace.IpAvailable())
        {
            Assert.Skip("needs iproute2 (ip) to create a network namespace");
        }
    }

    [Fact]
    public void Names_longer_than_ifnamsiz_are_refused()
    {
        Assert.Throws<ArgumentException>(() => TunDevice.Create("sixteen-chars-xx"));
        Assert.Throws<ArgumentException>(() => TunDevice.Create(""));
    }

    [Fact]
    public void Inner_mtu_accounts_for_outer_headers_esp_and_the_stripped_inner_header()
    {
        // IPv4 outer + UDP: 1500 - 28 = 1472 for ESP; GCM: 16 header/IV + 16 ICV → 1440 of ciphertext, minus the
        // 2-octet trailer = 1438 of payload, plus the 20-octet IPv4 header BEET does not send.
        Assert.Equal(1458, TunConfigurator.InnerMtu(EspTransform.Aes128Gcm, 1500, outerIpv6: false, udpEncapsulated: true));

        // CBC: 24 + 16 around a ciphertext that must be whole 16-octet blocks.
        int cbc = TunConfigurator.InnerMtu(EspTransform.Aes128CbcHmacSha256, 1500, outerIpv6: true, udpEncapsulated: true);
        Assert.True(EspTransform.Aes128CbcHmacSha256.GetSealedLength(cbc - 20) <= 1500 - 48);
        Assert.True(EspTransform.Aes128CbcHmacSha256.GetSealedLength(cbc - 20 + 16) > 1500 - 48);
    }

    [Fact]
    public void Tun_device_carries_packets_both_ways_in_a_network_namespace()
    {
        RequireRoot();
        using var ns = NetworkNamespace.Create();
        ns.Run(() =>
        {
            string name;
            using (var tun = TunDevice.Create("hipdp%d"))
            {
                name = tun.Name;
                Assert.StartsWith("hipdp", name, StringComparison.Ordinal);
                new TunConfigurator(ns.Name).ConfigureHipInterface(tun.Name, LocalHit, LocalLsi, 1400, LsiNetwork);
                var (_, link) = ns.IpIn("link", "show", "dev", tun.Name);
                Assert.Contains("mtu 1400", link, StringComparison.Ordinal);
                Assert.Contains("UP", link, StringComparison.Ordinal);

                using var watchdog = new Timer(_ => tun.Shutdown(), null, TimeSpan.FromSeconds(20), Timeout.InfiniteTimeSpan);
                ReadsWhatTheStackRoutesToLsisAndHits(tun);
                WritesReachLocalSockets(tun);
            }

            // Not persistent: the interface goes with the descriptor.
            Assert.NotEqual(0, ns.IpIn("link", "show", "dev", name).ExitCode);
        });
    }

    private static void ReadsWhatTheStackRoutesToLsisAndHits(TunDevice tun)
    {
        var buffer = new byte[2048];
        byte[] data4 = "hello over an LSI"u8.ToArray();
        using (var s4 = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            s4.SendTo(data4, new IPEndPoint(PeerLsi, 5000));
        }

        var v4 = ReadUntil(tun, buffer, p => p.Version == 4 && p.Protocol == BeetPacket.ProtocolUdp);
        Assert.Equal(BeetPacket.ToLsi(LocalLsi), v4.SourceLsi);
        Assert.Equal(BeetPacket.ToLsi(PeerLsi), v4.DestinationLsi);
        Assert.Equal(5000, BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(v4.PayloadOffset + 2)));
        Assert.Equal(data4, buffer.AsSpan(v4.PayloadOffset + 8, v4.PayloadLength - 8).ToArray());

        byte[] data6 = "hello over a HIT"u8.ToArray();
        using (var s6 = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp))
        {
            s6.SendTo(data6, new IPEndPoint(PeerHit.ToIPAddress(), 5001));
        }

        var v6 = ReadUntil(tun, buffer, p => p.IsIpv6 && p.Protocol == BeetPacket.ProtocolUdp);
        Assert.Equal(LocalHit, v6.SourceHit);   // the HIT on the interface is the source the stack picks
        Assert.Equal(PeerHit, v6.DestinationHit);
        Assert.Equal(data6, buffer.AsSpan(v6.PayloadOffset + 8, v6.PayloadLength - 8).ToArray());
    }

    private static InnerPacket ReadUntil(TunDevice tun, byte[] buffer, Func<InnerPacket, bool> wanted)
    {
        while (true)
        {
            Assert.True(tun.TryRead(buffer, out int length), "timed out waiting for a packet on the TUN device");
            if (BeetPacket.TryParse(buffer.AsSpan(0, length), out var p) && wanted(p))
            {
                return p;
            }
        }
    }

    private static void WritesReachLocalSockets(TunDevice tun)
    {
        using var r4 = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 10_000 };
        r4.Bind(new IPEndPoint(LocalLsi, 0));
        int port4 = ((IPEndPoint)r4.LocalEndPoint!).Port;
        byte[] data = "from the peer"u8.ToArray();
        Assert.True(tun.TryWrite(Ipv4Udp(BeetPacket.ToLsi(PeerLsi), BeetPacket.ToLsi(LocalLsi), 7000, port4, data)));
        var buffer = new byte[100];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        int n = r4.ReceiveFrom(buffer, ref from);
        Assert.Equal(data, buffer[..n]);
        Assert.Equal(new IPEndPoint(PeerLsi, 7000), from);

        using var r6 = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 10_000 };
        r6.Bind(new IPEndPoint(LocalHit.ToIPAddress(), 0));
        int port6 = ((IPEndPoint)r6.LocalEndPoint!).Port;
        Assert.True(tun.TryWrite(Ipv6Udp(PeerHit, LocalHit, 7001, port6, data)));
        from = new IPEndPoint(IPAddress.IPv6Any, 0);
        n = r6.ReceiveFrom(buffer, ref from);
        Assert.Equal(data, buffer[..n]);
        Assert.Equal(new IPEndPoint(PeerHit.ToIPAddress(), 7001), from);
    }

    private static byte[] Ipv4Udp(uint src, uint dst, int srcPort, int dstPort, byte[] data)
    {
        var packet = new byte[20 + 8 + data.Length];
        BeetPacket.WriteIpv4Header(packet, src, dst, BeetPacket.ProtocolUdp, 8 + data.Length);
        Span<byte> udp = packet.AsSpan(20);
        BinaryPrimitives.WriteUInt16BigEndian(udp, (ushort)srcPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], (ushort)dstPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)udp.Length);
        data.CopyTo(udp[8..]);
        return packet; // UDP checksum 0: none, allowed over IPv4 (RFC 768)
    }

    private static byte[] Ipv6Udp(Hit src, Hit dst, int srcPort, int dstPort, byte[] data)
    {
        var packet = new byte[40 + 8 + data.Length];
        BeetPacket.WriteIpv6Header(packet, src, dst, BeetPacket.ProtocolUdp, 8 + data.Length);
        Span<byte> udp = packet.AsSpan(40);
        BinaryPrimitives.WriteUInt16BigEndian(udp, (ushort)srcPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], (ushort)dstPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)udp.Length);
        data.CopyTo(udp[8..]);
        BeetPacket.WriteIpv6TransportChecksum(udp, BeetPacket.ProtocolUdp, src, dst);
        return packet;
    }

    [Fact]
    public void Shutdown_wakes_a_blocked_reader_and_later_calls_return_false()
    {
        RequireRoot();
        using var ns = NetworkNamespace.Create();
        ns.Run(() =>
        {
            using var tun = TunDevice.Create("hipdp0");
            new TunConfigurator(ns.Name).SetUp(tun.Name);
            bool? result = null;
            var reader = new Thread(() =>
            {
                var buffer = new byte[2048];
                while (tun.TryRead(buffer, out _))
                {
                    // the stack may send multicast listener reports and the like once the link is up
                }

                result = false;
            });
            reader.Start();
            Thread.Sleep(200);
            Assert.True(reader.IsAlive, "the reader should be waiting for a packet");
            tun.Shutdown();
            Assert.True(reader.Join(TimeSpan.FromSeconds(5)), "Shutdown did not wake the reader");
            Assert.False(result);
            Assert.False(tun.TryRead(new byte[100], out _));
            Assert.False(tun.TryWrite(new byte[40]));
            Assert.True(tun.IsShutdown);
        });
    }

    [Fact]
    public void Multi_queue_devices_attach_several_queues_to_one_interface()
    {
        RequireRoot();
        using var ns = NetworkNamespace.Create();
        ns.Run(() =>
        {
            using var q1 = TunDevice.Create("hipmq0", multiQueue: true);
            using var q2 = TunDevice.Create("hipmq0", multiQueue: true);
            Assert.Equal(q1.Name, q2.Name);
            Assert.Throws<IOException>(() => TunDevice.Create("hipmq0")); // single-queue attach to a multi-queue device
        });
    }
}
