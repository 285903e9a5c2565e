namespace Hipnat.Wire.Dns;

/// <summary>RCODE values of the DNS header (RFC 1035 §4.1.1).</summary>
public enum DnsResponseCode
{
    /// <summary>No error.</summary>
    NoError = 0,

    /// <summary>The server could not interpret the query.</summary>
    FormatError = 1,

    /// <summary>The server could not process the query.</summary>
    ServerFailure = 2,

    /// <summary>The name does not exist.</summary>
    NameError = 3,

    /// <summary>The server does not support this kind of query.</summary>
    NotImplemented = 4,

    /// <summary>The server refuses to answer for policy reasons.</summary>
    Refused = 5,
}
