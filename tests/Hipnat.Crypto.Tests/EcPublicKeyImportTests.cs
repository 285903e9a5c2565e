using System.Numerics;
using System.Security.Cryptography;

namespace Hipnat.Crypto.Tests;

/// <summary>
/// Peer EC public keys (ECDSA Host Identities, ECDH public values) on the native import path (OpenSslEc) and on the
/// BCL fallback: the same keys are accepted and the same invalid points rejected.
/// </summary>
public class EcPublicKeyImportTests
{
    public static TheoryData<HostIdentityKind, bool> EcdsaKindsAndPaths() => new()
    {
        { HostIdentityKind.EcdsaP256, true },
        { HostIdentityKind.EcdsaP256, false },
        { HostIdentityKind.EcdsaP384, true },
        { HostIdentityKind.EcdsaP384, false },
    };

    public static TheoryData<DhGroupId, bool> EcdhGroupsAndPaths() => new()
    {
        { DhGroupId.NistP256, true },
        { DhGroupId.NistP256, false },
        { DhGroupId.NistP384, true },
        { DhGroupId.NistP384, false },
        { DhGroupId.NistP521, true },
        { DhGroupId.NistP521, false },
    };

    private static bool NativeExpected =>
        OperatingSystem.IsLinux()
        && Environment.GetEnvironmentVariable("HIPNAT_NO_NATIVE_EC") is not "1"
        && SafeEvpPKeyHandle.OpenSslVersion >= 0x3000_0000L;

    [Fact]
    public void Native_path_is_used_where_the_bcl_runs_on_openssl_3()
    {
        Assert.Equal(NativeExpected, OpenSslEc.IsAvailable);
    }

    [Theory]
    [InlineData(DhGroupId.NistP256, "nistP256")]
    [InlineData(DhGroupId.NistP384, "nistP384")]
    [InlineData(DhGroupId.NistP521, "nistP521")]
    public void Domain_constants_match_the_named_curves(DhGroupId group, string curveName)
    {
        EcDomain domain = Domain(group);
        Assert.Equal(curveName, domain.Curve.Oid.FriendlyName);
        using ECDiffieHellman key = ECDiffieHellman.Create(domain.Curve);
        ECParameters explicitParameters = key.ExportExplicitParameters(false);
        ECCurve c = explicitParameters.Curve;
        Assert.Equal(domain.Prime, Unsigned(c.Prime!));
        Assert.Equal(domain.Prime - 3, Unsigned(c.A!));
        Assert.Equal(domain.B, Unsigned(c.B!));
        Assert.Equal(BigInteger.One, Unsigned(c.Cofactor!)); // what makes partial validation sufficient
        Assert.Equal(domain.FieldLength, c.Prime!.Length);
        Assert.True(domain.IsValidPublicPoint(Pad(explicitParameters.Q.X!, domain), Pad(explicitParameters.Q.Y!, domain)));
        Assert.True(domain.IsValidPublicPoint(Pad(c.G.X!, domain), Pad(c.G.Y!, domain)));
    }

    [Theory]
    [MemberData(nameof(EcdsaKindsAndPaths))]
    public void Ecdsa_host_identity_round_trips_and_verifies(HostIdentityKind kind, bool allowNative)
    {
        using HostIdentity id = HostIdentity.Generate(kind);
        Assert.True(PeerHostIdentity.TryCreate(id.Algorithm, id.HostIdBytes.Span, allowNative, out PeerHostIdentity? peer, out string? error), error);
        using (peer)
        {
            Assert.Equal(allowNative && NativeExpected, peer.UsesNativeImport);
            Assert.Equal(id.Hit, peer.Hit);
            Assert.Equal(id.HostIdBytes.ToArray(), peer.HostIdBytes.ToArray());

            byte[] signature = id.Sign("signed data"u8);
            Assert.True(peer.Verify("signed data"u8, signature));
            Assert.False(peer.Verify("other data"u8, signature));
            signature[5] ^= 0x40;
            Assert.False(peer.Verify("signed data"u8, signature));
        }
    }

