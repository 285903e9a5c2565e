using System.Net;
using System.Net.Sockets;
using Hipnat.DataPlane.Beet;
using Hipnat.DataPlane.Esp;
using Hipnat.DataPlane.Tun;
using Hipnat.Wire;

namespace Hipnat.DataPlane.Tests.Tun;

/// <summary>
/// Two network namespaces joined only by two TUN devices and an in-process BEET/ESP pump (what the daemon does,
/// minus the UDP hop): TCP between HITs and between LSIs must work, which means the kernel accepted every
/// rebuilt header and transport checksum.
/// </summary>
public class BeetTunnelTests
{
    private static readonly Hit HitA = Hit.Parse("2001:2a::a");
    private static readonly Hit HitB = Hit.Parse("2001:2b::b");
    private static readonly IPAddress LsiA = IPAddress.Parse("198.19.0.1");
    private static readonly IPAddress LsiB = IPAddress.Parse("198.19.0.2");
    private static readonly IPNetwork LsiNetwork = IPNetwork.Parse("198.19.0.0/16");

    [Theory]
    [InlineData("AES-128-GCM-16")]
    [InlineData("AES-128-CBC/HMAC-SHA-256-128")]
    public void Tcp_over_hits_and_lsis_crosses_the_beet_tunnel(string transformName)
    {
        if (!TunDevice.IsSupported || !NetworkNamespace.IpAvailable())
        {
            Assert.Skip("needs root (CAP_NET_ADMIN), /dev/net/tun and iproute2; CI runs these as root");
        }

        var transform = EspTransform.All.Single(t => t.Name == transformName);
        using var nsA = NetworkNamespace.Create();
        using var nsB = NetworkNamespace.Create();
        TunDevice? tunA = null;
        TunDevice? tunB = null;
        nsA.Run(() => tunA = TunDevice.Create("hipa0"));
        nsB.Run(() => tunB = TunDevice.Create("hipb0"));
        using var a2b = new Esp.TestSas(transform, spi: 0x0A0B_0001);
        using var b2a = new Esp.TestSas(transform, spi: 0x0B0A_0001);
        try
        {
            int mtu = TunConfigurator.InnerMtu(transform, 1500, outerIpv6: false, udpEncapsulated: true);
            new TunConfigurator(nsA.Name).ConfigureHipInterface(tunA!.Name, HitA, LsiA, mtu, LsiNetwork);
            new TunConfigurator(nsB.Name).ConfigureHipInterface(tunB!.Name, HitB, LsiB, mtu, LsiNetwork);

            var pumpAB = StartPump(tunA, tunB, HitA, HitB, BeetPacket.ToLsi(LsiA), BeetPacket.ToLsi(LsiB), a2b.Outbound, a2b.Inbound);
            var pumpBA = StartPump(tunB, tunA, HitB, HitA, BeetPacket.ToLsi(LsiB), BeetPacket.ToLsi(LsiA), b2a.Outbound, b2a.Inbound);

            byte[] data = new byte[200_000];
            new Random(5).NextBytes(data);
            foreach (var (server, family) in new[] { (HitB.ToIPAddress(), AddressFamily.InterNetworkV6), (LsiB, AddressFamily.InterNetwork) })
            {
                using var ready = new ManualResetEventSlim();
                int port = 0;
                var serverJoin = nsB.Start(() =>
                {
                    using var listener = new Socket(family, SocketType.Stream, ProtocolType.Tcp);
                    listener.Bind(new IPEndPoint(server, 0));
                    listener.Listen(1);
                    port = ((IPEndPoint)listener.LocalEndPoint!).Port;
                    ready.Set();
                    using var conn = listener.Accept();
                    conn.ReceiveTimeout = 20_000;
                    var buffer = new byte[65536];
                    int total = 0;
                    while (total < data.Length)
                    {
                        int n = conn.Receive(buffer);
                        Assert.True(n > 0, "connection closed early");
                        conn.Send(buffer.AsSpan(0, n)); // echo
                        total += n;
                    }
                });
                Assert.True(ready.Wait(TimeSpan.FromSeconds(20)));
                nsA.Run(() =>
                {
                    using var client = new Socket(family, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 20_000, SendTimeout = 20_000 };
                    client.Connect(new IPEndPoint(server, port));
                    var sender = Task.Run(() => client.Send(data));
                    var echoed = new byte[data.Length];
                    int got = 0;
                    while (got < data.Length)
                    {
                        int n = client.Receive(echoed.AsSpan(got));
                        Assert.True(n > 0, "connection closed early");
                        got += n;
                    }

                    sender.GetAwaiter().GetResult();
                    Assert.Equal(data, echoed);
                    var local = (IPEndPoint)client.LocalEndPoint!;
                    Assert.Equal(family == AddressFamily.InterNetwork ? LsiA : HitA.ToIPAddress(), local.Address);
                });
                serverJoin();
            }

            tunA.Shutdown();
            tunB.Shutdown();
            pumpAB();
            pumpBA();
            Assert.True(a2b.Inbound.Packets > 100);
            Assert.True(b2a.Inbound.Packets > 100);
            Assert.Equal(0UL, a2b.Inbound.DroppedPackets);
        }
        finally
        {
            tunA?.Dispose();
            tunB?.Dispose();
        }
    }

