namespace Hipnat.Nat.Turn;

/// <summary>Why an allocation failed or was lost.</summary>
public enum TurnFailure
{
    /// <summary>No response within the RFC 8489 §6.2.1 schedule.</summary>
    Timeout,

    /// <summary>401 to a request that already carried credentials: the server does not accept them (RFC 8656 §7.4).</summary>
    Unauthenticated,

    /// <summary>438 (Stale Nonce) again and again past the retry limit.</summary>
    StaleNonce,

    /// <summary>PASSWORD-ALGORITHMS lists no algorithm this client supports (RFC 8489 §9.2.5).</summary>
    UnsupportedPasswordAlgorithm,

    /// <summary>The nonce cookie announces PASSWORD-ALGORITHMS but the attribute is missing: a bid-down (RFC 8489 §9.2.5).</summary>
    DowngradeDetected,

    /// <summary>Every response was discarded for a missing or wrong MESSAGE-INTEGRITY (RFC 8489 §9.2.5).</summary>
    IntegrityViolation,

    /// <summary>437: the server has no allocation for this 5-tuple, or another one uses it (RFC 8656 §5, §7.4).</summary>
    AllocationMismatch,

    /// <summary>The allocation's lifetime ran out before a refresh succeeded.</summary>
    Expired,

    /// <summary>300: the server redirects to ALTERNATE-SERVER (RFC 8656 §7.4).</summary>
    TryAlternate,

    /// <summary>Any other error response; its code is in the event.</summary>
    ErrorResponse,

    /// <summary>A success response without the attributes it must carry, or with unknown comprehension-required ones.</summary>
    MalformedResponse,
}
