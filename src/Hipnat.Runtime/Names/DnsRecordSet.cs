namespace Hipnat.Runtime.Names;

/// <summary>The records of one type at one name, as RDATA octets, and the smallest of their TTLs.</summary>
public sealed record DnsRecordSet(DnsAnswerStatus Status, IReadOnlyList<byte[]> Data, TimeSpan Ttl)
{
    public static DnsRecordSet NameError { get; } = new(DnsAnswerStatus.NameError, [], TimeSpan.Zero);

    public static DnsRecordSet NoData { get; } = new(DnsAnswerStatus.NoData, [], TimeSpan.Zero);
}
