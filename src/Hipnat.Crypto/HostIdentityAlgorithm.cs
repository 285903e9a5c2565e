namespace Hipnat.Crypto;

/// <summary>
/// HI algorithm numbers of the HOST_ID parameter (RFC 7401 §5.2.9). The same values are the
/// "SIG alg" of HIP_SIGNATURE and HIP_SIGNATURE_2 (RFC 7401 §5.2.14).
/// </summary>
public enum HostIdentityAlgorithm : ushort
{
    Reserved = 0,
    Dsa = 3,
    Rsa = 5,
    Ecdsa = 7,
    EcdsaLow = 9,
}
