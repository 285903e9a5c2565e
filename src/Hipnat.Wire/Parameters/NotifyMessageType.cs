namespace Hipnat.Wire.Parameters;

/// <summary>
/// Notify Message Types of the NOTIFICATION parameter. 0-16383 report errors, 16384-65535 status
/// (RFC 7401 §5.2.19). Values not listed here are still carried (the enum is open).
/// </summary>
public enum NotifyMessageType : ushort
{
    /// <summary>Data: the two-octet type of the unrecognised critical parameter (RFC 7401 §5.2.19).</summary>
    UnsupportedCriticalParameterType = 1,
    InvalidSyntax = 7,
    NoDhProposalChosen = 14,
    InvalidDhChosen = 15,
    NoHipProposalChosen = 16,
    InvalidHipCipherChosen = 17,

    /// <summary>RFC 7402 §5.1.3.</summary>
    NoEspProposalChosen = 18,

    /// <summary>RFC 7402 §5.1.3.</summary>
    InvalidEspTransformChosen = 19,
    UnsupportedHitSuite = 20,
    AuthenticationFailed = 24,
    ChecksumFailed = 26,
    HipMacFailed = 28,
    EncryptionFailed = 32,
    InvalidHit = 40,
    BlockedByPolicy = 42,
    ResponderBusyPleaseRetry = 44,

    /// <summary>RFC 8046 §5.3, §7: data holds the locator(s) that could not be processed.</summary>
    LocatorTypeUnsupported = 46,

    /// <summary>RFC 6253 §6.</summary>
    CredentialsRequired = 48,

    /// <summary>RFC 6253 §6: data MAY hold (Cert group, Cert ID) octet pairs.</summary>
    InvalidCertificate = 50,

    /// <summary>RFC 8003 §3.2.</summary>
    RegRequired = 51,

    /// <summary>RFC 5770 §5.10, RFC 9028 §5.10.</summary>
    NoValidNatTraversalModeParameter = 60,

    /// <summary>RFC 5770 §5.10, RFC 9028 §5.10.</summary>
    ConnectivityChecksFailed = 61,

    /// <summary>RFC 5770 §5.10, RFC 9028 §5.10.</summary>
    MessageNotRelayed = 62,

    /// <summary>RFC 9028 §5.10.</summary>
    ServerReflexiveCandidateAllocationFailed = 63,

    /// <summary>RFC 9028 §5.10.</summary>
    RvsHmacProhibitedWithRelay = 64,

    /// <summary>Status (RFC 7401 §5.2.19).</summary>
    I2Acknowledgement = 16384,

    /// <summary>Status, empty data: the NAT keepalive NOTIFY (RFC 9028 §5.3).</summary>
    NatKeepalive = 16385,

    /// <summary>
    /// Status, hipnat's own (RFC 7401 §5.2.19 and IANA: 40960-65535 for private use, chosen at random): "I hear
    /// nothing from you on our active pair", sent through the relay by a host whose active path went silent, so
    /// that a peer whose outbound path failed while it still hears us moves off it. Data: none. A host that does not
    /// know the type ignores it (status types are informational).
    /// </summary>
    PathUnheard = 52753,
}
