namespace Hipnat.Core.Host;

/// <summary>Why a received datagram was dropped. Each has a counter in <see cref="HipCounters"/>.</summary>
public enum DropReason
{
    Malformed,
    BadFraming,
    BadChecksum,
    NotForUs,
    UnknownAssociation,
    WrongState,
    BadPuzzle,
    StaleR1Counter,
    BadMac,
    BadSignature,

    /// <summary>A packet that must be signed (R1, I2, R2, UPDATE, NOTIFY, CLOSE, CLOSE_ACK) carried no HIP_SIGNATURE(_2).</summary>
    MissingSignature,
    BadHostId,
    HitMismatch,
    UnsupportedParameters,
    DecryptionFailed,
    Duplicate,
    RateLimited,
    NoPermission,

    /// <summary>An answer to a connectivity check arrived on other ports than the check used, or with a wrong echo.</summary>
    CheckMismatch,
    Unexpected,

    /// <summary>An I2 whose puzzle solution (#I, #J of one R1 generation, same Initiator HIT) was already spent on
    /// Diffie-Hellman work, and whose association does not hold an R2 to send again (RFC 7401 §4.1.1, §6.9 step 4).</summary>
    ReplayedI2,

    /// <summary>A control packet the relay would forward for a registered client, over the client's rate limit.</summary>
    RelayRateLimited,
}
