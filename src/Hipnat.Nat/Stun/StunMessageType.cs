namespace Hipnat.Nat.Stun;

/// <summary>
/// The 14-bit STUN Message Type: method bits M11..M0 interleaved with class bits C1 C0
/// as M11-M7 C1 M6-M4 C0 M3-M0 (RFC 8489 §5, Figure 3). Binding request = 0x0001, Binding success = 0x0101.
/// </summary>
public static class StunMessageType
{
    /// <summary>Largest method value that fits the 12 method bits.</summary>
    public const ushort MaxMethod = 0x0FFF;

    public static ushort Encode(StunMethod method, StunClass messageClass)
    {
        int m = (ushort)method;
        if (m > MaxMethod)
        {
            throw new ArgumentOutOfRangeException(nameof(method), "a STUN method has 12 bits");
        }

        int c = (int)messageClass & 0b11;
        return (ushort)((m & 0x000F) | ((c & 0b01) << 4) | ((m & 0x0070) << 1) | ((c & 0b10) << 7) | ((m & 0x0F80) << 2));
    }

    /// <summary>Splits a type field; the two most significant bits must already be known to be zero.</summary>
    public static (StunMethod Method, StunClass Class) Decode(ushort type)
    {
        int method = (type & 0x000F) | ((type & 0x00E0) >> 1) | ((type & 0x3E00) >> 2);
        int c = ((type & 0x0010) >> 4) | ((type & 0x0100) >> 7);
        return ((StunMethod)method, (StunClass)c);
    }
}
