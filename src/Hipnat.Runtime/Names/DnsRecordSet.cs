namespace Hipnat.Runtime.Names;

/// <summary>
/// The records of one type at one name, as RDATA octets, and the smallest of their TTLs; for a name error or no
/// data, how long that may be remembered (RFC 2308 §5; zero when the response carried no SOA).
/// </summary>
public sealed record DnsRecordSet(DnsAnswerStatus Status, IReadOnlyList<byte[]> Data, TimeSpan Ttl)
{
    public static DnsRecordSet NameError { get; } = new(DnsAnswerStatus.NameError, [], TimeSpan.Zero);

    public static DnsRecordSet NoData { get; } = new(DnsAnswerStatus.NoData, [], TimeSpan.Zero);

    /// <summary>A name error or no data that may be remembered for <paramref name="negativeTtl"/>.</summary>
    public static DnsRecordSet Negative(DnsAnswerStatus status, TimeSpan negativeTtl) =>
        negativeTtl <= TimeSpan.Zero ? (status == DnsAnswerStatus.NameError ? NameError : NoData) : new(status, [], negativeTtl);
}
