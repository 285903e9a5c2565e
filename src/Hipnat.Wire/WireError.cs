namespace Hipnat.Wire;

/// <summary>Why untrusted bytes were rejected by the codec. Every parse of wire data ends in one of these.</summary>
public enum WireError
{
    None = 0,
    /// <summary>Fewer octets than a field or a declared length needs.</summary>
    Truncated,
    /// <summary>More octets than allowed (a length over its maximum, or trailing octets that may not be there).</summary>
    TooLong,
    /// <summary>HIP header fields out of range: Next Header, Header Length, fixed bits (RFC 7401 §5.1).</summary>
    BadHeader,
    /// <summary>HIP version other than 2.</summary>
    UnsupportedVersion,
    /// <summary>A packet type this implementation does not know (RFC 7401 §5.1: MUST drop).</summary>
    UnknownPacketType,
    /// <summary>Parameters not in ascending type order, or equal types not consecutive (RFC 7401 §5.2.1).</summary>
    ParameterOrder,
    /// <summary>A parameter whose Length does not fit the packet, or whose total length is not a multiple of 8.</summary>
    ParameterLength,
    /// <summary>A parameter's contents violate its format (wrong fixed length, reserved value, bad list).</summary>
    InvalidParameter,
    /// <summary>An unrecognised critical parameter (RFC 7401 §5.2.1: MUST NOT process further).</summary>
    UnknownCriticalParameter,
    /// <summary>A parameter the packet type requires is absent.</summary>
    MissingParameter,
    /// <summary>The HIP checksum over the pseudo-header does not verify.</summary>
    BadChecksum,
    /// <summary>The UDP framing of RFC 9028 §5.1 was violated (e.g. non-zero marker, non-zero HIP checksum).</summary>
    BadFraming,
}
