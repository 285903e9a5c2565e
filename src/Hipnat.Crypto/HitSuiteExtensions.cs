using System.Security.Cryptography;

namespace Hipnat.Crypto;

/// <summary>
/// What a HIT Suite fixes (RFC 7401 §5.2.10, Table 10): the hash (RHASH), the HMAC for HIP_MAC/HIP_MAC_2
/// and the signature algorithm family; plus the HIT_SUITE_LIST encoding.
/// </summary>
public static class HitSuiteExtensions
{
    /// <summary>True for the suites RFC 7401 defines (1, 2, 3).</summary>
    public static bool IsDefined(this HitSuite suite) =>
        suite is HitSuite.RsaDsaSha256 or HitSuite.EcdsaSha384 or HitSuite.EcdsaLowSha1;

    /// <summary>The RHASH function of the suite (RFC 7401 §2.3, Table 10).</summary>
    public static HashAlgorithmName RhashAlgorithm(this HitSuite suite) => suite switch
    {
        HitSuite.RsaDsaSha256 => HashAlgorithmName.SHA256,
        HitSuite.EcdsaSha384 => HashAlgorithmName.SHA384,
        HitSuite.EcdsaLowSha1 => HashAlgorithmName.SHA1,
        _ => throw Unknown(suite),
    };

    /// <summary>RHASH_len / 8: the natural output length of RHASH in octets (RFC 7401 §2.3).</summary>
    public static int RhashLength(this HitSuite suite) => suite switch
    {
        HitSuite.RsaDsaSha256 => SHA256.HashSizeInBytes,
        HitSuite.EcdsaSha384 => SHA384.HashSizeInBytes,
        HitSuite.EcdsaLowSha1 => SHA1.HashSizeInBytes,
        _ => throw Unknown(suite),
    };

    /// <summary>RHASH_len in bits.</summary>
    public static int RhashBits(this HitSuite suite) => suite.RhashLength() * 8;

    /// <summary>
    /// The hash underlying the HMAC of HIP_MAC and HIP_MAC_2: HMAC-SHA-256, HMAC-SHA-384 or HMAC-SHA-1
    /// (RFC 7401 §5.2.10, §6.4.1). It is always the suite's RHASH.
    /// </summary>
    public static HashAlgorithmName HmacAlgorithm(this HitSuite suite) => suite.RhashAlgorithm();

    /// <summary>Length of the HMAC value and of the HIP integrity key in octets (RFC 7401 §5.2.12, §6.5).</summary>
    public static int HmacLength(this HitSuite suite) => suite.RhashLength();

    /// <summary>The eight-bit HIT_SUITE_LIST ID: the four-bit suite in the upper bits, low bits zero (RFC 7401 §5.2.10).</summary>
    public static byte ToHitSuiteListId(this HitSuite suite) => (byte)((byte)suite << 4);

    /// <summary>
    /// Decodes an eight-bit HIT_SUITE_LIST ID. Fails when the four low-order bits are not zero (RFC 7401 §5.2.10:
    /// "SHOULD be considered as an error") or when the suite is not one RFC 7401 defines.
    /// </summary>
    public static bool TryFromHitSuiteListId(byte id, out HitSuite suite)
    {
        suite = (HitSuite)(id >> 4);
        if ((id & 0x0F) != 0 || !suite.IsDefined())
        {
            suite = HitSuite.Reserved;
            return false;
        }

        return true;
    }

    /// <summary>Maps a HIT's four-bit OGA ID (RFC 7343 §2) to a suite; fails for reserved or unknown IDs.</summary>
    public static bool TryFromOgaId(int ogaId, out HitSuite suite)
    {
        suite = (HitSuite)ogaId;
        if (ogaId is < 0 or > 15 || !suite.IsDefined())
        {
            suite = HitSuite.Reserved;
            return false;
        }

        return true;
    }

    /// <summary>The HIT suite a host identity of the given algorithm belongs to (RFC 7401 §5.2.10, Table 10).</summary>
    public static HitSuite ToHitSuite(this HostIdentityAlgorithm algorithm) => algorithm switch
    {
        HostIdentityAlgorithm.Rsa or HostIdentityAlgorithm.Dsa => HitSuite.RsaDsaSha256,
        HostIdentityAlgorithm.Ecdsa => HitSuite.EcdsaSha384,
        HostIdentityAlgorithm.EcdsaLow => HitSuite.EcdsaLowSha1,
        _ => HitSuite.Reserved,
    };

    /// <summary>Computes RHASH(source) into destination; returns the number of octets written.</summary>
    public static int Hash(this HitSuite suite, ReadOnlySpan<byte> source, Span<byte> destination) => suite switch
    {
        HitSuite.RsaDsaSha256 => SHA256.HashData(source, destination),
        HitSuite.EcdsaSha384 => SHA384.HashData(source, destination),
        HitSuite.EcdsaLowSha1 => SHA1.HashData(source, destination),
        _ => throw Unknown(suite),
    };

    /// <summary>Computes HMAC-RHASH(key, source) into destination; returns the number of octets written.</summary>
    public static int Hmac(this HitSuite suite, ReadOnlySpan<byte> key, ReadOnlySpan<byte> source, Span<byte> destination) => suite switch
    {
        HitSuite.RsaDsaSha256 => HMACSHA256.HashData(key, source, destination),
        HitSuite.EcdsaSha384 => HMACSHA384.HashData(key, source, destination),
        HitSuite.EcdsaLowSha1 => HMACSHA1.HashData(key, source, destination),
        _ => throw Unknown(suite),
    };

    private static ArgumentOutOfRangeException Unknown(HitSuite suite) =>
        new(nameof(suite), suite, "not a HIT suite defined by RFC 7401 §5.2.10");
}
