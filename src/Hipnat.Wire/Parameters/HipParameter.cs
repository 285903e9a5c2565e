namespace Hipnat.Wire.Parameters;

/// <summary>One TLV inside a parsed packet: its type, its contents (Length octets) and where it starts.</summary>
public readonly ref struct HipParameter
{
    public HipParameter(ushort type, ReadOnlySpan<byte> contents, int offset, int totalLength)
    {
        Type = type;
        Contents = contents;
        Offset = offset;
        TotalLength = totalLength;
    }

    public ushort Type { get; }

    public ReadOnlySpan<byte> Contents { get; }

    /// <summary>Offset of the TLV's Type field from the start of the HIP packet.</summary>
    public int Offset { get; }

    /// <summary>Type + Length + Contents + padding.</summary>
    public int TotalLength { get; }

    public bool IsCritical => HipParameterHeader.IsCritical(Type);
}
