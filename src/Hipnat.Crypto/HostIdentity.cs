using System.Formats.Asn1;
using System.Security.Cryptography;
using Hipnat.Wire;

namespace Hipnat.Crypto;

/// <summary>
/// Our host identity: the private key whose public half is the HI (RFC 7401 §3), its HOST_ID encoding, its HIT
/// and the signing operation for HIP_SIGNATURE / HIP_SIGNATURE_2. One key object is kept for the lifetime of
/// the identity; Sign may be called concurrently.
/// </summary>
public sealed class HostIdentity : IDisposable
{
    /// <summary>Default RSA modulus size for generated identities.</summary>
    public const int DefaultRsaBits = 3072;

    private const string OidEcPublicKey = "1.2.840.10045.2.1";
    private const string OidRsaEncryption = "1.2.840.113549.1.1.1";

    private readonly AsymmetricAlgorithm _key;
    private readonly byte[] _hostId;

    private HostIdentity(HostIdentityKind kind, AsymmetricAlgorithm key, byte[] hostId, int signatureLength, Hit? hitBeforeUncompressedPoint = null)
    {
        Kind = kind;
        _key = key;
        _hostId = hostId;
        SignatureLength = signatureLength;
        Algorithm = kind == HostIdentityKind.Rsa ? HostIdentityAlgorithm.Rsa : HostIdentityAlgorithm.Ecdsa;
        Suite = Algorithm.ToHitSuite();
        if (!PeerHostIdentity.TryCreate(Algorithm, hostId, out PeerHostIdentity? pub, out string? error))
        {
            throw new HostIdentityFormatException("host identity public key is not usable: " + error);
        }

        Public = pub;
        Hit = pub.Hit;
        HitBeforeUncompressedPoint = hitBeforeUncompressedPoint;
    }

    public HostIdentityKind Kind { get; }

    /// <summary>The HI algorithm of HOST_ID, also the "SIG alg" of HIP_SIGNATURE (RFC 7401 §5.2.9, §5.2.14).</summary>
    public HostIdentityAlgorithm Algorithm { get; }

    /// <summary>The HIT suite: RSA,DSA/SHA-256 for RSA, ECDSA/SHA-384 for both ECDSA curves (RFC 7401 §5.2.10).</summary>
    public HitSuite Suite { get; }

    /// <summary>
    /// Exactly the "Host Identity" field of the HOST_ID parameter (RFC 7401 §5.2.9): for ECDSA, ECC Curve | 0x04 | x | y;
    /// for RSA, e_len | e | n (RFC 3110 §2).
    /// </summary>
    public ReadOnlyMemory<byte> HostIdBytes => _hostId;

    /// <summary>The HIT, the ORCHIDv2 of <see cref="HostIdBytes"/> (RFC 7401 §3.2).</summary>
    public Hit Hit { get; }

    /// <summary>
    /// For ECDSA identities, the HIT earlier hipnat releases gave this key: they wrote the public key in HOST_ID as
    /// ECC Curve | x | y, without the 0x04 octet of the uncompressed point written now, and a HIT is the hash of
    /// those octets (RFC 7401 §3.2). Peers configured with this HIT need <see cref="Hit"/>. Null for RSA.
    /// </summary>
    public Hit? HitBeforeUncompressedPoint { get; }

    /// <summary>Length of the signature value <see cref="Sign"/> writes, in octets.</summary>
    public int SignatureLength { get; }

    /// <summary>The public half, for verifying our own signatures or handing to tests and peers.</summary>
    public PeerHostIdentity Public { get; }

    /// <summary>Generates a new identity; RSA identities get <see cref="DefaultRsaBits"/> bits.</summary>
    public static HostIdentity Generate(HostIdentityKind kind) => kind switch
    {
        HostIdentityKind.EcdsaP256 => FromEcdsa(ECDsa.Create(ECCurve.NamedCurves.nistP256), EccCurve.NistP256),
        HostIdentityKind.EcdsaP384 => FromEcdsa(ECDsa.Create(ECCurve.NamedCurves.nistP384), EccCurve.NistP384),
        HostIdentityKind.Rsa => GenerateRsa(DefaultRsaBits),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown host identity kind"),
    };

