using System.Security.Cryptography;
using Hipnat.Wire;

namespace Hipnat.Crypto.Tests;

public class OrchidTests
{
    private static readonly byte[] ContextId = TestIdentities.Bytes("F0EFF02FBFF43D0FE7930C3C6E6174EA");

    public static TheoryData<HostIdentityAlgorithm, string, string> Vectors()
    {
        // Expected HITs computed independently (outside .NET) as
        // 2001:002 | suite | middle 96 bits of RHASH(context ID | input), RFC 7343 §2 / RFC 7401 §3.2.
        var data = new TheoryData<HostIdentityAlgorithm, string, string>
        {
            { HostIdentityAlgorithm.Ecdsa, "0001" + Pattern(64, i => i), "2001:22:73a2:3712:ecd7:871d:56fb:2875" },
            { HostIdentityAlgorithm.Rsa, "03010001" + Pattern(256, i => (0x80 + i) % 256), "2001:21:f126:2cc6:d1bc:659b:d142:84e1" },
            { HostIdentityAlgorithm.EcdsaLow, "0001" + Pattern(40, i => i), "2001:23:8271:3452:e9a9:4b7a:fe7b:4604" },
            { HostIdentityAlgorithm.Ecdsa, "", "2001:22:f536:76eb:5842:ac17:703f:1815" },
            { HostIdentityAlgorithm.Rsa, "03010001" + Pattern(1500, i => (i * 7) % 256), "2001:21:d1cb:4b3c:7958:7d45:6687:a444" },
        };
        return data;
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Hit_matches_independently_computed_vector(HostIdentityAlgorithm algorithm, string inputHex, string expectedHit)
    {
        byte[] input = Convert.FromHexString(inputHex);
        Hit hit = Orchid.ComputeHit(algorithm, input);
        Assert.Equal(Hit.Parse(expectedHit), hit);
        Assert.True(Orchid.Verify(hit, algorithm, input));
    }

    [Fact]
    public void Hit_is_prefix_suite_and_middle_96_bits_of_sha384()
    {
        byte[] input = RandomNumberGenerator.GetBytes(98);
        byte[] digest = SHA384.HashData([.. ContextId, .. input]);
        byte[] expected = [0x20, 0x01, 0x00, 0x22, .. digest.AsSpan(18, 12)];

        Hit hit = Orchid.ComputeHit(HostIdentityAlgorithm.Ecdsa, input);
        Assert.Equal(expected, hit.ToArray());
        Assert.True(hit.IsOrchidV2);
        Assert.Equal(2, hit.OgaId);
    }

    [Fact]
    public void Verify_rejects_other_input_other_suite_and_other_prefix()
    {
        byte[] input = RandomNumberGenerator.GetBytes(66);
        Hit hit = Orchid.ComputeHit(HostIdentityAlgorithm.Ecdsa, input);

        byte[] changed = (byte[])input.Clone();
        changed[^1] ^= 1;
        Assert.False(Orchid.Verify(hit, HostIdentityAlgorithm.Ecdsa, changed));
        Assert.False(Orchid.Verify(hit, HostIdentityAlgorithm.Rsa, input));
        Assert.False(Orchid.Verify(new Hit(hit.High ^ (1UL << 63), hit.Low), HostIdentityAlgorithm.Ecdsa, input));
        Assert.False(Orchid.Verify(hit, HostIdentityAlgorithm.Reserved, input));
    }

    [Fact]
    public void Algorithm_without_suite_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Orchid.ComputeHit(HostIdentityAlgorithm.Reserved, [1, 2, 3]));
    }

    private static string Pattern(int length, Func<int, int> value)
    {
        var bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)value(i);
        }

        return Convert.ToHexString(bytes);
    }
}
