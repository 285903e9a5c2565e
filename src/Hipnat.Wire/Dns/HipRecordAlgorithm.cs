namespace Hipnat.Wire.Dns;

/// <summary>
/// The PK algorithm field of a HIP resource record: the IPSECKEY RR's Algorithm Type values (RFC 8005 §5.2, §9;
/// RFC 4025 §2.4). Not the HOST_ID algorithm numbers of RFC 7401 §5.2.9 (there RSA is 5 and ECDSA 7).
/// </summary>
public enum HipRecordAlgorithm : byte
{
    None = 0,

    /// <summary>A DSA key in the format of RFC 2536.</summary>
    Dsa = 1,

    /// <summary>An RSA key in the format of RFC 3110: exponent length, exponent, modulus.</summary>
    Rsa = 2,

    /// <summary>An ECDSA key in the format of RFC 6605 §4: the point's coordinates x | y, the curve given by the length.</summary>
    Ecdsa = 3,
}
