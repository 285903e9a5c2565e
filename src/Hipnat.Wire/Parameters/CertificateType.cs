namespace Hipnat.Wire.Parameters;

/// <summary>Cert type of the CERT parameter (RFC 6253 §2).</summary>
public enum CertificateType : byte
{
    Reserved = 0,
    X509V3 = 1,
    Spki = 2,
    HashAndUrlX509V3 = 3,
    HashAndUrlSpki = 4,
    LdapUrlX509V3 = 5,
    LdapUrlSpki = 6,
    DistinguishedNameX509V3 = 7,
    DistinguishedNameSpki = 8,
}
