namespace Hipnat.Wire.Parameters;

/// <summary>
/// TRANSPORT_FORMAT_LIST (RFC 7401 §5.2.11): 16-bit TF types, which are the parameter type numbers of the
/// transport format parameters (ESP_TRANSFORM = 4095), in order of preference.
/// </summary>
public readonly struct TransportFormatListParameter : IHipParameter<TransportFormatListParameter>
{
    private readonly ushort[]? _formats;

    public TransportFormatListParameter(params ushort[] formats)
    {
        _formats = formats;
    }

    public static ushort Type => ParameterType.TransportFormatList;

    public ushort[] Formats => _formats ?? [];

    public int GetContentLength() => 2 * Formats.Length;

    public void WriteContents(Span<byte> destination)
    {
        var w = new HipWriter(destination);
        ParameterChecks.WriteUInt16List(ref w, Formats);
    }

    // Length = 2 x number of TF types (§5.2.11).
    public static TransportFormatListParameter Read(ReadOnlySpan<byte> contents) =>
        new(ParameterChecks.UInt16List(contents, Type));
}
