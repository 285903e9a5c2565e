using System.Buffers.Binary;
using FsCheck.Xunit;
using Hipnat.DataPlane.Beet;
using Hipnat.DataPlane.Esp;
using Hipnat.DataPlane.Tests.Esp;
using Hipnat.Wire;

namespace Hipnat.DataPlane.Tests.Beet;

public class BeetPacketTests
{
    private static readonly Hit LocalHit = Hit.Parse("2001:2a:1111:2222:3333:4444:5555:6666");
    private static readonly Hit PeerHit = Hit.Parse("2001:2b:aaaa:bbbb:cccc:dddd:eeee:ffff");
    private static readonly uint LocalLsi = 0xC613_0001; // 198.19.0.1
    private static readonly uint PeerLsi = 0xC613_0002;  // 198.19.0.2

    private static byte[] Bytes(Hit h) => h.ToArray();

    private static byte[] Bytes(uint lsi)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, lsi);
        return b;
    }

    private static byte[] Udp(int dataLength, byte[] pseudoSrc, byte[] pseudoDst, bool v6, int seed = 1)
    {
        var rnd = new Random(seed);
        var segment = new byte[8 + dataLength];
        BinaryPrimitives.WriteUInt16BigEndian(segment, 40000);
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(2), 5353);
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(4), (ushort)segment.Length);
        rnd.NextBytes(segment.AsSpan(8));
        byte[] pseudo = v6
            ? NaiveChecksum.Ipv6Pseudo(pseudoSrc, pseudoDst, segment.Length, 17)
            : NaiveChecksum.Ipv4Pseudo(pseudoSrc, pseudoDst, segment.Length, 17);
        ushort c = NaiveChecksum.Of(pseudo.Concat(segment));
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(6), c == 0 ? (ushort)0xFFFF : c);
        return segment;
    }

    private static byte[] Tcp(int dataLength, byte[] pseudoSrc, byte[] pseudoDst, bool v6, int seed = 2)
    {
        var rnd = new Random(seed);
        var segment = new byte[20 + dataLength];
        rnd.NextBytes(segment);
        segment[12] = 0x50; // data offset 5
        segment[16] = 0;
        segment[17] = 0;
        byte[] pseudo = v6
            ? NaiveChecksum.Ipv6Pseudo(pseudoSrc, pseudoDst, segment.Length, 6)
            : NaiveChecksum.Ipv4Pseudo(pseudoSrc, pseudoDst, segment.Length, 6);
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(16), NaiveChecksum.Of(pseudo.Concat(segment)));
        return segment;
    }

    private static byte[] Ipv6Packet(Hit src, Hit dst, byte nextHeader, byte[] payload, byte hopLimit = 63)
    {
        var packet = new byte[40 + payload.Length];
        packet[0] = 0x6A; // version 6, traffic class 0xA0
        packet[1] = 0x01; // flow label non-zero
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), (ushort)payload.Length);
        packet[6] = nextHeader;
        packet[7] = hopLimit;
        src.WriteTo(packet.AsSpan(8));
        dst.WriteTo(packet.AsSpan(24));
        payload.CopyTo(packet, 40);
        return packet;
    }

    private static byte[] Ipv4Packet(uint src, uint dst, byte protocol, byte[] payload, bool df = true, int optionWords = 0, ushort fragment = 0)
    {
        int ihl = 5 + optionWords;
        var packet = new byte[(ihl * 4) + payload.Length];
        packet[0] = (byte)(0x40 | ihl);
        packet[1] = 0x10;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), 0x1234);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(6), (ushort)((df ? 0x4000 : 0) | fragment));
        packet[8] = 61;
        packet[9] = protocol;
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(12), src);
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(16), dst);
        for (int i = 0; i < optionWords * 4; i++)
        {
            packet[20 + i] = 1; // NOP options
        }

        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(10), NaiveChecksum.Of(packet.Take(ihl * 4)));
        payload.CopyTo(packet, ihl * 4);
        return packet;
    }

    [Fact]
    public void Parses_an_ipv6_packet_from_tun()
    {
        byte[] udp = Udp(100, Bytes(LocalHit), Bytes(PeerHit), v6: true);
        byte[] packet = Ipv6Packet(LocalHit, PeerHit, 17, udp);
        Assert.True(BeetPacket.TryParse(packet, out var p));
        Assert.True(p.IsIpv6);
        Assert.Equal(17, p.Protocol);
        Assert.Equal(LocalHit, p.SourceHit);
        Assert.Equal(PeerHit, p.DestinationHit);
        Assert.Equal(40, p.PayloadOffset);
        Assert.Equal(udp, p.Payload(packet).ToArray());
        Assert.Equal(63, p.HopLimit);
        Assert.Equal(0xA0, p.TrafficClass);
    }

    [Fact]
    public void Parses_an_ipv4_packet_and_reports_options_and_fragments()
    {
        byte[] udp = Udp(30, Bytes(LocalLsi), Bytes(PeerLsi), v6: false);
        byte[] withOptions = Ipv4Packet(LocalLsi, PeerLsi, 17, udp, optionWords: 2);
        Assert.True(BeetPacket.TryParse(withOptions, out var p));
        Assert.Equal(4, p.Version);
        Assert.Equal(28, p.PayloadOffset);
        Assert.Equal(udp, p.Payload(withOptions).ToArray());
        Assert.Equal(LocalLsi, p.SourceLsi);
        Assert.Equal(PeerLsi, p.DestinationLsi);
        Assert.True(p.HadOptions);
        Assert.True(p.DontFragment);
        Assert.False(p.IsFragment);
        Assert.Equal(61, p.HopLimit);
        Assert.Equal(0x10, p.TrafficClass);

        Assert.True(BeetPacket.TryParse(Ipv4Packet(LocalLsi, PeerLsi, 17, udp, df: false, fragment: 0x2000), out var mf));
        Assert.True(mf.IsFragment);
        Assert.True(BeetPacket.TryParse(Ipv4Packet(LocalLsi, PeerLsi, 17, udp, df: false, fragment: 0x0010), out var offset));
        Assert.True(offset.IsFragment);
    }

    [Fact]
    public void Malformed_headers_are_refused()
    {
        byte[] good = Ipv4Packet(LocalLsi, PeerLsi, 17, new byte[10]);
        byte[] shortTotal = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(shortTotal.AsSpan(2), 19);
        byte[] longTotal = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(longTotal.AsSpan(2), (ushort)(good.Length + 1));
        byte[] smallIhl = (byte[])good.Clone();
        smallIhl[0] = 0x44;
        byte[] v6 = Ipv6Packet(LocalHit, PeerHit, 17, new byte[10]);
        byte[] v6Long = (byte[])v6.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(v6Long.AsSpan(4), 11);
        byte[] jumbo = (byte[])v6.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(jumbo.AsSpan(4), 0);

        foreach (var bad in new[] { shortTotal, longTotal, smallIhl, v6Long, jumbo, good[..19], v6[..39], [], [0x50, 0, 0, 0] })
        {
            Assert.False(BeetPacket.TryParse(bad, out _));
        }
    }

    [Property(MaxTest = 500)]
    public void Parse_never_throws(byte[] data)
    {
        data ??= [];
        if (BeetPacket.TryParse(data, out var p))
        {
            Assert.True(p.PayloadOffset + p.PayloadLength <= data.Length);
        }

        BeetPacket.TryWriteTooBig(data, 100, new byte[2000], out _);
    }

    [Theory]
    [MemberData(nameof(TestSas.Names), MemberType = typeof(TestSas))]
    public void Ipv6_hit_packet_survives_beet_output_esp_and_input_with_a_valid_checksum(string transform)
    {
        using var sas = new TestSas(TestSas.ByName(transform));
        byte[] udp = Udp(321, Bytes(LocalHit), Bytes(PeerHit), v6: true);
        byte[] fromTun = Ipv6Packet(LocalHit, PeerHit, 17, udp);

        // Output (RFC 7402 B.1.5): parse, drop the header, seal the payload with Next Header = protocol.
        Assert.True(BeetPacket.TryParse(fromTun, out var inner));
        byte[] esp = sas.Seal(inner.Payload(fromTun), inner.Protocol);

        // Input (B.1.6): open into a buffer that leaves room for the new header, then write it in front.
        var buffer = new byte[2048];
        Assert.True(sas.Inbound.TryOpen(esp, buffer.AsSpan(BeetPacket.Ipv6HeaderLength), out int length, out byte nh, out _));
        int total = BeetPacket.WriteIpv6Header(buffer, LocalHit, PeerHit, nh, length);
        byte[] rebuilt = buffer[..total];

        Assert.Equal(6, rebuilt[0] >> 4);
        Assert.Equal(udp.Length, BinaryPrimitives.ReadUInt16BigEndian(rebuilt.AsSpan(4)));
        Assert.Equal(17, rebuilt[6]);
        Assert.Equal(64, rebuilt[7]);
        Assert.Equal(Bytes(LocalHit), rebuilt[8..24]);
        Assert.Equal(Bytes(PeerHit), rebuilt[24..40]);
        Assert.Equal(udp, rebuilt[40..]);
        Assert.True(NaiveChecksum.IsValid(NaiveChecksum.Ipv6Pseudo(Bytes(LocalHit), Bytes(PeerHit), udp.Length, 17), rebuilt[40..]));
    }

    [Theory]
    [InlineData((byte)17)]
    [InlineData((byte)6)]
    public void Ipv4_lsi_packet_is_sent_with_the_hit_checksum_and_rebuilt_with_the_lsi_checksum(byte protocol)
    {
        using var sas = new TestSas(EspTransform.Aes128Gcm);
        byte[] segment = protocol == 17
            ? Udp(201, Bytes(LocalLsi), Bytes(PeerLsi), v6: false)
            : Tcp(201, Bytes(LocalLsi), Bytes(PeerLsi), v6: false);
        byte[] fromTun = Ipv4Packet(LocalLsi, PeerLsi, protocol, segment);

        Assert.True(BeetPacket.TryParse(fromTun, out var inner));
        Span<byte> payload = inner.Payload(fromTun.AsSpan());
        Assert.True(BeetPacket.TryConvertChecksumToHits(payload, inner.Protocol, inner.SourceLsi, inner.DestinationLsi, LocalHit, PeerHit));

        // RFC 7401 §4.5.1: on the wire the checksum is the one over the IPv6 pseudo-header with the HITs.
        Assert.True(NaiveChecksum.IsValid(NaiveChecksum.Ipv6Pseudo(Bytes(LocalHit), Bytes(PeerHit), segment.Length, protocol), payload.ToArray()));
        byte[] esp = sas.Seal(payload, inner.Protocol);

        // The receiver delivers to an LSI socket: convert back and write an IPv4 header.
        var buffer = new byte[2048];
        Assert.True(sas.Inbound.TryOpen(esp, buffer.AsSpan(BeetPacket.Ipv4HeaderLength), out int length, out byte nh, out _));
        Span<byte> opened = buffer.AsSpan(BeetPacket.Ipv4HeaderLength, length);
        Assert.True(BeetPacket.TryConvertChecksumToLsis(opened, nh, LocalHit, PeerHit, LocalLsi, PeerLsi));
        int total = BeetPacket.WriteIpv4Header(buffer, LocalLsi, PeerLsi, nh, length, identification: 7);
        byte[] rebuilt = buffer[..total];

        Assert.Equal(0x45, rebuilt[0]);
        Assert.Equal(total, BinaryPrimitives.ReadUInt16BigEndian(rebuilt.AsSpan(2)));
        Assert.Equal(0x4000, BinaryPrimitives.ReadUInt16BigEndian(rebuilt.AsSpan(6)));
        Assert.Equal(protocol, rebuilt[9]);
        Assert.Equal(0, NaiveChecksum.Of(rebuilt.Take(20)));                            // header checksum valid
        Assert.Equal(Bytes(LocalLsi), rebuilt[12..16]);
        Assert.Equal(Bytes(PeerLsi), rebuilt[16..20]);
        Assert.True(NaiveChecksum.IsValid(NaiveChecksum.Ipv4Pseudo(Bytes(LocalLsi), Bytes(PeerLsi), segment.Length, protocol), rebuilt[20..]));
        Assert.Equal(segment, rebuilt[20..]);
    }

    [Fact]
    public void Ipv4_udp_without_checksum_gets_a_full_hit_checksum()
    {
        byte[] segment = Udp(51, Bytes(LocalLsi), Bytes(PeerLsi), v6: false);
        segment[6] = 0;
        segment[7] = 0;
        Assert.True(BeetPacket.TryConvertChecksumToHits(segment, 17, LocalLsi, PeerLsi, LocalHit, PeerHit));
        Assert.NotEqual(0, BinaryPrimitives.ReadUInt16BigEndian(segment.AsSpan(6)));
        Assert.True(NaiveChecksum.IsValid(NaiveChecksum.Ipv6Pseudo(Bytes(LocalHit), Bytes(PeerHit), segment.Length, 17), segment));
    }

    [Property(MaxTest = 300)]
    public void Checksum_conversion_is_valid_both_ways_for_any_addresses(ulong h1, ulong l1, ulong h2, ulong l2, uint lsi1, uint lsi2, int seed, bool tcp)
    {
        var src = new Hit(h1, l1);
        var dst = new Hit(h2, l2);
        byte protocol = tcp ? (byte)6 : (byte)17;
        int size = Math.Abs(seed % 200);
        byte[] segment = tcp ? Tcp(size, Bytes(lsi1), Bytes(lsi2), false, seed) : Udp(size, Bytes(lsi1), Bytes(lsi2), false, seed);
        Assert.True(BeetPacket.TryConvertChecksumToHits(segment, protocol, lsi1, lsi2, src, dst));
        Assert.True(NaiveChecksum.IsValid(NaiveChecksum.Ipv6Pseudo(Bytes(src), Bytes(dst), segment.Length, protocol), segment));
        Assert.True(BeetPacket.TryConvertChecksumToLsis(segment, protocol, src, dst, lsi1, lsi2));
        Assert.True(NaiveChecksum.IsValid(NaiveChecksum.Ipv4Pseudo(Bytes(lsi1), Bytes(lsi2), segment.Length, protocol), segment));
        if (!tcp)
        {
            Assert.NotEqual(0, BinaryPrimitives.ReadUInt16BigEndian(segment.AsSpan(6)));
        }
    }

    [Fact]
    public void Conversion_refuses_truncated_segments_and_leaves_other_protocols()
    {
        Assert.False(BeetPacket.TryConvertChecksumToHits(new byte[10], 6, LocalLsi, PeerLsi, LocalHit, PeerHit));
        Assert.False(BeetPacket.TryConvertChecksumToLsis(new byte[7], 17, LocalHit, PeerHit, LocalLsi, PeerLsi));
        byte[] icmp = [8, 0, 0x12, 0x34, 0, 1, 0, 1];
        Assert.True(BeetPacket.TryConvertChecksumToHits(icmp, 1, LocalLsi, PeerLsi, LocalHit, PeerHit));
        Assert.Equal(0x1234, BinaryPrimitives.ReadUInt16BigEndian(icmp.AsSpan(2)));
    }

    [Fact]
    public void Oversized_ipv6_packet_yields_an_icmpv6_packet_too_big()
    {
        byte[] udp = Udp(1452, Bytes(LocalHit), Bytes(PeerHit), v6: true);
        byte[] original = Ipv6Packet(LocalHit, PeerHit, 17, udp); // 1500 octets
        var output = new byte[2000];
        Assert.False(BeetPacket.TryWriteTooBig(original, 1500, output, out _));
        Assert.True(BeetPacket.TryWriteTooBig(original, 1400, output, out int length));

        byte[] icmp = output[..length];
        Assert.Equal(1280, length);                                  // RFC 4443 §3.2: no more than the minimum MTU
        Assert.Equal(58, icmp[6]);
        Assert.Equal(Bytes(PeerHit), icmp[8..24]);                   // from the destination...
        Assert.Equal(Bytes(LocalHit), icmp[24..40]);                 // ...back to the sender
        Assert.Equal(length - 40, BinaryPrimitives.ReadUInt16BigEndian(icmp.AsSpan(4)));
        Assert.Equal(2, icmp[40]);
        Assert.Equal(0, icmp[41]);
        Assert.Equal(1400u, BinaryPrimitives.ReadUInt32BigEndian(icmp.AsSpan(44)));
        Assert.Equal(original[..(1280 - 48)], icmp[48..]);
        Assert.True(NaiveChecksum.IsValid(NaiveChecksum.Ipv6Pseudo(Bytes(PeerHit), Bytes(LocalHit), length - 40, 58), icmp[40..]));

        // An MTU below the IPv6 minimum is reported as 1280.
        Assert.True(BeetPacket.TryWriteTooBig(original, 1000, output, out _));
        Assert.Equal(1280u, BinaryPrimitives.ReadUInt32BigEndian(output.AsSpan(44)));

        // Never an error about an ICMPv6 error.
        byte[] error = new byte[1460];
        error[0] = 1;
        Assert.False(BeetPacket.TryWriteTooBig(Ipv6Packet(LocalHit, PeerHit, 58, error), 1400, output, out _));
        Assert.False(BeetPacket.TryWriteTooBig(original, 1400, new byte[100], out _));
    }

    [Fact]
    public void Oversized_ipv4_packet_with_df_yields_fragmentation_needed()
    {
        byte[] udp = Udp(1472, Bytes(LocalLsi), Bytes(PeerLsi), v6: false);
        byte[] original = Ipv4Packet(LocalLsi, PeerLsi, 17, udp);
        var output = new byte[2000];
        Assert.True(BeetPacket.TryWriteTooBig(original, 1420, output, out int length));
        byte[] icmp = output[..length];
        Assert.Equal(576, length);
        Assert.Equal(0, NaiveChecksum.Of(icmp.Take(20)));
        Assert.Equal(1, icmp[9]);
        Assert.Equal(Bytes(PeerLsi), icmp[12..16]);
        Assert.Equal(Bytes(LocalLsi), icmp[16..20]);
        Assert.Equal(3, icmp[20]);
        Assert.Equal(4, icmp[21]);
        Assert.Equal(1420, BinaryPrimitives.ReadUInt16BigEndian(icmp.AsSpan(26)));   // RFC 1191 Next-Hop MTU
        Assert.Equal(0, NaiveChecksum.Of(icmp.Skip(20)));
        Assert.Equal(original[..(576 - 28)], icmp[28..]);

        Assert.False(BeetPacket.TryWriteTooBig(Ipv4Packet(LocalLsi, PeerLsi, 17, udp, df: false), 1420, output, out _));
        Assert.False(BeetPacket.TryWriteTooBig(original, 1500, output, out _));
        byte[] unreachable = new byte[1480];
        unreachable[0] = 3;
        Assert.False(BeetPacket.TryWriteTooBig(Ipv4Packet(LocalLsi, PeerLsi, 1, unreachable), 1420, output, out _));
    }

    [Fact]
    public void Lsi_numbers_convert_to_and_from_addresses()
    {
        Assert.Equal(LocalLsi, BeetPacket.ToLsi(System.Net.IPAddress.Parse("198.19.0.1")));
        Assert.Equal("198.19.0.2", BeetPacket.FromLsi(PeerLsi).ToString());
        Assert.Throws<ArgumentException>(() => BeetPacket.ToLsi(System.Net.IPAddress.IPv6Loopback));
    }
}
