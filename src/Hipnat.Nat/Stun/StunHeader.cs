using System.Buffers.Binary;

namespace Hipnat.Nat.Stun;

/// <summary>
/// The 20-octet STUN header (RFC 8489 §5): 0b00 + 14-bit type, 16-bit length, magic cookie 0x2112A442,
/// 96-bit transaction ID.
/// </summary>
public readonly record struct StunHeader(StunMethod Method, StunClass Class, int Length, StunTransactionId TransactionId)
{
    public const int Size = 20;
    public const uint MagicCookie = 0x2112A442;

    /// <summary>Largest Message Length: the 16-bit field, a multiple of 4.</summary>
    public const int MaxLength = 0xFFFC;

    /// <summary>
    /// Demultiplexing test for a datagram on a shared port (RFC 8489 §5-§6, RFC 5770 §5.3): the first two bits
    /// are zero, the magic cookie is in place and the Message Length, a multiple of 4, covers the rest exactly.
    /// Never throws.
    /// </summary>
    public static bool IsStun(ReadOnlySpan<byte> datagram) => TryRead(datagram, out _) == StunError.None;

    /// <summary>Reads and checks the header of a whole datagram (length must match exactly).</summary>
    public static StunError TryRead(ReadOnlySpan<byte> datagram, out StunHeader header)
    {
        header = default;
        if (datagram.Length < Size)
        {
            return StunError.TooShort;
        }

        ushort type = BinaryPrimitives.ReadUInt16BigEndian(datagram);
        if ((type & 0xC000) != 0)
        {
            // RFC 8489 §5: the most significant 2 bits of every STUN message MUST be zeroes.
            return StunError.NotStun;
        }

        if (BinaryPrimitives.ReadUInt32BigEndian(datagram[4..]) != MagicCookie)
        {
            return StunError.BadMagicCookie;
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]);
        if ((length & 3) != 0 || length != datagram.Length - Size)
        {
            // RFC 8489 §5: the last 2 bits of the length are always zero; §6.3: the length must be sensible.
            return StunError.BadLength;
        }

        var (method, messageClass) = StunMessageType.Decode(type);
        header = new StunHeader(method, messageClass, length, new StunTransactionId(datagram.Slice(8, StunTransactionId.Length)));
        return StunError.None;
    }
}
