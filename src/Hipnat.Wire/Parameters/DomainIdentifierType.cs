namespace Hipnat.Wire.Parameters;

/// <summary>DI-Type of HOST_ID, a 4-bit field (RFC 7401 §5.2.9).</summary>
public enum DomainIdentifierType : byte
{
    None = 0,

    /// <summary>Fully Qualified Domain Name in RFC 1035 §3.1 binary format.</summary>
    Fqdn = 1,

    /// <summary>Network Access Identifier (RFC 4282).</summary>
    Nai = 2,
}
