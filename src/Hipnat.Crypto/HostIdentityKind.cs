namespace Hipnat.Crypto;

/// <summary>The kinds of host identity hipnat can generate and sign with.</summary>
public enum HostIdentityKind
{
    /// <summary>ECDSA on NIST P-256 (HI algorithm ECDSA, HIT suite ECDSA/SHA-384).</summary>
    EcdsaP256,

    /// <summary>ECDSA on NIST P-384 (HI algorithm ECDSA, HIT suite ECDSA/SHA-384).</summary>
    EcdsaP384,

    /// <summary>RSA (HI algorithm RSA, HIT suite RSA,DSA/SHA-256), 3072 bits unless stated otherwise.</summary>
    Rsa,
}
