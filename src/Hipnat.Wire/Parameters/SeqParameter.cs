namespace Hipnat.Wire.Parameters;

/// <summary>SEQ (RFC 7401 §5.2.16): the 32-bit Update ID of an UPDATE.</summary>
public readonly struct SeqParameter : IHipParameter<SeqParameter>
{
    public const int ContentLength = 4;

    public SeqParameter(uint updateId)
    {
        UpdateId = updateId;
    }

    public static ushort Type => ParameterType.Seq;

    public uint UpdateId { get; }

    public int GetContentLength() => ContentLength;

    public void WriteContents(Span<byte> destination) => new HipWriter(destination).WriteUInt32(UpdateId);

    public static SeqParameter Read(ReadOnlySpan<byte> contents)
    {
        ParameterChecks.FixedLength(contents, ContentLength, Type);
        return new SeqParameter(new HipReader(contents).ReadUInt32());
    }
}
