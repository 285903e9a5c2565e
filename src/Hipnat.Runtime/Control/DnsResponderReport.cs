namespace Hipnat.Runtime.Control;

/// <summary>The local DNS responder as "status" reports it.</summary>
public sealed class DnsResponderReport
{
    /// <summary>The addresses it listens on (UDP and TCP).</summary>
    public List<string> Listen { get; set; } = [];

    /// <summary>The servers other queries are forwarded to.</summary>
    public List<string> Upstream { get; set; } = [];

    /// <summary>Queries received.</summary>
    public long Queries { get; set; }

    /// <summary>Answered here with a peer's HIT (AAAA) or LSI (A).</summary>
    public long Answered { get; set; }

    /// <summary>Forwarded upstream, the response relayed back.</summary>
    public long Forwarded { get; set; }

    /// <summary>Answered with SERVFAIL: a refused HIP record, an unreachable peer, no upstream response.</summary>
    public long Failed { get; set; }

    /// <summary>Answered with FORMERR: a question that could not be read.</summary>
    public long FormatErrors { get; set; }

    /// <summary>Dropped without an answer.</summary>
    public long Dropped { get; set; }

    /// <summary>Dropped messages by reason (Short, NotAQuery, Busy, TcpFraming).</summary>
    public Dictionary<string, long> Drops { get; set; } = [];
}
