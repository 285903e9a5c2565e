using System.Buffers.Binary;
using System.Security.Cryptography;
using Hipnat.Wire;

namespace Hipnat.Crypto.Tests;

public class HostIdentityTests
{
    public static TheoryData<HostIdentityKind> Kinds() =>
        new(HostIdentityKind.EcdsaP256, HostIdentityKind.EcdsaP384, HostIdentityKind.Rsa);

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Generated_hit_is_orchid_v2_with_the_suite_as_oga_id(HostIdentityKind kind)
    {
        HostIdentity id = TestIdentities.Get(kind);
        HitSuite expected = kind == HostIdentityKind.Rsa ? HitSuite.RsaDsaSha256 : HitSuite.EcdsaSha384;

        Assert.Equal(expected, id.Suite);
        Assert.True(id.Hit.IsOrchidV2);
        Assert.Equal((int)expected, id.Hit.OgaId);
        Assert.StartsWith(kind == HostIdentityKind.Rsa ? "2001:21:" : "2001:22:", id.Hit.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Hit_recomputed_from_host_id_bytes_matches(HostIdentityKind kind)
    {
        HostIdentity id = TestIdentities.Get(kind);
        Assert.Equal(id.Hit, Orchid.ComputeHit(id.Algorithm, id.HostIdBytes.Span));
        Assert.Equal(id.Hit, id.Public.Hit);
        Assert.True(Orchid.Verify(id.Hit, id.Algorithm, id.HostIdBytes.Span));
    }

    [Theory]
    [InlineData(HostIdentityKind.EcdsaP256, EccCurve.NistP256, 32)]
    [InlineData(HostIdentityKind.EcdsaP384, EccCurve.NistP384, 48)]
    public void Ecdsa_host_id_is_curve_label_then_the_uncompressed_point(HostIdentityKind kind, EccCurve curve, int n)
    {
        HostIdentity id = TestIdentities.Get(kind);
        using ECDsa reference = ECDsa.Create();
        reference.ImportFromPem(id.ExportPkcs8Pem());
        ECParameters p = reference.ExportParameters(false);

        // RFC 7401 §5.2.9: ECC Curve | Public Key, the key as the SEC 1 uncompressed point 0x04 | x | y.
        byte[] hi = id.HostIdBytes.ToArray();
        Assert.Equal(HostIdentityAlgorithm.Ecdsa, id.Algorithm);
        Assert.Equal(2 + 1 + (2 * n), hi.Length);
        Assert.Equal((ushort)curve, BinaryPrimitives.ReadUInt16BigEndian(hi));
        Assert.Equal(0x04, hi[2]);
        Assert.Equal(p.Q.X, hi[3..(3 + n)]);
        Assert.Equal(p.Q.Y, hi[(3 + n)..]);
        Assert.Equal(2 * n, id.SignatureLength);

        // The same point as the BCL's SubjectPublicKeyInfo carries it (its last 2n + 1 octets).
        Assert.Equal(reference.ExportSubjectPublicKeyInfo()[^((2 * n) + 1)..], hi[2..]);

        // The HIT earlier releases gave the key is over ECC Curve | x | y.
        Assert.Equal(Orchid.ComputeHit(HostIdentityAlgorithm.Ecdsa, [.. hi[..2], .. hi[3..]]), id.HitBeforeUncompressedPoint);
        Assert.NotEqual(id.Hit, id.HitBeforeUncompressedPoint);
    }

    [Fact]
    public void Rsa_has_no_earlier_hit()
    {
        Assert.Null(TestIdentities.Get(HostIdentityKind.Rsa).HitBeforeUncompressedPoint);
    }

    [Fact]
    public void Rsa_host_id_is_rfc3110_exponent_length_exponent_modulus()
    {
        HostIdentity id = TestIdentities.Get(HostIdentityKind.Rsa);
        using RSA reference = RSA.Create();
        reference.ImportFromPem(id.ExportPkcs8Pem());
        RSAParameters p = reference.ExportParameters(false);

        byte[] hi = id.HostIdBytes.ToArray();
        Assert.Equal(3072, reference.KeySize);
        Assert.Equal(p.Exponent!.Length, hi[0]);
        Assert.Equal(p.Exponent, hi[1..(1 + hi[0])]);
        Assert.Equal(p.Modulus, hi[(1 + hi[0])..]);
        Assert.Equal(384, id.SignatureLength);
        Assert.Equal(HostIdentityAlgorithm.Rsa, id.Algorithm);
    }

    [Fact]
    public void Rsa_2048_can_be_generated_and_sizes_outside_the_range_cannot()
    {
        using HostIdentity id = HostIdentity.GenerateRsa(2048);
        Assert.Equal(256, id.SignatureLength);
        Assert.Equal(1 + 3 + 256, id.HostIdBytes.Length);
        Assert.True(id.Public.Verify("x"u8, id.Sign("x"u8)));
        Assert.Throws<ArgumentOutOfRangeException>(() => HostIdentity.GenerateRsa(1024));
        Assert.Throws<ArgumentOutOfRangeException>(() => HostIdentity.GenerateRsa(2049));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Pem_round_trip_keeps_the_hit_and_the_key(HostIdentityKind kind)
    {
        HostIdentity id = TestIdentities.Get(kind);
        string pem = id.ExportPkcs8Pem();
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", pem, StringComparison.Ordinal);

        using HostIdentity loaded = HostIdentity.ImportPem(pem);
        Assert.Equal(id.Hit, loaded.Hit);
        Assert.Equal(id.Kind, loaded.Kind);
        Assert.Equal(id.HostIdBytes.ToArray(), loaded.HostIdBytes.ToArray());
        Assert.True(id.Public.Verify("message"u8, loaded.Sign("message"u8)));
    }

    [Fact]
    public void Pem_with_surrounding_text_and_other_blocks_is_accepted()
    {
        HostIdentity id = TestIdentities.Get(HostIdentityKind.EcdsaP256);
        string text = "comment line\n-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n" + id.ExportPkcs8Pem() + "\ntrailer\n";
        using HostIdentity loaded = HostIdentity.ImportPem(text);
        Assert.Equal(id.Hit, loaded.Hit);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Sign_then_verify_and_rejections(HostIdentityKind kind)
    {
        HostIdentity id = TestIdentities.Get(kind);
        byte[] data = RandomNumberGenerator.GetBytes(300);
        var signature = new byte[id.SignatureLength + 10];
        int written = id.Sign(data, signature);
        Assert.Equal(id.SignatureLength, written);
        byte[] sig = signature[..written];

        Assert.True(id.Public.Verify(data, sig));

        byte[] tamperedData = (byte[])data.Clone();
        tamperedData[17] ^= 0x40;
        Assert.False(id.Public.Verify(tamperedData, sig));

        byte[] tamperedSig = (byte[])sig.Clone();
        tamperedSig[5] ^= 0x01;
        Assert.False(id.Public.Verify(data, tamperedSig));

        Assert.False(id.Public.Verify(data, sig.AsSpan(..^1)));
        Assert.False(id.Public.Verify(data, [.. sig, 0]));
        Assert.False(id.Public.Verify(data, []));
        Assert.False(id.Public.Verify(data, new byte[sig.Length]));
        Assert.False(id.Public.Verify(data, RandomNumberGenerator.GetBytes(sig.Length)));

        HostIdentity other = TestIdentities.Get(kind == HostIdentityKind.EcdsaP256 ? HostIdentityKind.EcdsaP384 : HostIdentityKind.EcdsaP256);
        Assert.False(other.Public.Verify(data, sig));
    }

    [Fact]
    public void Ecdsa_signature_is_r_s_over_sha384()
    {
        HostIdentity id = TestIdentities.Get(HostIdentityKind.EcdsaP256);
        using ECDsa reference = ECDsa.Create();
        reference.ImportFromPem(id.ExportPkcs8Pem());
        byte[] data = "R1 packet bytes"u8.ToArray();
        byte[] sig = id.Sign(data);

        Assert.Equal(64, sig.Length);
        Assert.True(reference.VerifyData(data, sig, HashAlgorithmName.SHA384, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
        Assert.False(reference.VerifyData(data, sig, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));

        byte[] theirs = reference.SignData(data, HashAlgorithmName.SHA384, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        Assert.True(id.Public.Verify(data, theirs));
    }

    [Fact]
    public void Rsa_signature_is_pss_over_sha256()
    {
        HostIdentity id = TestIdentities.Get(HostIdentityKind.Rsa);
        using RSA reference = RSA.Create();
        reference.ImportFromPem(id.ExportPkcs8Pem());
        byte[] data = "I2 packet bytes"u8.ToArray();
        byte[] sig = id.Sign(data);

        Assert.True(reference.VerifyData(data, sig, HashAlgorithmName.SHA256, RSASignaturePadding.Pss));
        Assert.False(reference.VerifyData(data, sig, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));

        byte[] pkcs1 = reference.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        Assert.False(id.Public.Verify(data, pkcs1));
    }

    [Fact]
    public void Sign_into_a_short_buffer_throws()
    {
        HostIdentity id = TestIdentities.Get(HostIdentityKind.EcdsaP256);
        Assert.Throws<ArgumentException>(() => id.Sign("x"u8, new byte[63]));
    }

    [Fact]
    public void Concurrent_signing_and_verifying_is_safe()
    {
        HostIdentity id = TestIdentities.Get(HostIdentityKind.EcdsaP256);
        int failures = 0;
        Parallel.For(0, 400, i =>
        {
            byte[] data = BitConverter.GetBytes(i);
            Span<byte> sig = stackalloc byte[64];
            id.Sign(data, sig);
            if (!id.Public.Verify(data, sig))
            {
                Interlocked.Increment(ref failures);
            }
        });
        Assert.Equal(0, failures);
    }

    [Theory]
    [InlineData("", "no PEM block")]
    [InlineData("not a key at all", "no PEM block")]
    [InlineData("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "does not contain a PKCS#8 private key")]
    [InlineData("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n", "encrypted")]
    [InlineData("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "PKCS#8")]
    public void Bad_key_files_give_a_typed_error(string pem, string messagePart)
    {
        var ex = Assert.Throws<HostIdentityFormatException>(() => HostIdentity.ImportPem(pem));
        Assert.Contains(messagePart, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Sec1_ec_key_is_reported_as_not_pkcs8()
    {
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var ex = Assert.Throws<HostIdentityFormatException>(() => HostIdentity.ImportPem(key.ExportECPrivateKeyPem()));
        Assert.Contains("EC PRIVATE KEY", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unsupported_curve_is_reported()
    {
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP521);
        var ex = Assert.Throws<HostIdentityFormatException>(() => HostIdentity.ImportPem(key.ExportPkcs8PrivateKeyPem()));
        Assert.Contains("unsupported curve", ex.Message, StringComparison.Ordinal);
        Assert.Contains("1.3.132.0.35", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Weak_rsa_key_is_reported()
    {
        using RSA key = RSA.Create(1024);
        var ex = Assert.Throws<HostIdentityFormatException>(() => HostIdentity.ImportPem(key.ExportPkcs8PrivateKeyPem()));
        Assert.Contains("1024 bits", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unsupported_key_algorithm_is_reported()
    {
        using DSA key = DSA.Create(2048);
        var ex = Assert.Throws<HostIdentityFormatException>(() => HostIdentity.ImportPem(key.ExportPkcs8PrivateKeyPem()));
        Assert.Contains("unsupported key algorithm", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Corrupted_key_body_is_reported()
    {
        string pem = TestIdentities.Get(HostIdentityKind.EcdsaP256).ExportPkcs8Pem();
        string[] lines = pem.Split('\n');
        char[] body = lines[1].ToCharArray();
        body[^5] = body[^5] == 'A' ? 'B' : 'A'; // corrupt inside the private key octets / public key
        lines[1] = new string(body);
        string broken = string.Join('\n', lines);

        // Either the structure or the key check fails; both must surface as the typed exception.
        Exception? ex = Record.Exception(() => HostIdentity.ImportPem(broken).Dispose());
        if (ex is not null)
        {
            Assert.IsType<HostIdentityFormatException>(ex);
        }
    }

    [Fact]
    public void Hits_of_two_identities_differ()
    {
        Assert.NotEqual(TestIdentities.Get(HostIdentityKind.EcdsaP256).Hit, TestIdentities.Get(HostIdentityKind.EcdsaP384).Hit);
        using HostIdentity fresh = HostIdentity.Generate(HostIdentityKind.EcdsaP256);
        Assert.NotEqual(TestIdentities.Get(HostIdentityKind.EcdsaP256).Hit, fresh.Hit);
        Assert.NotEqual(Hit.Zero, fresh.Hit);
    }
}
