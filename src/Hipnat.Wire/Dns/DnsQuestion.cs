namespace Hipnat.Wire.Dns;

/// <summary>
/// One entry of a DNS message's question section (RFC 1035 §4.1.2): QNAME, QTYPE and QCLASS, and where its octets
/// lie in the message, so a response can repeat them exactly as asked (case included).
/// </summary>
/// <param name="HostName">
/// QNAME as an absolute host name in lower case ("bob.example."), or null when it is not one (the root, or labels
/// with octets other than letters, digits, '-' and '_'): such names are never peer names.
/// </param>
/// <param name="Type">QTYPE.</param>
/// <param name="Class">QCLASS.</param>
/// <param name="Offset">Where the question starts in the message.</param>
/// <param name="Length">Its octets: QNAME, QTYPE and QCLASS.</param>
public readonly record struct DnsQuestion(string? HostName, ushort Type, ushort Class, int Offset, int Length);
