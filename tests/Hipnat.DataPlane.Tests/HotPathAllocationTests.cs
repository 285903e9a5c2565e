using System.Buffers.Binary;
using Hipnat.DataPlane.Beet;
using Hipnat.DataPlane.Esp;
using Hipnat.Wire;

namespace Hipnat.DataPlane.Tests;

/// <summary>The per-packet paths besides seal/open (covered in EspSaTests) allocate nothing.</summary>
public class HotPathAllocationTests
{
    [Fact]
    public void Lookups_beet_processing_and_the_replay_window_do_not_allocate()
    {
        var db = new SaDatabase();
        var hit = Hit.Parse("2001:2a::1");
        var peer = Hit.Parse("2001:2b::2");
        for (uint i = 0; i < 100; i++)
        {
            var h = new Hit(0x2001_0020_0000_0000UL, i + 10);
            db.Install(h, new EspSa(0x1000 + i, EspSaDirection.Outbound, EspTransform.Aes128Gcm, new byte[20], []),
                new EspSa(0x2000 + i, EspSaDirection.Inbound, EspTransform.Aes128Gcm, new byte[20], []));
        }

        var lookupHit = new Hit(0x2001_0020_0000_0000UL, 50);
        var packet = new byte[1500];
        int total = BeetPacket.WriteIpv4Header(packet, 0xC613_0001, 0xC613_0002, BeetPacket.ProtocolUdp, 1000);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(24), 1000);
        var window = new ReplayWindow();
        var too = new byte[1500];

        void Work(ulong i)
        {
            Assert.True(db.TryGetInbound(0x2010u, out EspSaPair _));
            Assert.True(db.TryGetOutbound(lookupHit, out _));
            Assert.True(BeetPacket.TryParse(packet.AsSpan(0, total), out var inner));
            BeetPacket.TryConvertChecksumToHits(inner.Payload(packet.AsSpan(0, total)), inner.Protocol, inner.SourceLsi, inner.DestinationLsi, hit, peer);
            BeetPacket.WriteIpv6Header(packet.AsSpan(0, 40), hit, peer, 17, 100);
            BeetPacket.WriteIpv4Header(packet, 0xC613_0001, 0xC613_0002, BeetPacket.ProtocolUdp, 1000);
            BeetPacket.TryWriteTooBig(packet.AsSpan(0, total), 576, too, out _);
            window.CheckAndUpdate(window.InferSequenceNumber((uint)i));
        }

        for (ulong i = 1; i < 100; i++)
        {
            Work(i);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (ulong i = 100; i < 5000; i++)
        {
            Work(i);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Segmentation_checksum_completion_and_coalescing_do_not_allocate()
    {
        var super = Tun.OffloadPackets.Tcp(false, new byte[30000], options: Tun.OffloadPackets.Timestamps, partial: true);
        var header = new Hipnat.DataPlane.Tun.VirtioNetHeader(
            Hipnat.DataPlane.Tun.VirtioNetHeader.FlagNeedsCsum, Hipnat.DataPlane.Tun.VirtioNetHeader.GsoTcpV4, 52, 1348, 20, 16);
        var plain = Tun.OffloadPackets.Tcp(true, new byte[500], partial: true);
        var completion = header with { GsoType = 0, CsumStart = 40 };
        var segments = new byte[30][];
        for (int i = 0; i < segments.Length; i++)
        {
            segments[i] = new byte[1400];
        }

        var coalescer = new Hipnat.DataPlane.Tun.TcpCoalescer();

        void Work()
        {
            Assert.True(Hipnat.DataPlane.Tun.GsoSegmenter.TryPlan(super, header, 1400, out var plan));
            for (int i = 0; i < plan.Count; i++)
            {
                int n = Hipnat.DataPlane.Tun.GsoSegmenter.WriteSegment(super, plan, i, segments[i]);
                Assert.True(i == 0 ? coalescer.TryStart(segments[i].AsSpan(0, n)) : coalescer.TryAppend(segments[i].AsSpan(0, n)));
            }

            Assert.True(coalescer.Complete().Length > 30000);
            Assert.True(Hipnat.DataPlane.Tun.GsoSegmenter.TryCompleteChecksum(plain, completion));
        }

        Work();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 200; i++)
        {
            Work();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
