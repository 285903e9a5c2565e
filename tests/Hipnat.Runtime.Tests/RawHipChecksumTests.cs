using System.Buffers.Binary;
using System.Net;
using Hipnat.Wire;

namespace Hipnat.Runtime.Tests;

/// <summary>RFC 7401 §5.1.1 as the raw transport relies on it: the Internet checksum over the pseudo-header and the HIP packet.</summary>
public sealed class RawHipChecksumTests
{
    [Fact]
    public void MatchesAHandComputedIPv4Value()
    {
        // 8-octet "packet" 3b 00 01 12 [cs cs] 00 00 from 10.0.0.1 to 10.0.0.2:
        // pseudo-header words 0a00 0001 0a00 0002 008b 0008; packet words 3b00 0112 0000.
        byte[] packet = [0x3b, 0x00, 0x01, 0x12, 0xAA, 0xBB, 0x00, 0x00];
        uint sum = 0x0a00 + 0x0001 + 0x0a00 + 0x0002 + 0x008b + 0x0008 + 0x3b00 + 0x0112;
        ushort expected = (ushort)~(ushort)((sum & 0xFFFF) + (sum >> 16));
        Assert.Equal(expected, HipChecksum.Compute(packet, IPAddress.Parse("10.0.0.1"), IPAddress.Parse("10.0.0.2")));
    }

    [Theory]
    [InlineData("192.0.2.1", "198.51.100.7")]
    [InlineData("2001:db8::1", "2001:db8:ffff::abcd")]
    public void AFilledPacketVerifiesAndAnyChangeBreaksIt(string source, string destination)
    {
        var src = IPAddress.Parse(source);
        var dst = IPAddress.Parse(destination);
        var packet = new byte[104];
        new Random(7).NextBytes(packet);
        HipChecksum.Apply(packet, src, dst);
        Assert.True(HipChecksum.Verify(packet, src, dst));

        var other = IPAddress.Parse(source.Contains(':', StringComparison.Ordinal) ? "2001:db8::2" : "192.0.2.2");
        Assert.False(HipChecksum.Verify(packet, other, dst));

        packet[50] ^= 0x01;
        Assert.False(HipChecksum.Verify(packet, src, dst));
    }

    [Fact]
    public void TheChecksumFieldItselfIsTakenAsZero()
    {
        var src = IPAddress.Parse("127.0.0.1");
        var dst = IPAddress.Parse("127.0.0.2");
        var a = new byte[40];
        var b = new byte[40];
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(4), 0xBEEF);
        Assert.Equal(HipChecksum.Compute(a, src, dst), HipChecksum.Compute(b, src, dst));
    }
}
