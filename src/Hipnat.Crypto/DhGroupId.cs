namespace Hipnat.Crypto;

/// <summary>
/// DH Group IDs of the DIFFIE_HELLMAN and DH_GROUP_LIST parameters (RFC 7401 §5.2.7). Every group uses HKDF
/// with RHASH as its KDF (RFC 7401 §6.5).
/// </summary>
public enum DhGroupId : byte
{
    Reserved = 0,
    Deprecated1 = 1,
    Deprecated2 = 2,

    /// <summary>1536-bit MODP group (RFC 3526 §2). MUST be implemented.</summary>
    Modp1536 = 3,

    /// <summary>3072-bit MODP group (RFC 3526 §4). SHOULD be implemented.</summary>
    Modp3072 = 4,
    Deprecated5 = 5,
    Deprecated6 = 6,

    /// <summary>NIST P-256 ECDH (RFC 5903).</summary>
    NistP256 = 7,

    /// <summary>NIST P-384 ECDH (RFC 5903). SHOULD be implemented.</summary>
    NistP384 = 8,

    /// <summary>NIST P-521 ECDH (RFC 5903).</summary>
    NistP521 = 9,

    /// <summary>SECP160R1 ECDH (RFC 7401 Appendix D). Not implemented by hipnat.</summary>
    Secp160R1 = 10,

    /// <summary>2048-bit MODP group (RFC 3526 §3).</summary>
    Modp2048 = 11,
}
