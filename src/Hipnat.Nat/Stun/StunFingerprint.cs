using System.Buffers.Binary;

namespace Hipnat.Nat.Stun;

/// <summary>
/// FINGERPRINT (RFC 8489 §14.7): CRC-32 (ITU V.42, reflected polynomial 0xEDB88320, as in RFC 1952 §8) of the
/// message up to but excluding the FINGERPRINT attribute, XOR 0x5354554e. The header length already counts
/// the FINGERPRINT attribute when the CRC is taken.
/// </summary>
public static class StunFingerprint
{
    public const uint XorValue = 0x5354554E;

    /// <summary>Attribute header plus the 4-octet CRC.</summary>
    public const int AttributeSize = 8;

    private static readonly uint[] Table = BuildTable();

    /// <summary>The plain CRC-32 of RFC 1952 §8.</summary>
    public static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        return crc ^ 0xFFFFFFFF;
    }

    /// <summary>The FINGERPRINT value for a message whose FINGERPRINT attribute starts at <paramref name="prefix"/>'s end.</summary>
    public static uint Compute(ReadOnlySpan<byte> prefix) => Crc32(prefix) ^ XorValue;

    /// <summary>
    /// True when <paramref name="message"/> (a whole message, length field final) ends with a FINGERPRINT whose
    /// value matches. Never throws.
    /// </summary>
    public static bool EndsWithValidFingerprint(ReadOnlySpan<byte> message)
    {
        if (message.Length < StunHeader.Size + AttributeSize)
        {
            return false;
        }

        var attribute = message[^AttributeSize..];
        return BinaryPrimitives.ReadUInt16BigEndian(attribute) == (ushort)StunAttributeType.Fingerprint
            && BinaryPrimitives.ReadUInt16BigEndian(attribute[2..]) == 4
            && BinaryPrimitives.ReadUInt32BigEndian(attribute[4..]) == Compute(message[..^AttributeSize]);
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        return table;
    }
}
