namespace Hipnat.Wire.Dns;

/// <summary>The RR types and class the local responder deals in.</summary>
public static class DnsRecordTypes
{
    /// <summary>A host address (RFC 1035 §3.2.2).</summary>
    public const ushort A = 1;

    /// <summary>An IPv6 address (RFC 3596 §2.1).</summary>
    public const ushort Aaaa = 28;

    /// <summary>The Internet class, IN (RFC 1035 §3.2.4).</summary>
    public const ushort ClassIn = 1;
}
