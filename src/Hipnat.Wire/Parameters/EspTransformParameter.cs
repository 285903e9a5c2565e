namespace Hipnat.Wire.Parameters;

/// <summary>ESP_TRANSFORM (RFC 7402 §5.1.2): 2 reserved octets and 16-bit ESP Suite IDs in order of preference.</summary>
public readonly struct EspTransformParameter : IHipParameter<EspTransformParameter>
{
    /// <summary>A sender lists at most six Suite IDs (§5.1.2).</summary>
    public const int MaxIds = 6;

    private readonly ushort[]? _suites;

    public EspTransformParameter(params ushort[] suiteIds)
    {
        ParameterChecks.AtMostSix(suiteIds.Length, Type);
        _suites = suiteIds;
    }

    private EspTransformParameter(ushort[] suites, bool _)
    {
        _suites = suites;
    }

    public static ushort Type => ParameterType.EspTransform;

    /// <summary>ESP Suite IDs (RFC 7402 §5.1.2 values), most preferred first.</summary>
    public ushort[] SuiteIds => _suites ?? [];

    public int GetContentLength() => 2 + (2 * SuiteIds.Length);

    public void WriteContents(Span<byte> destination)
    {
        var w = new HipWriter(destination);
        w.WriteUInt16(0); // Reserved: zero when sent
        ParameterChecks.WriteUInt16List(ref w, SuiteIds);
    }

    public static EspTransformParameter Read(ReadOnlySpan<byte> contents)
    {
        var r = new HipReader(contents);
        r.Skip(2); // Reserved: ignored when received

        // §5.1.2: a recipient MUST be prepared to handle more than six Suite IDs, so all are kept.
        return new EspTransformParameter(ParameterChecks.UInt16List(r.RemainingSpan, Type), false);
    }
}
