using System.Buffers.Binary;

namespace Hipnat.Wire.Dns;

/// <summary>
/// The 12-octet header of a DNS message (RFC 1035 §4.1.1): ID, the flags word (QR, Opcode, AA, TC, RD, RA, Z, AD,
/// CD, RCODE) and the four section counts.
/// </summary>
public readonly record struct DnsHeader(ushort Id, ushort Flags, ushort QuestionCount, ushort AnswerCount, ushort AuthorityCount, ushort AdditionalCount)
{
    /// <summary>Octets of the header.</summary>
    public const int Length = 12;

    /// <summary>QR: set in responses.</summary>
    public const ushort ResponseFlag = 0x8000;

    /// <summary>AA: authoritative answer.</summary>
    public const ushort AuthoritativeFlag = 0x0400;

    /// <summary>TC: the message was truncated to fit the transport.</summary>
    public const ushort TruncatedFlag = 0x0200;

    /// <summary>RD: recursion desired (copied from the query into the response).</summary>
    public const ushort RecursionDesiredFlag = 0x0100;

    /// <summary>RA: recursion available.</summary>
    public const ushort RecursionAvailableFlag = 0x0080;

    /// <summary>CD: checking disabled (RFC 4035 §3.2.2; copied from the query).</summary>
    public const ushort CheckingDisabledFlag = 0x0010;

    public bool IsResponse => (Flags & ResponseFlag) != 0;

    /// <summary>Kind of query, 4 bits (0: a standard query, QUERY).</summary>
    public int Opcode => (Flags >> 11) & 0xF;

    public bool IsTruncated => (Flags & TruncatedFlag) != 0;

    public bool RecursionDesired => (Flags & RecursionDesiredFlag) != 0;

    /// <summary>The response code, 4 bits (RFC 1035 §4.1.1).</summary>
    public DnsResponseCode ResponseCode => (DnsResponseCode)(Flags & 0xF);

    /// <summary>Reads a header from the start of <paramref name="message"/>; false when it is shorter than 12 octets.</summary>
    public static bool TryRead(ReadOnlySpan<byte> message, out DnsHeader header)
    {
        if (message.Length < Length)
        {
            header = default;
            return false;
        }

        header = new DnsHeader(
            BinaryPrimitives.ReadUInt16BigEndian(message),
            BinaryPrimitives.ReadUInt16BigEndian(message[2..]),
            BinaryPrimitives.ReadUInt16BigEndian(message[4..]),
            BinaryPrimitives.ReadUInt16BigEndian(message[6..]),
            BinaryPrimitives.ReadUInt16BigEndian(message[8..]),
            BinaryPrimitives.ReadUInt16BigEndian(message[10..]));
        return true;
    }

    /// <summary>Writes the header into the first 12 octets of <paramref name="destination"/>.</summary>
    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, Id);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], Flags);
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], QuestionCount);
        BinaryPrimitives.WriteUInt16BigEndian(destination[6..], AnswerCount);
        BinaryPrimitives.WriteUInt16BigEndian(destination[8..], AuthorityCount);
        BinaryPrimitives.WriteUInt16BigEndian(destination[10..], AdditionalCount);
    }
}