    /// <summary>
    /// The daemon's data path for one direction: TUN read, BEET output (LSI checksums to the HIT form), ESP seal,
    /// [network], ESP open, BEET input (HIT or LSI header by the protocol the sender used), TUN write.
    /// </summary>
    private static Action StartPump(TunDevice from, TunDevice to, Hit srcHit, Hit dstHit, uint srcLsi, uint dstLsi, EspSa outbound, EspSa inbound)
    {
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                var packet = new byte[2048];
                var wire = new byte[2048];
                var delivered = new byte[2048];
                while (from.TryRead(packet, out int length))
                {
                    if (!BeetPacket.TryParse(packet.AsSpan(0, length), out var inner) || inner.IsFragment)
                    {
                        continue;
                    }

                    bool v6 = inner.IsIpv6;
                    if (v6 ? inner.DestinationHit != dstHit : inner.DestinationLsi != dstLsi)
                    {
                        continue; // multicast listener reports and other non-HIP traffic
                    }

                    Span<byte> payload = inner.Payload(packet.AsSpan(0, length));
                    if (!v6 && !BeetPacket.TryConvertChecksumToHits(payload, inner.Protocol, srcLsi, dstLsi, srcHit, dstHit))
                    {
                        continue;
                    }

                    int espLength = outbound.Seal(payload, inner.Protocol, wire);

                    // Receiver side: decrypt behind room for the inner header, then rebuild it.
                    int headerRoom = v6 ? BeetPacket.Ipv6HeaderLength : BeetPacket.Ipv4HeaderLength;
                    if (!inbound.TryOpen(wire.AsSpan(0, espLength), delivered.AsSpan(headerRoom), out int opened, out byte nh, out var reason))
                    {
                        throw new InvalidOperationException($"ESP drop: {reason}");
                    }

                    int total;
                    if (v6)
                    {
                        total = BeetPacket.WriteIpv6Header(delivered, srcHit, dstHit, nh, opened);
                    }
                    else
                    {
                        BeetPacket.TryConvertChecksumToLsis(delivered.AsSpan(headerRoom, opened), nh, srcHit, dstHit, srcLsi, dstLsi);
                        total = BeetPacket.WriteIpv4Header(delivered, srcLsi, dstLsi, nh, opened);
                    }

                    to.TryWrite(delivered.AsSpan(0, total));
                }
            }
            catch (Exception e)
            {
                error = e;
            }
        })
        { IsBackground = true };
        thread.Start();
        return () =>
        {
            Assert.True(thread.Join(TimeSpan.FromSeconds(10)));
            if (error is not null)
            {
                throw new InvalidOperationException("pump failed", error);
            }
        };
    }
}
