namespace Hipnat.Wire.Parameters;

/// <summary>TLV framing arithmetic (RFC 7401 §5.2.1).</summary>
public static class HipParameterHeader
{
    public const int Size = 4;

    /// <summary>Total Length = 11 + Length - (Length + 3) % 8.</summary>
    public static int TotalLength(int contentLength) => 11 + contentLength - ((contentLength + 3) % 8);

    /// <summary>Critical parameters have odd type numbers.</summary>
    public static bool IsCritical(ushort type) => (type & 1) != 0;
}