    [Theory]
    [MemberData(nameof(EcdsaKindsAndPaths))]
    public void Ecdsa_host_identity_with_an_invalid_point_is_rejected(HostIdentityKind kind, bool allowNative)
    {
        HostIdentity id = TestIdentities.Get(kind);
        byte[] hi = id.HostIdBytes.ToArray();
        byte[] label = hi[..2];
        EcDomain domain = kind == HostIdentityKind.EcdsaP256 ? EcDomain.P256 : EcDomain.P384;
        int n = domain.FieldLength;
        Assert.Equal(0x04, hi[2]); // ECC Curve | 0x04 | x | y
        byte[] xy = hi[3..];

        // Each invalid point both bare (x | y, as earlier hipnat releases sent) and as a SEC 1 uncompressed point.
        foreach ((string what, byte[] bare) in InvalidPoints(domain, xy))
        {
            foreach (byte[] point in new byte[][] { bare, [0x04, .. bare] })
            {
                bool accepted = PeerHostIdentity.TryCreate(HostIdentityAlgorithm.Ecdsa, [.. label, .. point], allowNative, out PeerHostIdentity? peer, out string? error);
                peer?.Dispose();
                Assert.False(accepted, what);
                bool pointLength = point.Length == 2 * n || (point.Length == (2 * n) + 1 && point[0] == 0x04);
                Assert.Contains(pointLength ? "not a valid point" : $"must carry {(2 * n) + 1}", error, StringComparison.Ordinal);
            }
        }

        // A prefix other than 0x04 (compressed 0x02/0x03, or garbage) is not an uncompressed point.
        foreach (byte prefix in new byte[] { 0x00, 0x02, 0x03, 0x05 })
        {
            Assert.False(PeerHostIdentity.TryCreate(HostIdentityAlgorithm.Ecdsa, [.. label, prefix, .. xy], allowNative, out _, out string? error));
            Assert.Contains($"must carry {(2 * n) + 1}", error, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(EcdhGroupsAndPaths))]
    public void Ecdh_derivation_agrees_across_paths_and_with_the_bcl(DhGroupId group, bool allowNative)
    {
        EcDomain domain = Domain(group);
        using var a = new EcdhKeyPair(group, domain, allowNative);
        using var nativeSide = new EcdhKeyPair(group, domain, allowNative: true);
        using var fallbackSide = new EcdhKeyPair(group, domain, allowNative: false);
        Assert.Equal(allowNative && NativeExpected, a.UsesNativeDerivation);
        Assert.False(fallbackSide.UsesNativeDerivation);

        foreach (EcdhKeyPair b in new[] { nativeSide, fallbackSide })
        {
            byte[] ab = a.DeriveSharedSecret(b.PublicValue.Span);
            byte[] ba = b.DeriveSharedSecret(a.PublicValue.Span);
            Assert.Equal(domain.FieldLength, ab.Length);
            Assert.Equal(ab, ba);
        }

        // Against the BCL directly: the secret is the x coordinate of the shared point (RFC 5903 §7).
        using ECDiffieHellman theirs = ECDiffieHellman.Create(domain.Curve);
        ECParameters tp = theirs.ExportParameters(false);
        byte[] ours = a.DeriveSharedSecret([.. Pad(tp.Q.X!, domain), .. Pad(tp.Q.Y!, domain)]);
        int n = domain.FieldLength;
        using ECDiffieHellman ourPublic = ECDiffieHellman.Create(new ECParameters
        {
            Curve = domain.Curve,
            Q = new ECPoint { X = a.PublicValue[..n].ToArray(), Y = a.PublicValue[n..].ToArray() },
        });
        using ECDiffieHellmanPublicKey ourKey = ourPublic.PublicKey;
        Assert.Equal(Pad(theirs.DeriveRawSecretAgreement(ourKey), domain), ours);

        // A valid point with a small x (not a key anyone generated) is accepted by both paths alike.
        (byte[] x, byte[] y) = PointWithSmallX(domain);
        byte[] fromA = a.DeriveSharedSecret([.. x, .. y]);
        Assert.Equal(fromA.Length, n);
    }

    [Theory]
    [MemberData(nameof(EcdhGroupsAndPaths))]
    public void Ecdh_invalid_public_values_are_rejected(DhGroupId group, bool allowNative)
    {
        EcDomain domain = Domain(group);
        using var a = new EcdhKeyPair(group, domain, allowNative);
        using DhKeyPair b = DhKeyPair.Generate(group);
        var secret = new byte[domain.FieldLength];

        foreach ((string what, byte[] point) in InvalidPoints(domain, b.PublicValue.ToArray()))
        {
            Assert.False(a.TryDeriveSharedSecret(point, secret, out int written), what);
            Assert.Equal(0, written);
        }

        Assert.True(a.TryDeriveSharedSecret(b.PublicValue.Span, secret, out int ok));
        Assert.Equal(domain.FieldLength, ok);
    }

    [Theory]
    [InlineData(DhGroupId.NistP256)]
    [InlineData(DhGroupId.NistP384)]
    [InlineData(DhGroupId.NistP521)]
    public void Managed_validation_alone_refuses_invalid_points(DhGroupId group)
    {
        EcDomain domain = Domain(group);
        int n = domain.FieldLength;
        using DhKeyPair b = DhKeyPair.Generate(group);
        byte[] valid = b.PublicValue.ToArray();
        Assert.True(domain.IsValidPublicPoint(valid.AsSpan(0, n), valid.AsSpan(n)));

        int checkedPoints = 0;
        foreach ((string what, byte[] point) in InvalidPoints(domain, valid))
        {
            if (point.Length == 2 * n)
            {
                Assert.False(domain.IsValidPublicPoint(point.AsSpan(0, n), point.AsSpan(n)), what);
                checkedPoints++;
            }
        }

        Assert.True(checkedPoints >= 7);
        Assert.False(domain.IsValidPublicPoint(valid.AsSpan(0, n - 1), valid.AsSpan(n)));
    }

    [Theory]
    [InlineData(DhGroupId.NistP256)]
    [InlineData(DhGroupId.NistP384)]
    [InlineData(DhGroupId.NistP521)]
    public void Native_import_itself_refuses_points_off_the_curve(DhGroupId group)
    {
        if (!OpenSslEc.IsAvailable)
        {
            Assert.False(NativeExpected);
            return;
        }

        EcDomain domain = Domain(group);
        int n = domain.FieldLength;
        (byte[] x, byte[] y) = PointWithSmallX(domain);
        using (SafeEvpPKeyHandle? good = OpenSslEc.TryImportPublicKey(domain, x, y))
        {
            Assert.NotNull(good);
        }

        byte[] badY = (byte[])y.Clone();
        badY[^1] ^= 0x01;
        Assert.Null(OpenSslEc.TryImportPublicKey(domain, x, badY));
        Assert.Null(OpenSslEc.TryImportPublicKey(domain, new byte[n], new byte[n]));
        Assert.Null(OpenSslEc.TryImportPublicKey(domain, Fixed(Unsigned(x) + domain.Prime, n), y)); // x + p: on the curve mod p
        Assert.Null(OpenSslEc.TryImportPublicKey(domain, x, y.AsSpan(..^1)));
    }

    /// <summary>Invalid encodings of a point, given a valid x | y (each coordinate the field length).</summary>
    private static IEnumerable<(string What, byte[] Point)> InvalidPoints(EcDomain domain, byte[] valid)
    {
        int n = domain.FieldLength;
        BigInteger p = domain.Prime;

        byte[] offCurve = (byte[])valid.Clone();
        offCurve[^1] ^= 0x01;
        yield return ("y flipped: not on the curve", offCurve);

        byte[] offCurveX = (byte[])valid.Clone();
        offCurveX[n - 1] ^= 0x01;
        yield return ("x flipped: not on the curve", offCurveX);

        yield return ("zero point (0, 0)", new byte[2 * n]);
        yield return ("all ones", Enumerable.Repeat((byte)0xFF, 2 * n).ToArray());
        yield return ("x = p, y = 0", [.. Fixed(p, n), .. new byte[n]]);
        yield return ("x = 0, y = p", [.. new byte[n], .. Fixed(p, n)]);

        // The same point as a valid one modulo p, with a coordinate not reduced: must not be accepted.
        (byte[] sx, byte[] sy) = PointWithSmallX(domain);
        yield return ("x + p", [.. Fixed(Unsigned(sx) + p, n), .. sy]);
        BigInteger yPlusP = Unsigned(sy) + p;
        if (yPlusP.GetByteCount(isUnsigned: true) <= n)
        {
            yield return ("y + p", [.. sx, .. Fixed(yPlusP, n)]);
        }

        BigInteger negY = p - Unsigned(sy);
        if (negY + p < BigInteger.One << (8 * n))
        {
            yield return ("-y + p", [.. sx, .. Fixed(negY + p, n)]);
        }

        yield return ("empty", []);
        yield return ("one octet short", valid[..^1]);
        yield return ("one octet long", [.. valid, 0]);
        yield return ("x only", valid[..n]);
        yield return ("SEC1 infinity", [0x00]);
        yield return ("compressed form", [(byte)(0x02 | (valid[^1] & 1)), .. valid[..n]]);
    }

    /// <summary>The point with the smallest x ≥ 0 on the curve (y = sqrt(x³ − 3x + b); p ≡ 3 mod 4 on all three).</summary>
    private static (byte[] X, byte[] Y) PointWithSmallX(EcDomain domain)
    {
        BigInteger p = domain.Prime;
        Assert.Equal(3, (int)(p % 4));
        for (BigInteger x = 0; ; x++)
        {
            BigInteger rhs = (((x * x * x) - (3 * x) + domain.B) % p + p) % p;
            BigInteger y = BigInteger.ModPow(rhs, (p + 1) / 4, p);
            if (y * y % p == rhs)
            {
                byte[] bx = Fixed(x, domain.FieldLength);
                byte[] by = Fixed(y, domain.FieldLength);
                Assert.True(domain.IsValidPublicPoint(bx, by));
                return (bx, by);
            }
        }
    }

    private static EcDomain Domain(DhGroupId group) => group switch
    {
        DhGroupId.NistP256 => EcDomain.P256,
        DhGroupId.NistP384 => EcDomain.P384,
        DhGroupId.NistP521 => EcDomain.P521,
        _ => throw new ArgumentOutOfRangeException(nameof(group)),
    };

    private static BigInteger Unsigned(byte[] bigEndian) => new(bigEndian, isUnsigned: true, isBigEndian: true);

    private static byte[] Pad(byte[] value, EcDomain domain) => Fixed(Unsigned(value), domain.FieldLength);

    private static byte[] Fixed(BigInteger value, int length)
    {
        var buffer = new byte[length];
        int size = value.GetByteCount(isUnsigned: true);
        Assert.True(size <= length);
        value.TryWriteBytes(buffer.AsSpan(length - size), out _, isUnsigned: true, isBigEndian: true);
        return buffer;
    }
}
