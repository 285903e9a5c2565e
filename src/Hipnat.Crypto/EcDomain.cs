using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;

namespace Hipnat.Crypto;

/// <summary>
/// A NIST prime curve hipnat uses (P-256, P-384, P-521: y² = x³ − 3x + b over GF(p), FIPS 186-4 §D.1.2), with the
/// validation of untrusted public points.
/// </summary>
/// <remarks>
/// Peers' public keys (ECDSA Host Identities, ECDH public values) are validated as in SEC 1 v2 §3.2.2.1 steps 1–3
/// and NIST SP 800-56A Rev. 3 §5.6.2.3.4 (ECC partial public-key validation): Q is not the point at infinity, both
/// coordinates are in [0, p−1], and Q satisfies the curve equation. The remaining step of full validation, nQ = O,
/// follows from these for a curve of prime order n (cofactor 1, true for all three curves): every finite point on
/// such a curve has order n. It is that check (a full scalar multiplication, the bulk of OpenSSL's EC_KEY_check_key)
/// that makes importing a key through the BCL slow, and it is the one skipped on the fast import path. The same
/// reasoning is applied to IKEv2 ECP groups in RFC 6989.
/// </remarks>
internal sealed class EcDomain
{
    public static readonly EcDomain P256 = new(
        0,
        "prime256v1",
        32,
        ECCurve.NamedCurves.nistP256,
        "FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF",
        "5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B");

    public static readonly EcDomain P384 = new(
        1,
        "secp384r1",
        48,
        ECCurve.NamedCurves.nistP384,
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFFFF0000000000000000FFFFFFFF",
        "B3312FA7E23EE7E4988E056BE3F82D19181D9C6EFE8141120314088F5013875AC656398D8A2ED19D2A85C8EDD3EC2AEF");

    public static readonly EcDomain P521 = new(
        2,
        "secp521r1",
        66,
        ECCurve.NamedCurves.nistP521,
        "01FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
        "0051953EB9618E1C9A1F929A21A0B68540EEA2DA725B99B315F3B8B489918EF109E156193951EC7E937B1652C0BD3BB1BF073573DF883D2C34F1EF451FD46B503F00");

    /// <summary>Number of domains (for per-domain tables indexed by <see cref="Index"/>).</summary>
    public const int Count = 3;

    private EcDomain(int index, string openSslGroupName, int fieldLength, ECCurve curve, string primeHex, string bHex)
    {
        Index = index;
        OpenSslGroupName = openSslGroupName;
        FieldLength = fieldLength;
        Curve = curve;
        Prime = BigInteger.Parse("0" + primeHex, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        B = BigInteger.Parse("0" + bHex, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
    }

    public int Index { get; }

    /// <summary>The OpenSSL group name (OSSL_PKEY_PARAM_GROUP_NAME).</summary>
    public string OpenSslGroupName { get; }

    /// <summary>Octets in one coordinate (and in an ECDH shared secret).</summary>
    public int FieldLength { get; }

    public ECCurve Curve { get; }

    public BigInteger Prime { get; }

    public BigInteger B { get; }

    public static EcDomain For(EccCurve curve) => curve switch
    {
        EccCurve.NistP256 => P256,
        EccCurve.NistP384 => P384,
        _ => throw new ArgumentOutOfRangeException(nameof(curve), curve, "unsupported ECC curve"),
    };

    /// <summary>
    /// Partial public-key validation of the affine point (x, y), each coordinate given big-endian in exactly
    /// <see cref="FieldLength"/> octets: both coordinates below p and y² = x³ − 3x + b (mod p). The point at infinity
    /// has no affine form, and (0, 0) is not on these curves (b ≠ 0), so an all-zero encoding is rejected too.
    /// </summary>
    public bool IsValidPublicPoint(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y)
    {
        if (x.Length != FieldLength || y.Length != FieldLength)
        {
            return false;
        }

        var bx = new BigInteger(x, isUnsigned: true, isBigEndian: true);
        var by = new BigInteger(y, isUnsigned: true, isBigEndian: true);
        BigInteger p = Prime;
        if (bx >= p || by >= p)
        {
            return false;
        }

        BigInteger left = by * by % p;
        BigInteger right = ((((bx * bx) - 3) % p * bx) + B) % p;
        if (right.Sign < 0)
        {
            right += p;
        }

        return left == right;
    }
}
