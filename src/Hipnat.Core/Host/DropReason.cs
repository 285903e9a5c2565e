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
}
