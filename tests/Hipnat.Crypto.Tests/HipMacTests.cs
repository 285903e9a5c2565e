using System.Security.Cryptography;

namespace Hipnat.Crypto.Tests;

public class HipMacTests
{
    [Theory]
    [InlineData(HitSuite.RsaDsaSha256, 32)]
    [InlineData(HitSuite.EcdsaSha384, 48)]
    [InlineData(HitSuite.EcdsaLowSha1, 20)]
    public void Mac_is_hmac_of_the_suite_and_a_flipped_bit_is_rejected(HitSuite suite, int length)
    {
        byte[] key = RandomNumberGenerator.GetBytes(length);
        byte[] packet = RandomNumberGenerator.GetBytes(200);
        var mac = new byte[64];
        int written = HipMac.Compute(suite, key, packet, mac);
        Assert.Equal(length, written);
        Assert.Equal(length, HipMac.Length(suite));

        byte[] expected = suite switch
        {
            HitSuite.RsaDsaSha256 => HMACSHA256.HashData(key, packet),
            HitSuite.EcdsaSha384 => HMACSHA384.HashData(key, packet),
            _ => HMACSHA1.HashData(key, packet),
        };
        Assert.Equal(expected, mac[..written]);
        Assert.True(HipMac.Verify(suite, key, packet, mac.AsSpan(0, written)));

        for (int bit = 0; bit < 8; bit++)
        {
            byte[] flippedData = (byte[])packet.Clone();
            flippedData[bit * 20] ^= (byte)(1 << bit);
            Assert.False(HipMac.Verify(suite, key, flippedData, mac.AsSpan(0, written)));

            byte[] flippedMac = mac[..written];
            flippedMac[bit] ^= (byte)(1 << bit);
            Assert.False(HipMac.Verify(suite, key, packet, flippedMac));
        }

        byte[] otherKey = (byte[])key.Clone();
        otherKey[0] ^= 0x80;
        Assert.False(HipMac.Verify(suite, otherKey, packet, mac.AsSpan(0, written)));
        Assert.False(HipMac.Verify(suite, key, packet, mac.AsSpan(0, written - 1)));
        Assert.False(HipMac.Verify(suite, key, packet, []));
        Assert.False(HipMac.Verify(HitSuite.Reserved, key, packet, mac.AsSpan(0, written)));
    }

    [Theory]
    [InlineData(100)]
    [InlineData(3000)] // past the stack buffer
    public void Mac2_covers_packet_then_host_id_parameter(int packetLength)
    {
        byte[] key = RandomNumberGenerator.GetBytes(48);
        byte[] packet = RandomNumberGenerator.GetBytes(packetLength);
        byte[] hostId = RandomNumberGenerator.GetBytes(112);
        var mac = new byte[48];
        Assert.Equal(48, HipMac.ComputeMac2(HitSuite.EcdsaSha384, key, packet, hostId, mac));
        Assert.Equal(HMACSHA384.HashData(key, (byte[])[.. packet, .. hostId]), mac);
        Assert.True(HipMac.VerifyMac2(HitSuite.EcdsaSha384, key, packet, hostId, mac));

        hostId[^1] ^= 0x10;
        Assert.False(HipMac.VerifyMac2(HitSuite.EcdsaSha384, key, packet, hostId, mac));
        hostId[^1] ^= 0x10;
        mac[47] ^= 0x01;
        Assert.False(HipMac.VerifyMac2(HitSuite.EcdsaSha384, key, packet, hostId, mac));
    }
}
