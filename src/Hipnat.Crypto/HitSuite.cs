namespace Hipnat.Crypto;

/// <summary>
/// HIT Suite IDs (RFC 7401 §5.2.10, Table 10). The four-bit value is the ORCHID OGA ID (RFC 7343 §2);
/// the eight-bit HIT_SUITE_LIST encoding carries it in the upper four bits.
/// </summary>
public enum HitSuite : byte
{
    Reserved = 0,

    /// <summary>RSA or DSA host identities, SHA-256 (RHASH), HMAC-SHA-256.</summary>
    RsaDsaSha256 = 1,

    /// <summary>ECDSA host identities, SHA-384 (RHASH), HMAC-SHA-384.</summary>
    EcdsaSha384 = 2,

    /// <summary>ECDSA_LOW host identities, SHA-1 (RHASH), HMAC-SHA-1.</summary>
    EcdsaLowSha1 = 3,
}
