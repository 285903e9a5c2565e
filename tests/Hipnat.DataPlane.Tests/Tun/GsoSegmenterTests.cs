using System.Buffers.Binary;
using FsCheck.Xunit;
using Hipnat.DataPlane.Tun;
using static Hipnat.DataPlane.Tests.Tun.OffloadPackets;

namespace Hipnat.DataPlane.Tests.Tun;

/// <summary>Cutting TUN super-segments (virtio_net_hdr GSO) into packets that fit the tunnel.</summary>
public class GsoSegmenterTests
{
    private static VirtioNetHeader TsoHeader(bool ipv6, int gsoSize, byte[] packet, bool cwr = false) =>
        new(VirtioNetHeader.FlagNeedsCsum, (byte)((ipv6 ? VirtioNetHeader.GsoTcpV6 : VirtioNetHeader.GsoTcpV4) | (cwr ? VirtioNetHeader.GsoEcn : 0)),
            (ushort)(IpHeaderLength(packet) + (packet[IpHeaderLength(packet) + 12] >> 4) * 4), (ushort)gsoSize, (ushort)IpHeaderLength(packet), 16);

    private static List<byte[]> Split(byte[] packet, VirtioNetHeader header, int max)
    {
        Assert.True(GsoSegmenter.TryPlan(packet, header, max, out var plan));
        var segments = new List<byte[]>();
        var buffer = new byte[70000];
        for (int i = 0; i < plan.Count; i++)
        {
            int n = GsoSegmenter.WriteSegment(packet, plan, i, buffer);
            Assert.Equal(plan.SegmentLength(i), n);
            segments.Add(buffer[..n]);
        }

        return segments;
    }

    [Theory]
    [InlineData(false, 5000, 1400)]
    [InlineData(true, 5000, 1400)]
    [InlineData(false, 4200, 1400)] // a multiple of the segment size
    [InlineData(true, 1, 1400)]
    [InlineData(false, 65000, 1448)]
    public void Tcp_super_segment_becomes_segments_with_their_own_lengths_sequence_numbers_and_checksums(bool ipv6, int payloadLength, int mss)
    {
        var payload = RandomBytes(payloadLength, payloadLength);
        var options = Timestamps;
        int headers = (ipv6 ? 40 : 20) + 20 + options.Length;
        if (headers + payloadLength > 65535)
        {
            payload = payload[..(65535 - headers)];
        }

        var super = Tcp(ipv6, payload, sequence: 0xFFFF_F000, flags: Ack | Psh | Fin, options: options, id: 0xFFFE, partial: true);
        var segments = Split(super, TsoHeader(ipv6, mss, super), 65535);
        Assert.Equal((payload.Length + mss - 1) / mss, segments.Count);
        int offset = 0;
        for (int i = 0; i < segments.Count; i++)
        {
            var s = segments[i];
            int ip = ipv6 ? 40 : 20;
            bool last = i == segments.Count - 1;
            int chunk = Math.Min(mss, payload.Length - offset);
            Assert.Equal(headers + chunk, s.Length);
            if (ipv6)
            {
                Assert.Equal(s.Length - 40, BinaryPrimitives.ReadUInt16BigEndian(s.AsSpan(4)));
            }
            else
            {
                Assert.Equal(s.Length, BinaryPrimitives.ReadUInt16BigEndian(s.AsSpan(2)));
                Assert.Equal((ushort)(0xFFFE + i), BinaryPrimitives.ReadUInt16BigEndian(s.AsSpan(4)));
                Assert.True(Ipv4HeaderValid(s), $"segment {i}: IPv4 header checksum");
            }

            Assert.Equal(unchecked(0xFFFF_F000u + (uint)offset), BinaryPrimitives.ReadUInt32BigEndian(s.AsSpan(ip + 4)));
            Assert.Equal(last ? Ack | Psh | Fin : Ack, s[ip + 13]);
            Assert.Equal(options, s[(ip + 20)..(ip + 20 + options.Length)]);
            Assert.True(TransportValid(s), $"segment {i}: TCP checksum");
            Assert.Equal(payload[offset..(offset + chunk)], s[headers..]);
            offset += chunk;
        }

        Assert.Equal(payload.Length, offset);
    }

