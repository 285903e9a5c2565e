using System.Security.Cryptography;

namespace Hipnat.Crypto.Tests;

public class HitSuiteTests
{
    [Theory]
    [InlineData(HitSuite.RsaDsaSha256, 0x10, 32)]
    [InlineData(HitSuite.EcdsaSha384, 0x20, 48)]
    [InlineData(HitSuite.EcdsaLowSha1, 0x30, 20)]
    public void Suite_table_matches_rfc7401_table10(HitSuite suite, byte listId, int rhashLength)
    {
        Assert.Equal(listId, suite.ToHitSuiteListId());
        Assert.True(HitSuiteExtensions.TryFromHitSuiteListId(listId, out HitSuite back));
        Assert.Equal(suite, back);
        Assert.Equal(rhashLength, suite.RhashLength());
        Assert.Equal(rhashLength * 8, suite.RhashBits());
        Assert.Equal(rhashLength, suite.HmacLength());
        Assert.True(HitSuiteExtensions.TryFromOgaId((int)suite, out HitSuite fromOga));
        Assert.Equal(suite, fromOga);
    }

    [Theory]
    [InlineData(0x00)]
    [InlineData(0x11)] // low bits must be zero
    [InlineData(0x28)]
    [InlineData(0x40)] // undefined suite 4
    [InlineData(0xF0)]
    public void Bad_hit_suite_list_ids_are_rejected(byte id)
    {
        Assert.False(HitSuiteExtensions.TryFromHitSuiteListId(id, out HitSuite suite));
        Assert.Equal(HitSuite.Reserved, suite);
    }

    [Fact]
    public void Algorithms_map_to_their_suites()
    {
        Assert.Equal(HitSuite.RsaDsaSha256, HostIdentityAlgorithm.Rsa.ToHitSuite());
        Assert.Equal(HitSuite.RsaDsaSha256, HostIdentityAlgorithm.Dsa.ToHitSuite());
        Assert.Equal(HitSuite.EcdsaSha384, HostIdentityAlgorithm.Ecdsa.ToHitSuite());
        Assert.Equal(HitSuite.EcdsaLowSha1, HostIdentityAlgorithm.EcdsaLow.ToHitSuite());
        Assert.Equal(HitSuite.Reserved, HostIdentityAlgorithm.Reserved.ToHitSuite());
    }

    [Fact]
    public void Numeric_values_are_the_iana_ones()
    {
        Assert.Equal(3, (int)HostIdentityAlgorithm.Dsa);
        Assert.Equal(5, (int)HostIdentityAlgorithm.Rsa);
        Assert.Equal(7, (int)HostIdentityAlgorithm.Ecdsa);
        Assert.Equal(9, (int)HostIdentityAlgorithm.EcdsaLow);
        Assert.Equal(1, (int)EccCurve.NistP256);
        Assert.Equal(2, (int)EccCurve.NistP384);
        Assert.Equal(new[] { 3, 4, 7, 8, 9, 10, 11 }, new[]
        {
            (int)DhGroupId.Modp1536, (int)DhGroupId.Modp3072, (int)DhGroupId.NistP256, (int)DhGroupId.NistP384,
            (int)DhGroupId.NistP521, (int)DhGroupId.Secp160R1, (int)DhGroupId.Modp2048,
        });
        Assert.Equal(new[] { 1, 2, 4 }, new[] { (int)HipCipherId.NullEncrypt, (int)HipCipherId.Aes128Cbc, (int)HipCipherId.Aes256Cbc });
    }

    [Theory]
    [InlineData(HitSuite.RsaDsaSha256)]
    [InlineData(HitSuite.EcdsaSha384)]
    [InlineData(HitSuite.EcdsaLowSha1)]
    public void Hash_and_hmac_use_the_suite_function(HitSuite suite)
    {
        byte[] data = "hipnat"u8.ToArray();
        byte[] key = [1, 2, 3];
        byte[] expectedHash = suite switch
        {
            HitSuite.RsaDsaSha256 => SHA256.HashData(data),
            HitSuite.EcdsaSha384 => SHA384.HashData(data),
            _ => SHA1.HashData(data),
        };
        byte[] expectedMac = suite switch
        {
            HitSuite.RsaDsaSha256 => HMACSHA256.HashData(key, data),
            HitSuite.EcdsaSha384 => HMACSHA384.HashData(key, data),
            _ => HMACSHA1.HashData(key, data),
        };

        var hash = new byte[64];
        var mac = new byte[64];
        Assert.Equal(expectedHash, hash.AsSpan(0, suite.Hash(data, hash)).ToArray());
        Assert.Equal(expectedMac, mac.AsSpan(0, suite.Hmac(key, data, mac)).ToArray());
    }
}
