using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using Hipnat.Wire;

namespace Hipnat.Crypto;

/// <summary>
/// A public host identity, typically a peer's, built from a HOST_ID parameter's Algorithm and Host Identity
/// fields (RFC 7401 §5.2.9). Verifies HIP_SIGNATURE / HIP_SIGNATURE_2 values (RFC 7401 §5.2.14, §6.4.2).
/// Verify may be called concurrently.
/// </summary>
public sealed class PeerHostIdentity : IDisposable
{
    private readonly AsymmetricAlgorithm _key;
    private readonly byte[] _hostId;

    private PeerHostIdentity(HostIdentityAlgorithm algorithm, EccCurve curve, byte[] hostId, AsymmetricAlgorithm key, int signatureLength)
    {
        Algorithm = algorithm;
        Curve = curve;
        Suite = algorithm.ToHitSuite();
        _hostId = hostId;
        _key = key;
        SignatureLength = signatureLength;
        Hit = Orchid.ComputeHit(Suite, hostId);
    }

    /// <summary>The HI algorithm (also the HIP_SIGNATURE "SIG alg").</summary>
    public HostIdentityAlgorithm Algorithm { get; }

    /// <summary>The ECC curve for ECDSA identities; <see cref="EccCurve.Reserved"/> for RSA.</summary>
    public EccCurve Curve { get; }

    /// <summary>The HIT suite of this identity; its hash is the one used for signatures.</summary>
    public HitSuite Suite { get; }

    /// <summary>
    /// The HIT computed from <see cref="HostIdBytes"/> as received (RFC 7401 §3.2): an ECDSA key sent as 0x04 | x | y
    /// and the same key sent as x | y have different HITs, and the sender's HIT must be the one of the octets it sent.
    /// </summary>
    public Hit Hit { get; }

    /// <summary>The Host Identity field exactly as given.</summary>
    public ReadOnlyMemory<byte> HostIdBytes => _hostId;

    /// <summary>Length of a valid signature value in octets.</summary>
    public int SignatureLength { get; }

    /// <summary>True when the ECDSA key was imported through <see cref="OpenSslEc"/> rather than the BCL.</summary>
    internal bool UsesNativeImport { get; private init; }

    /// <summary>
    /// Builds a peer identity from untrusted HOST_ID fields. Never throws; on failure returns false with a
    /// human-readable reason (unsupported algorithm or curve, bad lengths, point not on the curve, weak RSA key).
    /// </summary>
    public static bool TryCreate(
        HostIdentityAlgorithm algorithm,
        ReadOnlySpan<byte> hostIdBytes,
        [NotNullWhen(true)] out PeerHostIdentity? peer,
        [NotNullWhen(false)] out string? error) =>
        TryCreate(algorithm, hostIdBytes, allowNative: true, out peer, out error);

    /// <param name="allowNative">False forces the BCL import of ECDSA keys (tests of the fallback).</param>
    internal static bool TryCreate(
        HostIdentityAlgorithm algorithm,
        ReadOnlySpan<byte> hostIdBytes,
        bool allowNative,
        [NotNullWhen(true)] out PeerHostIdentity? peer,
        [NotNullWhen(false)] out string? error)
    {
        peer = null;
        try
        {
            switch (algorithm)
            {
                case HostIdentityAlgorithm.Ecdsa:
                    return TryCreateEcdsa(hostIdBytes, allowNative, out peer, out error);
                case HostIdentityAlgorithm.Rsa:
                    return TryCreateRsa(hostIdBytes, out peer, out error);
                default:
                    error = $"unsupported HI algorithm {(ushort)algorithm} (supported: 5 = RSA, 7 = ECDSA)";
                    return false;
            }
        }
        catch (CryptographicException ex)
        {
            error = "host identity rejected by the crypto library: " + ex.Message;
            return false;
        }
    }

    /// <summary>
    /// Verifies a signature value over <paramref name="data"/> with this identity. Hash and format follow
    /// <see cref="HostIdentity.Sign"/>. Returns false (never throws) for any malformed or wrong signature.
    /// </summary>
    public bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        if (signature.Length != SignatureLength)
        {
            return false;
        }

        try
        {
            HashAlgorithmName hash = Suite.RhashAlgorithm();
            return _key switch
            {
                ECDsa ecdsa => ecdsa.VerifyData(data, signature, hash, DSASignatureFormat.IeeeP1363FixedFieldConcatenation),
                RSA rsa => rsa.VerifyData(data, signature, hash, RSASignaturePadding.Pss),
                _ => false,
            };
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    public void Dispose() => _key.Dispose();

    private static bool TryCreateEcdsa(ReadOnlySpan<byte> hostIdBytes, bool allowNative, out PeerHostIdentity? peer, out string? error)
    {
        peer = null;
        if (!HostIdEncoding.TryDecodeEcdsa(hostIdBytes, out EccCurve curve, out ECParameters parameters, out error))
        {
            return false;
        }

        // Partial public-key validation, sufficient on these cofactor-1 curves (see EcDomain); done here for both
        // import paths, so they accept and reject the same keys.
        EcDomain domain = EcDomain.For(curve);
        if (!domain.IsValidPublicPoint(parameters.Q.X, parameters.Q.Y))
        {
            error = $"ECDSA public key is not a valid point on {curve}";
            return false;
        }

        ECDsa? ecdsa = allowNative ? TryImportNative(domain, parameters.Q) : null;
        bool native = ecdsa is not null;
        if (ecdsa is null)
        {
            ecdsa = ECDsa.Create();
            try
            {
                // The BCL import checks the point again (and its order).
                ecdsa.ImportParameters(parameters);
            }
            catch (CryptographicException)
            {
                ecdsa.Dispose();
                error = $"ECDSA public key is not a valid point on {curve}";
                return false;
            }
        }

        peer = new PeerHostIdentity(HostIdentityAlgorithm.Ecdsa, curve, hostIdBytes.ToArray(), ecdsa, 2 * domain.FieldLength)
        {
            UsesNativeImport = native,
        };
        return true;
    }

    /// <summary>The validated point as an <see cref="ECDsaOpenSsl"/> via <see cref="OpenSslEc"/>; null to fall back.</summary>
    private static ECDsa? TryImportNative(EcDomain domain, in ECPoint q)
    {
        if (!OpenSslEc.IsAvailable)
        {
            return null;
        }

        using SafeEvpPKeyHandle? handle = OpenSslEc.TryImportPublicKey(domain, q.X, q.Y);
        if (handle is null)
        {
            return null;
        }

        try
        {
            // Takes its own reference to the EVP_PKEY.
            return new ECDsaOpenSsl(handle);
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    private static bool TryCreateRsa(ReadOnlySpan<byte> hostIdBytes, out PeerHostIdentity? peer, out string? error)
    {
        peer = null;
        if (!HostIdEncoding.TryDecodeRsa(hostIdBytes, out RSAParameters parameters, out error))
        {
            return false;
        }

        RSA rsa = RSA.Create();
        try
        {
            rsa.ImportParameters(parameters);
        }
        catch (CryptographicException)
        {
            rsa.Dispose();
            error = "RSA public key was rejected by the crypto library";
            return false;
        }

        peer = new PeerHostIdentity(HostIdentityAlgorithm.Rsa, EccCurve.Reserved, hostIdBytes.ToArray(), rsa, parameters.Modulus!.Length);
        return true;
    }
}