    [Fact]
    public void Segments_are_cut_to_the_tunnel_mtu_whatever_gso_size_claims()
    {
        var super = Tcp(false, RandomBytes(20000, 1), partial: true);
        var segments = Split(super, TsoHeader(false, 9000, super), max: 1400);
        Assert.All(segments, s => Assert.True(s.Length <= 1400));
        Assert.Equal(1400, segments[0].Length);
        Assert.Equal((int)Math.Ceiling(20000 / 1360.0), segments.Count);
        Assert.All(segments, s => Assert.True(TransportValid(s)));
    }

    [Fact]
    public void Cwr_stays_on_the_first_segment_only()
    {
        var super = Tcp(true, RandomBytes(3000, 2), flags: Ack | Cwr, partial: true);
        var segments = Split(super, TsoHeader(true, 1000, super, cwr: true), 65535);
        Assert.Equal(Ack | Cwr, segments[0][53]);
        Assert.Equal(Ack, segments[1][53]);
        Assert.Equal(Ack, segments[2][53]);
    }

    [Fact]
    public void Ipv4_options_are_copied_into_every_segment()
    {
        byte[] ipOptions = [0x94, 0x04, 0, 0]; // router alert
        var super = Tcp(false, RandomBytes(2500, 3), options: Timestamps, ipv4Options: ipOptions, partial: true);
        var segments = Split(super, TsoHeader(false, 1000, super), 65535);
        Assert.Equal(3, segments.Count);
        foreach (var s in segments)
        {
            Assert.Equal(0x46, s[0]);
            Assert.Equal(ipOptions, s[20..24]);
            Assert.True(Ipv4HeaderValid(s));
            Assert.True(TransportValid(s));
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Udp_super_datagram_becomes_datagrams_of_gso_size(bool ipv6)
    {
        var payload = RandomBytes(1200 * 5 + 300, 4);
        var super = Udp(ipv6, payload, partial: true);
        var header = new VirtioNetHeader(VirtioNetHeader.FlagNeedsCsum, VirtioNetHeader.GsoUdpL4, 0, 1200, (ushort)(ipv6 ? 40 : 20), 6);
        var segments = Split(super, header, 1400);
        Assert.Equal(6, segments.Count);
        int ip = ipv6 ? 40 : 20;
        for (int i = 0; i < 6; i++)
        {
            var s = segments[i];
            int chunk = i < 5 ? 1200 : 300;
            Assert.Equal(8 + chunk, BinaryPrimitives.ReadUInt16BigEndian(s.AsSpan(ip + 4)));
            Assert.True(TransportValid(s), $"datagram {i}: UDP checksum");
            Assert.Equal(payload[(i * 1200)..(i * 1200 + chunk)], s[(ip + 8)..]);
        }
    }

    [Theory]
    [InlineData(false, 6)]
    [InlineData(true, 6)]
    [InlineData(false, 17)]
    [InlineData(true, 17)]
    public void A_partial_checksum_is_completed(bool ipv6, byte protocol)
    {
        var payload = RandomBytes(777, 5);
        var packet = protocol == 6 ? Tcp(ipv6, payload, partial: true) : Udp(ipv6, payload, partial: true);
        Assert.False(TransportValid(packet));
        int ip = ipv6 ? 40 : 20;
        var header = new VirtioNetHeader(VirtioNetHeader.FlagNeedsCsum, 0, 0, 0, (ushort)ip, (ushort)(protocol == 6 ? 16 : 6));
        Assert.True(GsoSegmenter.TryCompleteChecksum(packet, header));
        Assert.True(TransportValid(packet));
        var expected = protocol == 6 ? Tcp(ipv6, payload) : Udp(ipv6, payload);
        Assert.Equal(expected, packet);
    }

    [Fact]
    public void Lying_headers_are_refused()
    {
        var super = Tcp(false, RandomBytes(3000, 6), partial: true);
        var good = TsoHeader(false, 1000, super);
        Assert.False(GsoSegmenter.TryPlan(super, good with { GsoSize = 0 }, 1400, out _));
        Assert.False(GsoSegmenter.TryPlan(super, good with { GsoType = VirtioNetHeader.GsoTcpV6 }, 1400, out _));
        Assert.False(GsoSegmenter.TryPlan(super, good with { GsoType = VirtioNetHeader.GsoUdpL4 }, 1400, out _));
        Assert.False(GsoSegmenter.TryPlan(super, good with { GsoType = 9 }, 1400, out _));
        Assert.False(GsoSegmenter.TryPlan(super, good, maxSegmentLength: 40, out _));

        // hdr_len is not believed: the headers are measured.
        Assert.True(GsoSegmenter.TryPlan(super, good with { HeaderLength = 60000 }, 1400, out var plan));
        Assert.Equal(40, plan.HeaderLength);

        // A TCP data offset beyond the packet, or below 5 words.
        var bad = (byte[])super.Clone();
        bad[32] = 0xF0;
        Assert.False(GsoSegmenter.TryPlan(bad.AsSpan(0, 50), good, 1400, out _));
        bad[32] = 0x40;
        Assert.False(GsoSegmenter.TryPlan(bad, good, 1400, out _));

        // A fragment, an IHL beyond the packet, a truncated packet.
        bad = (byte[])super.Clone();
        bad[6] = 0x20;
        Assert.False(GsoSegmenter.TryPlan(bad, good, 1400, out _));
        bad = (byte[])super.Clone();
        bad[0] = 0x4F;
        Assert.False(GsoSegmenter.TryPlan(bad.AsSpan(0, 50), good, 1400, out _));
        Assert.False(GsoSegmenter.TryPlan(super.AsSpan(0, 30), good, 1400, out _));

        // Checksum offsets outside the packet.
        var plain = Tcp(true, RandomBytes(100, 7), partial: true);
        var csum = new VirtioNetHeader(VirtioNetHeader.FlagNeedsCsum, 0, 0, 0, 40, 16);
        Assert.False(GsoSegmenter.TryCompleteChecksum(plain, csum with { CsumStart = 60000 }));
        Assert.False(GsoSegmenter.TryCompleteChecksum(plain, csum with { CsumOffset = 60000 }));
        Assert.False(GsoSegmenter.TryCompleteChecksum(plain, csum with { CsumStart = (ushort)(plain.Length - 1), CsumOffset = 0 }));
    }

    [Fact]
    public void Write_segment_refuses_a_short_destination_and_a_foreign_index()
    {
        var super = Tcp(false, RandomBytes(3000, 8), partial: true);
        Assert.True(GsoSegmenter.TryPlan(super, TsoHeader(false, 1000, super), 1400, out var plan));
        Assert.Equal(0, GsoSegmenter.WriteSegment(super, plan, 0, new byte[100]));
        Assert.Equal(0, GsoSegmenter.WriteSegment(super, plan, 3, new byte[2000]));
        Assert.Equal(0, GsoSegmenter.WriteSegment(super, plan, -1, new byte[2000]));
        Assert.Equal(0, GsoSegmenter.WriteSegment(super.AsSpan(0, 2000), plan, 0, new byte[2000]));
    }

    /// <summary>Whatever the header and bytes, nothing throws and every TCP segment fits.</summary>
    [Property(MaxTest = 300)]
    public void Random_headers_and_packets_never_crash(byte flags, byte gsoType, ushort hdrLen, ushort gsoSize, ushort csumStart, ushort csumOffset, int seed, ushort lengthSeed)
    {
        var rnd = new Random(seed);
        byte[] packet;
        if (rnd.Next(3) == 0)
        {
            packet = RandomBytes(lengthSeed % 3000, seed);
        }
        else
        {
            packet = Tcp(rnd.Next(2) == 0, RandomBytes(lengthSeed % 6000, seed), partial: true);
            for (int i = rnd.Next(4); i > 0; i--)
            {
                packet[rnd.Next(Math.Min(packet.Length, 80))] = (byte)rnd.Next(256);
            }
        }

        var header = new VirtioNetHeader(flags, gsoType, hdrLen, gsoSize, csumStart, csumOffset);
        _ = GsoSegmenter.TryCompleteChecksum((byte[])packet.Clone(), header);
        if (GsoSegmenter.TryPlan(packet, header, 1400, out var plan))
        {
            var buffer = new byte[70000];
            for (int i = 0; i < Math.Min(plan.Count, 200); i++)
            {
                int n = GsoSegmenter.WriteSegment(packet, plan, i, buffer);
                Assert.Equal(plan.SegmentLength(i), n);
                if (plan.Protocol == 6)
                {
                    Assert.True(n <= 1400);
                }
            }
        }
    }
}
