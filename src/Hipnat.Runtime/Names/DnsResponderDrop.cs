namespace Hipnat.Runtime.Names;

/// <summary>Why the local DNS responder dropped a message without answering it.</summary>
public enum DnsResponderDrop
{
    /// <summary>Fewer than the 12 octets of a DNS header (RFC 1035 §4.1.1): nothing to answer to.</summary>
    Short,

    /// <summary>A response (QR set), not a query: answering it could start a loop.</summary>
    NotAQuery,

    /// <summary>Too many queries in progress at once.</summary>
    Busy,

    /// <summary>A TCP connection whose length prefix or message was cut off (RFC 7766 §8).</summary>
    TcpFraming,
}
