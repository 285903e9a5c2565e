namespace Hipnat.Crypto;

/// <summary>
/// ECC curve labels for the ECDSA algorithm profile of the HOST_ID parameter (RFC 7401 §5.2.9).
/// The ECDSA_LOW profile has its own label space (SECP160R1 = 1), which hipnat does not implement.
/// </summary>
public enum EccCurve : ushort
{
    Reserved = 0,
    NistP256 = 1,
    NistP384 = 2,
}
