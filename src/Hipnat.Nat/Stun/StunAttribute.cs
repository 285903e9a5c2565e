namespace Hipnat.Nat.Stun;

/// <summary>One attribute TLV of a parsed message: its type and its value without padding (RFC 8489 §14).</summary>
public readonly record struct StunAttribute(StunAttributeType Type, ReadOnlyMemory<byte> Value)
{
    /// <summary>Types 0x0000-0x7FFF: the agent cannot process the message unless it understands them (RFC 8489 §14).</summary>
    public bool IsComprehensionRequired => IsComprehensionRequiredType(Type);

    public static bool IsComprehensionRequiredType(StunAttributeType type) => (ushort)type < 0x8000;

    /// <summary>Octets of padding that follow a value of this length to reach a 4-octet boundary (RFC 8489 §14).</summary>
    public static int PaddingFor(int valueLength) => (4 - (valueLength & 3)) & 3;
}
