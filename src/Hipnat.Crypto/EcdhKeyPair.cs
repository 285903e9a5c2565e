using System.Security.Cryptography;

namespace Hipnat.Crypto;

/// <summary>ECDH on a NIST curve (DH groups 7, 8, 9; RFC 7401 §5.2.7, RFC 5903). All three have co-factor 1.</summary>
internal sealed class EcdhKeyPair : DhKeyPair
{
    private readonly ECDiffieHellman _key;
    private readonly ECCurve _curve;
    private readonly int _fieldLength;

    public EcdhKeyPair(DhGroupId group, ECCurve curve, int fieldLength)
        : this(group, curve, fieldLength, ECDiffieHellman.Create(curve))
    {
    }

    private EcdhKeyPair(DhGroupId group, ECCurve curve, int fieldLength, ECDiffieHellman key)
        : base(group, EncodePublic(key, fieldLength))
    {
        _key = key;
        _curve = curve;
        _fieldLength = fieldLength;
    }

    private protected override bool TryDeriveCore(ReadOnlySpan<byte> peerPublicValue, Span<byte> secret, out int bytesWritten)
    {
        bytesWritten = 0;
        int n = _fieldLength;

        // RFC 5903 §7: the public value is x | y. A SEC1 uncompressed point (0x04 | x | y) is tolerated.
        if (peerPublicValue.Length == (2 * n) + 1 && peerPublicValue[0] == 0x04)
        {
            peerPublicValue = peerPublicValue[1..];
        }

        if (peerPublicValue.Length != 2 * n)
        {
            return false;
        }

        var parameters = new ECParameters
        {
            Curve = _curve,
            Q = new ECPoint { X = peerPublicValue[..n].ToArray(), Y = peerPublicValue[n..].ToArray() },
        };

        // The import rejects points that are not on the curve (CryptographicException, mapped to false by the caller).
        using ECDiffieHellman peer = ECDiffieHellman.Create(parameters);
        using ECDiffieHellmanPublicKey peerKey = peer.PublicKey;

        // RFC 5903 §7: the shared secret is the x coordinate of the shared point.
        byte[] x = _key.DeriveRawSecretAgreement(peerKey);
        try
        {
            HostIdEncoding.WriteFixed(x, secret[..n]);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(x);
        }

        bytesWritten = n;
        return true;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _key.Dispose();
        }

        base.Dispose(disposing);
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
