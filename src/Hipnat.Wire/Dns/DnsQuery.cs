namespace Hipnat.Wire.Dns;

/// <summary>
/// A DNS query as the local responder sees it: its header and its first question (RFC 1035 §4.1). The other
/// sections (an EDNS OPT record, RFC 6891) are not read: a query that is answered locally is answered without them,
/// and one that is forwarded goes as it came.
/// </summary>
public readonly record struct DnsQuery(DnsHeader Header, DnsQuestion Question)
{
    /// <summary>True when the header announces at least one question and <see cref="Question"/> holds the first.</summary>
    public bool HasQuestion => Header.QuestionCount > 0;

    /// <summary>
    /// Reads the header and the first question of <paramref name="message"/>. Never throws: a message shorter than a
    /// header, or whose first question is cut off or malformed, ends in a <see cref="WireError"/>. The header is set
    /// whenever the message has 12 octets, so that a format error can still be answered.
    /// </summary>
    public static WireError TryParse(ReadOnlySpan<byte> message, out DnsQuery query)
    {
        query = default;
        var reader = new DnsMessageReader(message);
        try
        {
            var header = reader.ReadHeader();
            query = new DnsQuery(header, default);
            if (header.QuestionCount > 0)
            {
                query = new DnsQuery(header, reader.ReadQuestion());
            }

            return WireError.None;
        }
        catch (HipFormatException e)
        {
            return e.Error;
        }
    }
}
