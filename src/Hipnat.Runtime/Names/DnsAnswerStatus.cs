namespace Hipnat.Runtime.Names;

/// <summary>What a DNS query found (RFC 8005 §3).</summary>
public enum DnsAnswerStatus
{
    /// <summary>RCODE 0 with records of the type asked for.</summary>
    Answer,

    /// <summary>RCODE 0 and no records of that type.</summary>
    NoData,

    /// <summary>RCODE 3: the name does not exist.</summary>
    NameError,
}
