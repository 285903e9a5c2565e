namespace Hipnat.Wire.Parameters;

/// <summary>CANDIDATE_PRIORITY (RFC 9028 §5.14): priority of a (potential) peer-reflexive candidate.</summary>
public readonly struct CandidatePriorityParameter : IHipParameter<CandidatePriorityParameter>
{
    public const int ContentLength = 4;

    public CandidatePriorityParameter(uint priority)
    {
        Priority = priority;
    }

    public static ushort Type => ParameterType.CandidatePriority;

    public uint Priority { get; }

    public int GetContentLength() => ContentLength;

    public void WriteContents(Span<byte> destination) => new HipWriter(destination).WriteUInt32(Priority);

    public static CandidatePriorityParameter Read(ReadOnlySpan<byte> contents)
    {
        ParameterChecks.FixedLength(contents, ContentLength, Type);
        return new CandidatePriorityParameter(new HipReader(contents).ReadUInt32());
    }
}
