namespace Hipnat.Runtime.Names;

/// <summary>Why a peer name could not be turned into a HIT and locators.</summary>
public enum NameResolutionFailure
{
    /// <summary>Not a host name (empty, bad characters, too long).</summary>
    InvalidName,

    /// <summary>The DNS says the name does not exist (RCODE 3, NXDOMAIN), and the names file does not have it.</summary>
    NotFound,

    /// <summary>The name exists but has no HIP record (RFC 8005 §3: RCODE 0 and an empty answer).</summary>
    NoHipRecord,

    /// <summary>A HIP record is malformed or its key is not a usable host identity.</summary>
    BadRecord,

    /// <summary>The record's HIT is not the HIT of its public key (RFC 8005 §4.1).</summary>
    HitMismatch,

    /// <summary>No rendezvous server (nor the name itself) has an A or AAAA record.</summary>
    NoLocators,

    /// <summary>The DNS server did not answer or answered with an error (SERVFAIL, REFUSED, a timeout).</summary>
    DnsFailure,

    /// <summary>The names file cannot be read or has a bad line.</summary>
    NamesFile,
}
