namespace Hipnat.Wire.Parameters;

/// <summary>
/// NAT_TRAVERSAL_MODE (RFC 5770 §5.4, RFC 9028 §5.4): 2 reserved octets and 16-bit Mode IDs, most preferred
/// first, at most six.
/// </summary>
public readonly struct NatTraversalModeParameter : IHipParameter<NatTraversalModeParameter>
{
    /// <summary>RFC 9028 §5.4: at most six Mode IDs are sent; a receiver keeps the first six.</summary>
    public const int MaxIds = 6;

    private readonly NatTraversalMode[]? _modes;

    public NatTraversalModeParameter(params NatTraversalMode[] modes)
    {
        ParameterChecks.AtMostSix(modes.Length, Type);
        _modes = modes;
    }

    public static ushort Type => ParameterType.NatTraversalMode;

    public NatTraversalMode[] Modes => _modes ?? [];

    public int GetContentLength() => 2 + (2 * Modes.Length);

    public void WriteContents(Span<byte> destination)
    {
        var w = new HipWriter(destination);
        w.WriteUInt16(0); // Reserved: zero when sent
        foreach (var m in Modes)
        {
            w.WriteUInt16((ushort)m);
        }
    }

    public static NatTraversalModeParameter Read(ReadOnlySpan<byte> contents)
    {
        var r = new HipReader(contents);
        r.Skip(2); // Reserved: ignored when received

        // RFC 9028 §5.4: accept the first six Mode IDs and drop the rest.
        var ids = ParameterChecks.UInt16List(r.RemainingSpan, Type, MaxIds);
        var modes = new NatTraversalMode[ids.Length];
        for (int i = 0; i < ids.Length; i++)
        {
            modes[i] = (NatTraversalMode)ids[i];
        }

        return new NatTraversalModeParameter(modes);
    }
}
