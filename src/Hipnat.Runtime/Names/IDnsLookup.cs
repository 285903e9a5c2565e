namespace Hipnat.Runtime.Names;

/// <summary>One DNS query: the records of a type at a name. Failures (no answer, SERVFAIL) throw <see cref="NameResolutionException"/>.</summary>
public interface IDnsLookup
{
    /// <summary>The servers asked, for messages (e.g. "203.0.113.53:53" or "the system resolver (/etc/resolv.conf)").</summary>
    string Servers { get; }

    Task<DnsRecordSet> QueryAsync(string name, ushort type, CancellationToken cancellationToken);
}
