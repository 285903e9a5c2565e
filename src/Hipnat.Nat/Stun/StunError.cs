namespace Hipnat.Nat.Stun;

/// <summary>Why bytes were rejected by the STUN codec. Parsing untrusted input ends in one of these, never in an exception.</summary>
public enum StunError
{
    None = 0,

    /// <summary>Fewer than the 20 octets of the STUN header (RFC 8489 §5).</summary>
    TooShort,

    /// <summary>The two most significant bits are not zero (RFC 8489 §5): not STUN.</summary>
    NotStun,

    /// <summary>The magic cookie is not 0x2112A442 (RFC 8489 §5).</summary>
    BadMagicCookie,

    /// <summary>Message Length not a multiple of 4, or not equal to the octets after the header.</summary>
    BadLength,

    /// <summary>An attribute header or value (with padding) runs past the end of the message (RFC 8489 §14).</summary>
    AttributeTruncated,

    /// <summary>A known attribute's value violates its format (length, family, UTF-8, limits).</summary>
    InvalidAttribute,

    /// <summary>An attribute follows FINGERPRINT, which MUST be last (RFC 8489 §14.7).</summary>
    FingerprintNotLast,

    /// <summary>The FINGERPRINT CRC does not match (RFC 8489 §7): discard, it may not be STUN.</summary>
    BadFingerprint,

    /// <summary>No MESSAGE-INTEGRITY / MESSAGE-INTEGRITY-SHA256 to verify.</summary>
    MissingMessageIntegrity,

    /// <summary>The HMAC does not match (RFC 8489 §14.5, §14.6).</summary>
    BadMessageIntegrity,
}
