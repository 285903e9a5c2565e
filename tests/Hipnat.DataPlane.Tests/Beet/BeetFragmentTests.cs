using System.Buffers.Binary;
using Hipnat.DataPlane.Beet;
using Hipnat.DataPlane.Esp;
using Hipnat.DataPlane.Tests.Esp;
using Hipnat.Wire;

namespace Hipnat.DataPlane.Tests.Beet;

/// <summary>
/// IPv4 fragments between LSIs: sealed with ESP Next Header 4 and their IPv4 header, rebuilt by the receiver with its
/// own LSIs for the SA and the sender's Identification, flags, offset, protocol, TTL and TOS, so its stack can
/// reassemble the datagram; the first fragment's transport checksum moves from the sender's LSI pseudo-header over
/// the HITs to the receiver's LSI pseudo-header.
/// </summary>
public class BeetFragmentTests
{
    private static readonly Hit SenderHit = Hit.Parse("2001:2a:1111:2222:3333:4444:5555:6666");
    private static readonly Hit ReceiverHit = Hit.Parse("2001:2b:aaaa:bbbb:cccc:dddd:eeee:ffff");

    // Each host numbers LSIs itself: the sender is 198.19.0.1 talking to 198.19.0.2; the receiver knows the sender as
    // 198.18.0.7 and is 198.18.0.1 itself.
    private const uint SenderLocalLsi = 0xC613_0001;
    private const uint SenderPeerLsi = 0xC613_0002;
    private const uint ReceiverPeerLsi = 0xC612_0007;
    private const uint ReceiverLocalLsi = 0xC612_0001;

    private const ushort Identification = 0xBEEF;
    private const byte Ttl = 61;
    private const byte Tos = 0x10;

