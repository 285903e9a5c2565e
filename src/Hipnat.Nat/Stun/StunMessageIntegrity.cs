using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Hipnat.Nat.Stun;

/// <summary>
/// HMAC computation for MESSAGE-INTEGRITY (HMAC-SHA1, 20 octets; RFC 8489 §14.5) and MESSAGE-INTEGRITY-SHA256
/// (HMAC-SHA256, 16-32 octets in multiples of 4; §14.6). The input is the message up to the attribute, with the
/// header length adjusted to point to the end of that attribute.
/// </summary>
public static class StunMessageIntegrity
{
    public const int Sha1Length = 20;
    public const int Sha256MaxLength = 32;
    public const int Sha256MinLength = 16;

    /// <summary>
    /// HMAC over <paramref name="messagePrefix"/> (header and the attributes before the integrity attribute) with
    /// the length field replaced so that it ends after an integrity attribute with a <paramref name="valueLength"/>-octet value.
    /// </summary>
    public static byte[] Compute(ReadOnlySpan<byte> messagePrefix, ReadOnlySpan<byte> key, StunAttributeType attribute, int valueLength)
    {
        var input = messagePrefix.ToArray();
        int adjusted = input.Length - StunHeader.Size + 4 + valueLength;
        BinaryPrimitives.WriteUInt16BigEndian(input.AsSpan(2), (ushort)adjusted);
        return attribute == StunAttributeType.MessageIntegritySha256
            ? HMACSHA256.HashData(key, input)
            : HMACSHA1.HashData(key, input);
    }

    /// <summary>Fixed-time check of a received integrity value (full HMAC-SHA1, or a truncated HMAC-SHA256 prefix).</summary>
    public static bool Verify(ReadOnlySpan<byte> messagePrefix, ReadOnlySpan<byte> key, StunAttributeType attribute, ReadOnlySpan<byte> received)
    {
        var expected = Compute(messagePrefix, key, attribute, received.Length);
        return received.Length <= expected.Length
            && CryptographicOperations.FixedTimeEquals(expected.AsSpan(0, received.Length), received);
    }
}
