using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Hipnat.Nat.Stun;

/// <summary>
/// The 96-bit STUN transaction ID (RFC 8489 §5). New transactions MUST use a uniformly random,
/// cryptographically random value; <see cref="NewRandom"/> draws one.
/// </summary>
public readonly record struct StunTransactionId
{
    public const int Length = 12;

    private readonly ulong _high;
    private readonly uint _low;

    public StunTransactionId(ulong high, uint low)
    {
        _high = high;
        _low = low;
    }

    public StunTransactionId(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < Length)
        {
            throw new ArgumentException("a STUN transaction ID is 12 octets", nameof(bytes));
        }

        _high = BinaryPrimitives.ReadUInt64BigEndian(bytes);
        _low = BinaryPrimitives.ReadUInt32BigEndian(bytes[8..]);
    }

    /// <summary>A fresh cryptographically random transaction ID (RFC 8489 §5).</summary>
    public static StunTransactionId NewRandom()
    {
        Span<byte> bytes = stackalloc byte[Length];
        RandomNumberGenerator.Fill(bytes);
        return new StunTransactionId(bytes);
    }

    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, _high);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], _low);
    }

    public byte[] ToArray()
    {
        var bytes = new byte[Length];
        WriteTo(bytes);
        return bytes;
    }

    public override string ToString() => Convert.ToHexStringLower(ToArray());
}
