using System.Numerics;
using System.Security.Cryptography;

namespace Hipnat.Crypto.Tests;

public class DhKeyPairTests
{
    public static TheoryData<DhGroupId> SupportedGroups() => new(
        DhGroupId.NistP256, DhGroupId.NistP384, DhGroupId.NistP521, DhGroupId.Modp1536, DhGroupId.Modp2048, DhGroupId.Modp3072);

    [Theory]
    [MemberData(nameof(SupportedGroups))]
    public void Both_sides_derive_the_same_secret(DhGroupId group)
    {
        using DhKeyPair a = DhKeyPair.Generate(group);
        using DhKeyPair b = DhKeyPair.Generate(group);

        Assert.Equal(group, a.Group);
        Assert.Equal(DhKeyPair.PublicValueLength(group), a.PublicValue.Length);
        Assert.NotEqual(a.PublicValue.ToArray(), b.PublicValue.ToArray());

        byte[] ab = a.DeriveSharedSecret(b.PublicValue.Span);
        byte[] ba = b.DeriveSharedSecret(a.PublicValue.Span);
        Assert.Equal(DhKeyPair.SharedSecretLength(group), ab.Length);
        Assert.Equal(ab, ba);
        Assert.Contains(ab, x => x != 0);

        var span = new byte[ab.Length + 4];
        Assert.True(a.TryDeriveSharedSecret(b.PublicValue.Span, span, out int written));
        Assert.Equal(ab.Length, written);
        Assert.Equal(ab, span[..written]);
    }

    [Theory]
    [InlineData(DhGroupId.NistP256, "nistP256")]
    [InlineData(DhGroupId.NistP384, "nistP384")]
    public void Ecdh_public_value_is_x_y_and_secret_is_x_coordinate(DhGroupId group, string curveName)
    {
        ECCurve curve = curveName == "nistP256" ? ECCurve.NamedCurves.nistP256 : ECCurve.NamedCurves.nistP384;
        int n = DhKeyPair.SharedSecretLength(group);
        using DhKeyPair ours = DhKeyPair.Generate(group);
        using ECDiffieHellman theirs = ECDiffieHellman.Create(curve);
        ECParameters tp = theirs.ExportParameters(false);
        byte[] theirValue = [.. tp.Q.X!, .. tp.Q.Y!];

        byte[] ourSecret = ours.DeriveSharedSecret(theirValue);

        byte[] ourValue = ours.PublicValue.ToArray();
        using ECDiffieHellman ourPublic = ECDiffieHellman.Create(new ECParameters
        {
            Curve = curve,
            Q = new ECPoint { X = ourValue[..n], Y = ourValue[n..] },
        });
        using ECDiffieHellmanPublicKey ourKey = ourPublic.PublicKey;
        byte[] theirSecret = theirs.DeriveRawSecretAgreement(ourKey);

        Assert.Equal(theirSecret, ourSecret);
    }

    [Theory]
    [InlineData(DhGroupId.NistP256)]
    [InlineData(DhGroupId.NistP384)]
    [InlineData(DhGroupId.NistP521)]
    public void Invalid_ecdh_values_are_rejected(DhGroupId group)
    {
        using DhKeyPair a = DhKeyPair.Generate(group);
        using DhKeyPair b = DhKeyPair.Generate(group);
        byte[] valid = b.PublicValue.ToArray();
        var secret = new byte[DhKeyPair.SharedSecretLength(group)];

        Assert.False(a.TryDeriveSharedSecret([], secret, out _));
        Assert.False(a.TryDeriveSharedSecret(valid.AsSpan(..^1), secret, out _));
        Assert.False(a.TryDeriveSharedSecret([.. valid, 0], secret, out _));
        Assert.False(a.TryDeriveSharedSecret(new byte[valid.Length], secret, out _)); // (0, 0)

        byte[] offCurve = (byte[])valid.Clone();
        offCurve[^1] ^= 0x01;
        Assert.False(a.TryDeriveSharedSecret(offCurve, secret, out int written));
        Assert.Equal(0, written);

        byte[] tooBig = Enumerable.Repeat((byte)0xFF, valid.Length).ToArray();
        Assert.False(a.TryDeriveSharedSecret(tooBig, secret, out _));

        Assert.False(a.TryDeriveSharedSecret(valid, new byte[secret.Length - 1], out _)); // short destination
        Assert.Throws<CryptographicException>(() => a.DeriveSharedSecret(offCurve));

        // The SEC1 form with a leading 0x04 is tolerated and gives the same secret.
        Assert.True(a.TryDeriveSharedSecret([0x04, .. valid], secret, out _));
        Assert.Equal(a.DeriveSharedSecret(valid), secret);
    }

