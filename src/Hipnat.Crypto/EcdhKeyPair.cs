using System.Security.Cryptography;

namespace Hipnat.Crypto;

/// <summary>ECDH on a NIST curve (DH groups 7, 8, 9; RFC 7401 §5.2.7, RFC 5903). All three have co-factor 1.</summary>
internal sealed class EcdhKeyPair : DhKeyPair
{
    private readonly ECDiffieHellman _key;
    private readonly EcDomain _domain;

    // The same private key as an OpenSSL EVP_PKEY, for the fast derivation (null when OpenSslEc is unavailable).
    private readonly SafeEvpPKeyHandle? _nativeKey;

    public EcdhKeyPair(DhGroupId group, EcDomain domain)
        : this(group, domain, allowNative: true)
    {
    }

    /// <param name="allowNative">False forces the BCL path (tests of the fallback).</param>
    internal EcdhKeyPair(DhGroupId group, EcDomain domain, bool allowNative)
        : this(group, domain, CreateKey(domain, allowNative, out SafeEvpPKeyHandle? nativeKey), nativeKey)
    {
    }

    private EcdhKeyPair(DhGroupId group, EcDomain domain, ECDiffieHellman key, SafeEvpPKeyHandle? nativeKey)
        : base(group, EncodePublic(key, domain.FieldLength))
    {
        _key = key;
        _domain = domain;
        _nativeKey = nativeKey;
    }

    /// <summary>True when derivations use the native path (<see cref="OpenSslEc"/>).</summary>
    internal bool UsesNativeDerivation => _nativeKey is not null;

    private protected override bool TryDeriveCore(ReadOnlySpan<byte> peerPublicValue, Span<byte> secret, out int bytesWritten)
    {
        bytesWritten = 0;
        int n = _domain.FieldLength;

        // RFC 5903 §7: the public value is x | y. A SEC1 uncompressed point (0x04 | x | y) is tolerated.
        if (peerPublicValue.Length == (2 * n) + 1 && peerPublicValue[0] == 0x04)
        {
            peerPublicValue = peerPublicValue[1..];
        }

        if (peerPublicValue.Length != 2 * n)
        {
            return false;
        }

        ReadOnlySpan<byte> x = peerPublicValue[..n];
        ReadOnlySpan<byte> y = peerPublicValue[n..];

        // Partial public-key validation, sufficient on these cofactor-1 curves (see EcDomain).
        if (!_domain.IsValidPublicPoint(x, y))
        {
            return false;
        }

        // RFC 5903 §7: the shared secret is the x coordinate of the shared point.
        if (_nativeKey is not null && OpenSslEc.IsAvailable)
        {
            using SafeEvpPKeyHandle? peer = OpenSslEc.TryImportPublicKey(_domain, x, y);
            if (peer is not null && OpenSslEc.TryDerive(_nativeKey, peer, secret[..n]))
            {
                bytesWritten = n;
                return true;
            }

            // Not expected for a validated point; the BCL path below decides.
        }

        var parameters = new ECParameters
        {
            Curve = _domain.Curve,
            Q = new ECPoint { X = x.ToArray(), Y = y.ToArray() },
        };

        // The import checks the point again (CryptographicException, mapped to false by the caller).
        using ECDiffieHellman peerKey = ECDiffieHellman.Create(parameters);
        using ECDiffieHellmanPublicKey peerPublic = peerKey.PublicKey;
        byte[] shared = _key.DeriveRawSecretAgreement(peerPublic);
        try
        {
            HostIdEncoding.WriteFixed(shared, secret[..n]);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(shared);
        }

        bytesWritten = n;
        return true;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _nativeKey?.Dispose();
            _key.Dispose();
        }

        base.Dispose(disposing);
    }

    private static ECDiffieHellman CreateKey(EcDomain domain, bool allowNative, out SafeEvpPKeyHandle? nativeKey)
    {
        nativeKey = null;
        if (allowNative && OpenSslEc.IsAvailable)
        {
            var key = new ECDiffieHellmanOpenSsl(domain.Curve);
            try
            {
                nativeKey = key.DuplicateKeyHandle();
                return key;
            }
            catch (CryptographicException)
            {
                key.Dispose();
            }
        }

        return ECDiffieHellman.Create(domain.Curve);
    }

    private static byte[] EncodePublic(ECDiffieHellman key, int n)
    {
        ECParameters p = key.ExportParameters(includePrivateParameters: false);
        var value = new byte[2 * n];
        HostIdEncoding.WriteFixed(p.Q.X, value.AsSpan(0, n));
        HostIdEncoding.WriteFixed(p.Q.Y, value.AsSpan(n, n));
        return value;
    }
}
