using System.Net;
using Hipnat.Wire.Packets;
using static Hipnat.Wire.Tests.TestWire;

namespace Hipnat.Wire.Tests;

/// <summary>RFC 7401 §5.1.1 checksum over the pseudo-header (protocol 139) and the packet.</summary>
public class HipChecksumTests
{
    /// <summary>
    /// A header-only packet: 3B 04 01 21 | 0000 0000 | sender 2001:20::1 | receiver :: (40 octets).
    /// Packet words: 3B04 + 0121 + 2001 + 0020 + 0001 = 5C47.
    /// </summary>
    private static byte[] SmallPacket()
    {
        var p = new byte[40];
        p[0] = 0x3B;
        p[1] = 0x04;
        p[2] = 0x01;
        p[3] = 0x21;
        IPAddress.Parse("2001:20::1").GetAddressBytes().CopyTo(p, 8);
        return p;
    }

    [Fact]
    public void Ipv4_known_answer()
    {
        // Pseudo-header: C000 + 0201 + C000 + 0202 + 008B (protocol 139) + 0028 (length 40) = 184B6.
        // 184B6 + 5C47 = 1E0FD -> fold E0FD + 1 = E0FE -> complement 1F01.
        Assert.Equal(0x1F01, HipChecksum.Compute(SmallPacket(), IPAddress.Parse("192.0.2.1"), IPAddress.Parse("192.0.2.2")));
    }

    [Fact]
    public void Ipv6_known_answer()
    {
        // Pseudo-header: 2001 + 0DB8 + 0001 + 2001 + 0DB8 + 0002 = 5B75; + 0028 (32-bit length) + 008B = 5C28.
        // 5C28 + 5C47 = B86F -> complement 4790.
        Assert.Equal(0x4790, HipChecksum.Compute(SmallPacket(), IPAddress.Parse("2001:db8::1"), IPAddress.Parse("2001:db8::2")));
    }

    [Fact]
    public void Ipv4_mapped_addresses_use_the_ipv4_pseudo_header()
    {
        Assert.Equal(0x1F01, HipChecksum.Compute(SmallPacket(), IPAddress.Parse("::ffff:192.0.2.1"), IPAddress.Parse("192.0.2.2")));
    }

    [Fact]
    public void Checksum_field_is_treated_as_zero()
    {
        var p = SmallPacket();
        p[4] = 0x12;
        p[5] = 0x34;
        Assert.Equal(0x1F01, HipChecksum.Compute(p, IPAddress.Parse("192.0.2.1"), IPAddress.Parse("192.0.2.2")));
    }

    [Theory]
    [InlineData("192.0.2.1", "198.51.100.2")]
    [InlineData("2001:db8::1", "2001:db8:ffff::2")]
    public void Applied_checksum_verifies_and_any_bit_flip_breaks_it(string src, string dst)
    {
        var s = IPAddress.Parse(src);
        var d = IPAddress.Parse(dst);
        var bytes = Build(HipPacketType.Update, (ref HipPacketBuilder b) =>
        {
            b.Add(new Parameters.SeqParameter(77));
            b.Add(new Parameters.HipMacParameter(Bytes(32)));
        });
        HipChecksum.Apply(bytes, s, d);
        Assert.True(HipChecksum.Verify(bytes, s, d));
        Assert.Equal(WireError.None, HipPacket.TryParse(bytes, out var parsed));
        Assert.True(HipChecksum.Verify(parsed, s, d));

        for (int bit = 0; bit < bytes.Length * 8; bit += 5)
        {
            bytes[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(HipChecksum.Verify(bytes, s, d), $"bit {bit}");
            bytes[bit / 8] ^= (byte)(1 << (bit % 8));
        }

        Assert.False(HipChecksum.Verify(bytes, d, IPAddress.Parse(src.Contains(':') ? "2001:db8::3" : "192.0.2.3")));
    }

    [Fact]
    public void Mixed_families_are_refused()
    {
        var v4 = IPAddress.Parse("192.0.2.1");
        var v6 = IPAddress.Parse("2001:db8::1");
        Assert.Throws<ArgumentException>(() => HipChecksum.Compute(SmallPacket(), v4, v6));
        Assert.False(HipChecksum.Verify(SmallPacket(), v6, v4));
    }

    [Fact]
    public void Short_input_does_not_verify()
    {
        Assert.False(HipChecksum.Verify(new byte[8], IPAddress.Loopback, IPAddress.Loopback));
    }
}