    [Theory]
    [InlineData(DhGroupId.Modp1536)]
    [InlineData(DhGroupId.Modp2048)]
    [InlineData(DhGroupId.Modp3072)]
    public void Invalid_modp_values_are_rejected(DhGroupId group)
    {
        using DhKeyPair a = DhKeyPair.Generate(group);
        int len = DhKeyPair.PublicValueLength(group);
        BigInteger p = ModpGroup.For(group)!.Prime;
        var secret = new byte[len];

        Assert.False(a.TryDeriveSharedSecret(Fixed(BigInteger.Zero, len), secret, out _));
        Assert.False(a.TryDeriveSharedSecret(Fixed(BigInteger.One, len), secret, out _));
        Assert.False(a.TryDeriveSharedSecret(Fixed(p - 1, len), secret, out _));
        Assert.False(a.TryDeriveSharedSecret(Fixed(p, len), secret, out _));
        Assert.False(a.TryDeriveSharedSecret(Enumerable.Repeat((byte)0xFF, len).ToArray(), secret, out _));
        Assert.False(a.TryDeriveSharedSecret([], secret, out _));
        Assert.False(a.TryDeriveSharedSecret(new byte[len + 1], secret, out _));
        Assert.False(a.TryDeriveSharedSecret([0, .. Fixed(2, len)], secret, out _)); // longer than the prime

        // Boundary values that are valid: 2 and p-2.
        Assert.True(a.TryDeriveSharedSecret(Fixed(2, len), secret, out _));
        Assert.True(a.TryDeriveSharedSecret(Fixed(p - 2, len), secret, out _));

        // A value sent without its leading zero octets is the same number.
        Assert.True(a.TryDeriveSharedSecret([2], secret, out _));
        Assert.Equal(a.DeriveSharedSecret(Fixed(2, len)), secret);
    }

    [Fact]
    public void Modp_public_value_is_g_to_the_x_and_secret_is_left_padded()
    {
        using DhKeyPair a = DhKeyPair.Generate(DhGroupId.Modp1536);
        BigInteger p = ModpGroup.For(DhGroupId.Modp1536)!.Prime;
        var y = new BigInteger(a.PublicValue.Span, isUnsigned: true, isBigEndian: true);
        Assert.True(y > 1 && y < p - 1);

        // Deriving with g = 2 as the peer's value yields g^x = our own public value.
        Assert.Equal(a.PublicValue.ToArray(), a.DeriveSharedSecret([2]));
    }

    [Theory]
    [InlineData(DhGroupId.Modp1536, 1536, 741804)]
    [InlineData(DhGroupId.Modp2048, 2048, 124476)]
    [InlineData(DhGroupId.Modp3072, 3072, 1690314)]
    public void Modp_primes_follow_the_rfc3526_construction_from_pi(DhGroupId group, int bits, int k)
    {
        // RFC 3526: p = 2^n - 2^(n-64) - 1 + 2^64 * ( [2^(n-130) pi] + k )
        BigInteger piScaled = PiTimesPowerOfTwo(bits - 130);
        BigInteger expected = BigInteger.Pow(2, bits) - BigInteger.Pow(2, bits - 64) - 1 + (BigInteger.Pow(2, 64) * (piScaled + k));

        ModpGroup modp = ModpGroup.For(group)!;
        Assert.Equal(expected, modp.Prime);
        Assert.Equal(bits / 8, modp.Length);
        Assert.Equal(bits / 8, DhKeyPair.PublicValueLength(group));
    }

    [Theory]
    [InlineData(DhGroupId.Reserved)]
    [InlineData(DhGroupId.Deprecated1)]
    [InlineData(DhGroupId.Deprecated5)]
    [InlineData(DhGroupId.Secp160R1)]
    [InlineData((DhGroupId)12)]
    public void Unsupported_groups_are_reported(DhGroupId group)
    {
        Assert.False(DhKeyPair.IsSupported(group));
        Assert.Throws<NotSupportedException>(() => DhKeyPair.Generate(group));
        Assert.Throws<NotSupportedException>(() => DhKeyPair.PublicValueLength(group));
    }

    [Fact]
    public void Supported_groups_are_the_implemented_ones()
    {
        foreach (DhGroupId g in SupportedGroups().Select(row => row.Data))
        {
            Assert.True(DhKeyPair.IsSupported(g));
        }
    }

    [Theory]
    [InlineData(DhGroupId.NistP256)]
    [InlineData(DhGroupId.Modp1536)]
    public void One_key_pair_serves_concurrent_derivations(DhGroupId group)
    {
        using DhKeyPair responder = DhKeyPair.Generate(group);
        var peers = Enumerable.Range(0, 8).Select(_ => DhKeyPair.Generate(group)).ToArray();
        byte[][] expected = peers.Select(p => p.DeriveSharedSecret(responder.PublicValue.Span)).ToArray();
        int mismatches = 0;

        Parallel.For(0, 64, n =>
        {
            byte[] secret = responder.DeriveSharedSecret(peers[n % peers.Length].PublicValue.Span);
            if (!secret.AsSpan().SequenceEqual(expected[n % peers.Length]))
            {
                Interlocked.Increment(ref mismatches);
            }
        });

        Assert.Equal(0, mismatches);
        foreach (DhKeyPair p in peers)
        {
            p.Dispose();
        }
    }

    private static byte[] Fixed(BigInteger value, int length)
    {
        var buffer = new byte[length];
        int size = value.GetByteCount(isUnsigned: true);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, length, nameof(value));

        value.TryWriteBytes(buffer.AsSpan(length - size), out _, isUnsigned: true, isBigEndian: true);
        return buffer;
    }

    /// <summary>floor(pi * 2^bits), by Machin's formula pi = 16 atan(1/5) - 4 atan(1/239), in fixed point.</summary>
    private static BigInteger PiTimesPowerOfTwo(int bits)
    {
        const int guard = 64;
        BigInteger one = BigInteger.One << (bits + guard);
        BigInteger pi = (16 * ArctanInverse(5, one)) - (4 * ArctanInverse(239, one));
        return pi >> guard;
    }

    private static BigInteger ArctanInverse(int x, BigInteger one)
    {
        BigInteger x2 = x * x;
        BigInteger term = one / x;
        BigInteger sum = term;
        int sign = -1;
        for (int n = 3; !term.IsZero; n += 2)
        {
            term /= x2;
            sum += sign * (term / n);
            sign = -sign;
        }

        return sum;
    }
}