    private static byte[] Bytes(uint lsi)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, lsi);
        return b;
    }

    /// <summary>A whole UDP or TCP segment with its checksum over the sender's LSI pseudo-header.</summary>
    private static byte[] Segment(byte protocol, int dataLength, bool zeroUdpChecksum = false)
    {
        int header = protocol == BeetPacket.ProtocolTcp ? 20 : 8;
        var segment = new byte[header + dataLength];
        new Random(dataLength).NextBytes(segment);
        if (protocol == BeetPacket.ProtocolTcp)
        {
            segment[12] = 0x50;
            segment[16] = 0;
            segment[17] = 0;
        }
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(4), (ushort)segment.Length);
            segment[6] = 0;
            segment[7] = 0;
        }

        if (protocol == BeetPacket.ProtocolUdp && zeroUdpChecksum)
        {
            return segment;
        }

        ushort c = NaiveChecksum.Of(NaiveChecksum.Ipv4Pseudo(Bytes(SenderLocalLsi), Bytes(SenderPeerLsi), segment.Length, protocol).Concat(segment));
        if (protocol == BeetPacket.ProtocolUdp && c == 0)
        {
            c = 0xFFFF;
        }

        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(protocol == BeetPacket.ProtocolTcp ? 16 : 6), c);
        return segment;
    }

    /// <summary>The fragments a local stack makes of <paramref name="segment"/> for an MTU: 8-octet aligned, DF clear.</summary>
    private static List<byte[]> Fragment(byte[] segment, byte protocol, int mtu, int optionWords = 0)
    {
        int ihl = 5 + optionWords;
        int chunk = (mtu - (ihl * 4)) / 8 * 8;
        var fragments = new List<byte[]>();
        for (int at = 0; at < segment.Length; at += chunk)
        {
            int n = Math.Min(chunk, segment.Length - at);
            bool more = at + n < segment.Length;
            var p = new byte[(ihl * 4) + n];
            p[0] = (byte)(0x40 | ihl);
            p[1] = Tos;
            BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), (ushort)p.Length);
            BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(4), Identification);
            BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(6), (ushort)((more ? 0x2000 : 0) | (at / 8)));
            p[8] = Ttl;
            p[9] = protocol;
            BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(12), SenderLocalLsi);
            BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(16), SenderPeerLsi);
            for (int i = 20; i < ihl * 4; i++)
            {
                p[i] = 1; // NOP
            }

            BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(10), NaiveChecksum.Of(p.Take(ihl * 4)));
            segment.AsSpan(at, n).CopyTo(p.AsSpan(ihl * 4));
            fragments.Add(p);
        }

        return fragments;
    }

    /// <summary>Sender: parse, prepare, seal. Receiver: open, rebuild. Returns the packet the receiver writes to its TUN device.</summary>
    private static byte[] Carry(TestSas sas, byte[] fromTun)
    {
        var packet = (byte[])fromTun.Clone();
        Assert.True(BeetPacket.TryParse(packet, out var inner));
        Assert.True(inner.IsFragment);
        Assert.True(BeetPacket.TryPrepareIpv4Fragment(packet, inner, SenderHit, ReceiverHit, out int offset, out int length));
        Assert.Equal(BeetPacket.Ipv4HeaderLength + inner.PayloadLength, length);
        byte[] esp = sas.Seal(packet.AsSpan(offset, length), BeetPacket.ProtocolIpv4);

        var (ok, opened, nextHeader, reason) = sas.Open(esp);
        Assert.True(ok, reason.ToString());
        Assert.Equal(BeetPacket.ProtocolIpv4, nextHeader);
        Assert.True(BeetPacket.TryRebuildIpv4Fragment(opened, SenderHit, ReceiverHit, ReceiverPeerLsi, ReceiverLocalLsi));
        return opened;
    }

    [Theory]
    [InlineData((byte)17, 0)]
    [InlineData((byte)6, 0)]
    [InlineData((byte)17, 2)]
    public void First_middle_and_last_fragments_keep_their_fields_and_reassemble_with_a_valid_checksum(byte protocol, int optionWords)
    {
        using var sas = new TestSas(EspTransform.Aes128Gcm);
        byte[] segment = Segment(protocol, 3000);
        var fragments = Fragment(segment, protocol, 1400, optionWords);
        Assert.Equal(3, fragments.Count);

        var rebuilt = fragments.Select(f => Carry(sas, f)).ToList();
        var reassembled = new byte[segment.Length];
        for (int i = 0; i < rebuilt.Count; i++)
        {
            byte[] sent = fragments[i];
            byte[] got = rebuilt[i];
            int sentHeader = (sent[0] & 0x0F) * 4;
            int dataLength = sent.Length - sentHeader;

            Assert.Equal(0x45, got[0]);                                                           // version 4, no options
            Assert.Equal(Tos, got[1]);
            Assert.Equal(20 + dataLength, BinaryPrimitives.ReadUInt16BigEndian(got.AsSpan(2)));    // Total Length
            Assert.Equal(got.Length, BinaryPrimitives.ReadUInt16BigEndian(got.AsSpan(2)));
            Assert.Equal(Identification, BinaryPrimitives.ReadUInt16BigEndian(got.AsSpan(4)));
            ushort flagsAndOffset = BinaryPrimitives.ReadUInt16BigEndian(got.AsSpan(6));
            Assert.Equal(BinaryPrimitives.ReadUInt16BigEndian(sent.AsSpan(6)), flagsAndOffset);    // DF, MF, offset as sent
            Assert.Equal(i < rebuilt.Count - 1, (flagsAndOffset & 0x2000) != 0);                  // MF on first and middle only
            Assert.Equal(i == 0, (flagsAndOffset & 0x1FFF) == 0);
            Assert.Equal(0, flagsAndOffset & 0x4000);
            Assert.Equal(Ttl, got[8]);
            Assert.Equal(protocol, got[9]);
            Assert.Equal(0, NaiveChecksum.Of(got.Take(20)));                                       // header checksum of the rebuilt header
            Assert.Equal(Bytes(ReceiverPeerLsi), got[12..16]);                                     // the receiver's LSIs, not the sender's
            Assert.Equal(Bytes(ReceiverLocalLsi), got[16..20]);

            // Parsed as the receiver's stack would see it.
            Assert.True(BeetPacket.TryParse(got, out var parsed));
            Assert.True(parsed.IsFragment);
            Assert.Equal(Identification, parsed.Identification);
            Assert.Equal(i < rebuilt.Count - 1, parsed.MoreFragments);
            Assert.Equal((flagsAndOffset & 0x1FFF) * 8, parsed.FragmentOffset);
            got.AsSpan(20).CopyTo(reassembled.AsSpan(parsed.FragmentOffset));

            if (i > 0)
            {
                Assert.Equal(sent[sentHeader..], got[20..]);                                       // later fragments: data untouched
            }
        }

        // The first fragment's checksum now covers the receiver's LSI pseudo-header, over the whole datagram.
        Assert.True(NaiveChecksum.IsValid(NaiveChecksum.Ipv4Pseudo(Bytes(ReceiverPeerLsi), Bytes(ReceiverLocalLsi), segment.Length, protocol), reassembled));
        int checksumAt = protocol == BeetPacket.ProtocolTcp ? 16 : 6;
        Assert.Equal(segment[..checksumAt], reassembled[..checksumAt]);
        Assert.Equal(segment[(checksumAt + 2)..], reassembled[(checksumAt + 2)..]);
    }

    [Fact]
    public void On_the_wire_the_first_fragment_carries_the_hit_checksum_and_no_lsis()
    {
        byte[] segment = Segment(BeetPacket.ProtocolUdp, 2000);
        var first = Fragment(segment, BeetPacket.ProtocolUdp, 1400)[0];
        Assert.True(BeetPacket.TryParse(first, out var inner));
        Assert.True(BeetPacket.TryPrepareIpv4Fragment(first, inner, SenderHit, ReceiverHit, out int offset, out int length));
        byte[] carried = first.AsSpan(offset, length).ToArray();
        Assert.Equal(0x45, carried[0]);
        Assert.Equal(new byte[8], carried[12..20]);                                               // addresses unspecified
        Assert.Equal(0, NaiveChecksum.Of(carried.Take(20)));

        // Completing the datagram with the untouched rest, the checksum is the one over the HIT pseudo-header.
        byte[] whole = [.. carried[20..], .. segment[carried[20..].Length..]];
        Assert.True(NaiveChecksum.IsValid(NaiveChecksum.Ipv6Pseudo(SenderHit.ToArray(), ReceiverHit.ToArray(), segment.Length, 17), whole));
    }

    [Fact]
    public void A_udp_datagram_without_checksum_keeps_none()
    {
        using var sas = new TestSas(EspTransform.Aes128Gcm);
        byte[] segment = Segment(BeetPacket.ProtocolUdp, 2000, zeroUdpChecksum: true);
        var rebuilt = Carry(sas, Fragment(segment, BeetPacket.ProtocolUdp, 1400)[0]);
        Assert.Equal(0, BinaryPrimitives.ReadUInt16BigEndian(rebuilt.AsSpan(20 + 6)));
    }

    [Fact]
    public void Icmp_fragments_are_carried_unchanged_after_the_header()
    {
        using var sas = new TestSas(EspTransform.Aes256CbcHmacSha256);
        var echo = new byte[3008];
        new Random(5).NextBytes(echo);
        echo[0] = 8;
        echo[1] = 0;
        foreach (var f in Fragment(echo, BeetPacket.ProtocolIcmp, 1400))
        {
            var got = Carry(sas, f);
            Assert.Equal(BeetPacket.ProtocolIcmp, got[9]);
            Assert.Equal(f[20..], got[20..]);
            Assert.Equal(f[4..10], got[4..10]);
        }
    }

    [Fact]
    public void A_first_tcp_fragment_too_short_for_its_checksum_is_refused()
    {
        byte[] tiny = Fragment(Segment(BeetPacket.ProtocolTcp, 100), BeetPacket.ProtocolTcp, 36)[0]; // 16 octets of TCP
        Assert.True(BeetPacket.TryParse(tiny, out var inner));
        Assert.Equal(16, inner.PayloadLength);
        Assert.False(BeetPacket.TryPrepareIpv4Fragment(tiny, inner, SenderHit, ReceiverHit, out _, out _));
    }

    [Fact]
    public void Malformed_carried_headers_are_refused()
    {
        byte[] segment = Segment(BeetPacket.ProtocolUdp, 2000);
        var first = Fragment(segment, BeetPacket.ProtocolUdp, 1400)[0];
        Assert.True(BeetPacket.TryParse(first, out var inner));
        Assert.True(BeetPacket.TryPrepareIpv4Fragment(first, inner, SenderHit, ReceiverHit, out int offset, out int length));
        byte[] good = first.AsSpan(offset, length).ToArray();

        byte[] v6 = (byte[])good.Clone();
        v6[0] = 0x65;
        byte[] options = (byte[])good.Clone();
        options[0] = 0x46;
        byte[] longer = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(longer.AsSpan(2), (ushort)(good.Length + 1));
        foreach (var bad in new[] { v6, options, longer, good[..(good.Length - 1)], good[..19], [] })
        {
            Assert.False(BeetPacket.TryRebuildIpv4Fragment(bad, SenderHit, ReceiverHit, ReceiverPeerLsi, ReceiverLocalLsi));
        }

        Assert.True(BeetPacket.TryRebuildIpv4Fragment(good, SenderHit, ReceiverHit, ReceiverPeerLsi, ReceiverLocalLsi));
        var ipv6 = new byte[48];
        BeetPacket.WriteIpv6Header(ipv6, SenderHit, ReceiverHit, BeetPacket.ProtocolUdp, 8);
        Assert.True(BeetPacket.TryParse(ipv6, out var v6Inner));
        Assert.False(BeetPacket.TryPrepareIpv4Fragment(ipv6, v6Inner, SenderHit, ReceiverHit, out _, out _));
    }
}
