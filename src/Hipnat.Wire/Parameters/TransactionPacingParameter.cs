namespace Hipnat.Wire.Parameters;

/// <summary>TRANSACTION_PACING (RFC 5770 §5.5, RFC 9028 §5.5): the minimum connectivity check pacing Ta in ms.</summary>
public readonly struct TransactionPacingParameter : IHipParameter<TransactionPacingParameter>
{
    public const int ContentLength = 4;

    public TransactionPacingParameter(uint minTaMilliseconds)
    {
        MinTaMilliseconds = minTaMilliseconds;
    }

    public static ushort Type => ParameterType.TransactionPacing;

    public uint MinTaMilliseconds { get; }

    public TimeSpan MinTa => TimeSpan.FromMilliseconds(MinTaMilliseconds);

    public int GetContentLength() => ContentLength;

    public void WriteContents(Span<byte> destination) => new HipWriter(destination).WriteUInt32(MinTaMilliseconds);

    public static TransactionPacingParameter Read(ReadOnlySpan<byte> contents)
    {
        ParameterChecks.FixedLength(contents, ContentLength, Type);
        return new TransactionPacingParameter(new HipReader(contents).ReadUInt32());
    }
}
