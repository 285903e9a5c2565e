namespace Hipnat.Wire.Parameters;

/// <summary>Failure Type of REG_FAILED (RFC 8003 §4.5, §7; RFC 9028 §7.8).</summary>
public enum RegistrationFailureType : byte
{
    AdditionalCredentialsRequired = 0,
    TypeUnavailable = 1,
    InsufficientResources = 2,
    InvalidCertificate = 3,
    BadCertificate = 4,
    UnsupportedCertificate = 5,
    CertificateExpired = 6,
    CertificateOther = 7,
    UnknownCa = 8,

    /// <summary>Simultaneous rendezvous and control relay service usage prohibited (RFC 9028 §7.8).</summary>
    SimultaneousRendezvousAndRelayProhibited = 9,
}
