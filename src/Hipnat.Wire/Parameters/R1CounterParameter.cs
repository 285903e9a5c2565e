namespace Hipnat.Wire.Parameters;

/// <summary>R1_COUNTER (RFC 7401 §5.2.3): 4 reserved octets and the 64-bit R1 generation counter.</summary>
public readonly struct R1CounterParameter : IHipParameter<R1CounterParameter>
{
    public const int ContentLength = 12;

    public R1CounterParameter(ulong generation, uint reserved = 0)
    {
        Generation = generation;
        Reserved = reserved;
    }

    public static ushort Type => ParameterType.R1Counter;

    /// <summary>Kept because the Initiator MUST echo the parameter in I2 with Reserved verbatim (§5.2.3).</summary>
    public uint Reserved { get; }

    public ulong Generation { get; }

    public int GetContentLength() => ContentLength;

    public void WriteContents(Span<byte> destination)
    {
        var w = new HipWriter(destination);
        w.WriteUInt32(Reserved);
        w.WriteUInt64(Generation);
    }

    public static R1CounterParameter Read(ReadOnlySpan<byte> contents)
    {
        ParameterChecks.FixedLength(contents, ContentLength, Type);
        var r = new HipReader(contents);
        uint reserved = r.ReadUInt32();
        return new R1CounterParameter(r.ReadUInt64(), reserved);
    }
}