    /// <summary>Generates an RSA identity of 2048 to 8192 bits (a multiple of 8).</summary>
    public static HostIdentity GenerateRsa(int bits = DefaultRsaBits)
    {
        if (bits < HostIdEncoding.MinRsaBits || bits > HostIdEncoding.MaxRsaBits || bits % 8 != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(bits), bits, "RSA host identities have 2048..8192 bits, a multiple of 8");
        }

        return FromRsa(RSA.Create(bits));
    }

    /// <summary>
    /// Loads an unencrypted PKCS#8 ("PRIVATE KEY") PEM holding an ECDSA P-256/P-384 or RSA (2048..8192 bit) key.
    /// Throws <see cref="HostIdentityFormatException"/> with the reason when the text is not such a key.
    /// </summary>
    public static HostIdentity ImportPem(string pem)
    {
        ArgumentNullException.ThrowIfNull(pem);
        byte[] der = ReadPkcs8Der(pem);
        (string algorithmOid, string? curveOid) = ReadAlgorithm(der);

        switch (algorithmOid)
        {
            case OidEcPublicKey:
                if (!HostIdEncoding.TryFromOid(curveOid, out EccCurve curve))
                {
                    throw new HostIdentityFormatException(
                        $"unsupported curve {DescribeOid(curveOid)} in the key file (supported: NIST P-256, NIST P-384)");
                }

                ECDsa ecdsa = ECDsa.Create();
                try
                {
                    ecdsa.ImportPkcs8PrivateKey(der, out _);
                    return FromEcdsa(ecdsa, curve);
                }
                catch (CryptographicException ex)
                {
                    ecdsa.Dispose();
                    throw new HostIdentityFormatException("the ECDSA private key in the key file is invalid: " + ex.Message, ex);
                }

            case OidRsaEncryption:
                RSA rsa = RSA.Create();
                try
                {
                    rsa.ImportPkcs8PrivateKey(der, out _);
                }
                catch (CryptographicException ex)
                {
                    rsa.Dispose();
                    throw new HostIdentityFormatException("the RSA private key in the key file is invalid: " + ex.Message, ex);
                }

                if (rsa.KeySize < HostIdEncoding.MinRsaBits || rsa.KeySize > HostIdEncoding.MaxRsaBits)
                {
                    int size = rsa.KeySize;
                    rsa.Dispose();
                    throw new HostIdentityFormatException(
                        $"RSA key of {size} bits is not supported (allowed {HostIdEncoding.MinRsaBits}..{HostIdEncoding.MaxRsaBits})");
                }

                return FromRsa(rsa);

            default:
                throw new HostIdentityFormatException(
                    $"unsupported key algorithm {DescribeOid(algorithmOid)} in the key file (supported: ECDSA, RSA)");
        }
    }

    /// <summary>Exports the private key as unencrypted PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----").</summary>
    public string ExportPkcs8Pem() => _key.ExportPkcs8PrivateKeyPem();

    /// <summary>
    /// Signs <paramref name="data"/> (the HIP packet prepared as RFC 7401 §6.4.2 describes) and writes the
    /// Signature field value of HIP_SIGNATURE / HIP_SIGNATURE_2; returns its length (<see cref="SignatureLength"/>).
    /// ECDSA: r | s, each the curve's field size (RFC 6090 / RFC 4754), over the suite hash SHA-384.
    /// RSA: RSASSA-PSS (RFC 7401 §5.2.9 "PSS MUST be used") with SHA-256 (RFC 5702), MGF1-SHA-256, salt = hash length.
    /// </summary>
    public int Sign(ReadOnlySpan<byte> data, Span<byte> signature)
    {
        if (signature.Length < SignatureLength)
        {
            throw new ArgumentException($"signature buffer needs {SignatureLength} octets", nameof(signature));
        }

        HashAlgorithmName hash = Suite.RhashAlgorithm();
        bool ok = _key switch
        {
            ECDsa ecdsa => ecdsa.TrySignData(data, signature, hash, DSASignatureFormat.IeeeP1363FixedFieldConcatenation, out int written)
                && written == SignatureLength,
            RSA rsa => rsa.TrySignData(data, signature, hash, RSASignaturePadding.Pss, out int written)
                && written == SignatureLength,
            _ => false,
        };

        if (!ok)
        {
            throw new CryptographicException("signing failed");
        }

        return SignatureLength;
    }

    /// <summary>Allocating convenience form of <see cref="Sign(ReadOnlySpan{byte}, Span{byte})"/>.</summary>
    public byte[] Sign(ReadOnlySpan<byte> data)
    {
        var signature = new byte[SignatureLength];
        Sign(data, signature);
        return signature;
    }

    public void Dispose()
    {
        Public.Dispose();
        _key.Dispose();
    }

    public override string ToString() => $"{Kind} HI, HIT {Hit}";

    private static HostIdentity FromEcdsa(ECDsa ecdsa, EccCurve curve)
    {
        ECParameters p = ecdsa.ExportParameters(includePrivateParameters: false);
        byte[] hostId = HostIdEncoding.EncodeEcdsa(curve, p.Q);
        Hit before = Orchid.ComputeHit(HostIdentityAlgorithm.Ecdsa, HostIdEncoding.EncodeEcdsaCoordinatesOnly(curve, p.Q));
        HostIdentityKind kind = curve == EccCurve.NistP256 ? HostIdentityKind.EcdsaP256 : HostIdentityKind.EcdsaP384;
        return new HostIdentity(kind, ecdsa, hostId, 2 * HostIdEncoding.CoordinateLength(curve), before);
    }

    private static HostIdentity FromRsa(RSA rsa)
    {
        RSAParameters p = rsa.ExportParameters(includePrivateParameters: false);
        byte[] hostId = HostIdEncoding.EncodeRsa(p);
        return new HostIdentity(HostIdentityKind.Rsa, rsa, hostId, (rsa.KeySize + 7) / 8);
    }

    private static byte[] ReadPkcs8Der(string pem)
    {
        ReadOnlySpan<char> rest = pem;
        bool sawAnyPem = false;
        while (PemEncoding.TryFind(rest, out PemFields fields))
        {
            sawAnyPem = true;
            ReadOnlySpan<char> label = rest[fields.Label];
            if (label.SequenceEqual("PRIVATE KEY"))
            {
                byte[] der = new byte[fields.DecodedDataLength];
                if (!Convert.TryFromBase64Chars(rest[fields.Base64Data], der, out int written))
                {
                    throw new HostIdentityFormatException("the PRIVATE KEY block of the key file is not valid base64");
                }

                return der.AsSpan(0, written).ToArray();
            }

            if (label.SequenceEqual("ENCRYPTED PRIVATE KEY"))
            {
                throw new HostIdentityFormatException("key file holds an encrypted PKCS#8 key; hipnat needs an unencrypted \"PRIVATE KEY\"");
            }

            if (label.SequenceEqual("EC PRIVATE KEY") || label.SequenceEqual("RSA PRIVATE KEY"))
            {
                throw new HostIdentityFormatException(
                    $"key file holds a \"{label}\" (SEC1/PKCS#1) key, not PKCS#8; convert it with `openssl pkcs8 -topk8 -nocrypt`");
            }

            rest = rest[fields.Location.End..];
        }

        throw new HostIdentityFormatException(sawAnyPem
            ? "key file does not contain a PKCS#8 private key (no \"PRIVATE KEY\" PEM block)"
            : "key file does not contain a PKCS#8 private key (no PEM block found)");
    }

    private static (string AlgorithmOid, string? CurveOid) ReadAlgorithm(byte[] der)
    {
        try
        {
            // PrivateKeyInfo ::= SEQUENCE { version INTEGER, privateKeyAlgorithm AlgorithmIdentifier, privateKey OCTET STRING, ... }
            var reader = new AsnReader(der, AsnEncodingRules.BER);
            AsnReader info = reader.ReadSequence();
            _ = info.ReadInteger();
            AsnReader algorithm = info.ReadSequence();
            string oid = algorithm.ReadObjectIdentifier();
            string? curveOid = null;
            if (algorithm.HasData && algorithm.PeekTag().HasSameClassAndValue(Asn1Tag.ObjectIdentifier))
            {
                curveOid = algorithm.ReadObjectIdentifier();
            }

            return (oid, curveOid);
        }
        catch (AsnContentException ex)
        {
            throw new HostIdentityFormatException("the PRIVATE KEY block is not a well-formed PKCS#8 structure", ex);
        }
    }

    private static string DescribeOid(string? oid)
    {
        if (oid is null)
        {
            return "(explicit or missing parameters)";
        }

        try
        {
            string? name = Oid.FromOidValue(oid, OidGroup.All).FriendlyName;
            return name is null ? oid : $"{name} ({oid})";
        }
        catch (CryptographicException)
        {
            return oid; // not a name the platform knows
        }
    }
}
