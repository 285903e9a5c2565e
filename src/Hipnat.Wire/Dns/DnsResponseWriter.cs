using System.Buffers.Binary;

namespace Hipnat.Wire.Dns;

/// <summary>
/// Builds the local responder's own responses to a query (RFC 1035 §4.1): the query's ID and opcode, QR and RA set,
/// RD and CD copied, its first question repeated octet for octet, and at most one answer record of the question's
/// type and class whose owner is a pointer to the question's name (§4.1.4).
/// </summary>
public static class DnsResponseWriter
{
    /// <summary>The largest TTL (RFC 2181 §8: a value with the most significant bit set is treated as zero).</summary>
    public const uint MaxTtl = int.MaxValue;

    /// <summary>Octets of one answer with a compressed owner name and <paramref name="rdataLength"/> octets of RDATA.</summary>
    public static int AnswerLength(int rdataLength) => 2 + 2 + 2 + 4 + 2 + rdataLength;

    /// <summary>
    /// The response to <paramref name="query"/> (whose parsed form is <paramref name="parsed"/>, with a question):
    /// <paramref name="code"/> and, when <paramref name="rdata"/> is not empty, one answer carrying it with
    /// <paramref name="ttl"/> seconds.
    /// </summary>
    public static byte[] Response(ReadOnlySpan<byte> query, in DnsQuery parsed, DnsResponseCode code, uint ttl = 0, ReadOnlySpan<byte> rdata = default)
    {
        if (!parsed.HasQuestion)
        {
            throw new ArgumentException("the query has no question to answer", nameof(parsed));
        }

        var q = parsed.Question;
        if (q.Offset < DnsHeader.Length || q.Offset + q.Length > query.Length)
        {
            throw new ArgumentException("the question does not lie within the query", nameof(parsed));
        }

        bool answer = !rdata.IsEmpty;
        var message = new byte[DnsHeader.Length + q.Length + (answer ? AnswerLength(rdata.Length) : 0)];
        new DnsHeader(parsed.Header.Id, Flags(parsed.Header, code), 1, (ushort)(answer ? 1 : 0), 0, 0).Write(message);
        query.Slice(q.Offset, q.Length).CopyTo(message.AsSpan(DnsHeader.Length));
        if (answer)
        {
            var a = message.AsSpan(DnsHeader.Length + q.Length);
            // The owner is the question's name: a pointer to offset 12 (RFC 1035 §4.1.4).
            BinaryPrimitives.WriteUInt16BigEndian(a, (ushort)(0xC000 | DnsHeader.Length));
            BinaryPrimitives.WriteUInt16BigEndian(a[2..], q.Type);
            BinaryPrimitives.WriteUInt16BigEndian(a[4..], q.Class);
            BinaryPrimitives.WriteUInt32BigEndian(a[6..], Math.Min(ttl, MaxTtl));
            BinaryPrimitives.WriteUInt16BigEndian(a[10..], (ushort)rdata.Length);
            rdata.CopyTo(a[12..]);
        }

        return message;
    }

    /// <summary>A response without a question section, for a query whose question cannot be read (FORMERR).</summary>
    public static byte[] HeaderOnly(in DnsHeader query, DnsResponseCode code)
    {
        var message = new byte[DnsHeader.Length];
        new DnsHeader(query.Id, Flags(query, code), 0, 0, 0, 0).Write(message);
        return message;
    }

    private static ushort Flags(in DnsHeader query, DnsResponseCode code) => (ushort)(
        DnsHeader.ResponseFlag
        | (query.Opcode << 11)
        | (query.Flags & (DnsHeader.RecursionDesiredFlag | DnsHeader.CheckingDisabledFlag))
        | DnsHeader.RecursionAvailableFlag
        | ((int)code & 0xF));
}
