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
