namespace Hipnat.Wire.Parameters;

/// <summary>NOMINATE (RFC 9028 §5.15): concludes candidate nomination; 4 reserved octets.</summary>
public readonly struct NominateParameter : IHipParameter<NominateParameter>
{
    public const int ContentLength = 4;

    public NominateParameter(uint reserved)
    {
        Reserved = reserved;
    }

    public static ushort Type => ParameterType.Nominate;

    /// <summary>Reserved for future extension; zero when sent by this implementation.</summary>
    public uint Reserved { get; }

    public int GetContentLength() => ContentLength;

    public void WriteContents(Span<byte> destination) => new HipWriter(destination).WriteUInt32(Reserved);

    public static NominateParameter Read(ReadOnlySpan<byte> contents)
    {
        ParameterChecks.FixedLength(contents, ContentLength, Type);
        return new NominateParameter(new HipReader(contents).ReadUInt32());
    }
}
