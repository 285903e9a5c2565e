namespace Hipnat.Wire.Parameters;

/// <summary>
/// REG_INFO (RFC 8003 §4.2): the registrar's minimum and maximum lifetimes (exponent encoded, §4.1) and the
/// Registration Types it offers; an empty list means no service is currently available (§3.1).
/// </summary>
public readonly struct RegInfoParameter : IHipParameter<RegInfoParameter>
{
    private readonly RegistrationType[]? _types;

    public RegInfoParameter(byte minLifetime, byte maxLifetime, params RegistrationType[] types)
    {
        MinLifetime = minLifetime;
        MaxLifetime = maxLifetime;
        _types = types;
    }

    public static ushort Type => ParameterType.RegInfo;

    /// <summary>Encoded per RFC 8003 §4.1; see <see cref="RegistrationLifetime"/>.</summary>
    public byte MinLifetime { get; }

    public byte MaxLifetime { get; }

    public RegistrationType[] Types => _types ?? [];

    public int GetContentLength() => 2 + Types.Length;

    public void WriteContents(Span<byte> destination)
    {
        var w = new HipWriter(destination);
        w.WriteByte(MinLifetime);
        w.WriteByte(MaxLifetime);
        RegistrationTypes.Write(ref w, Types);
    }

    public static RegInfoParameter Read(ReadOnlySpan<byte> contents)
    {
        var r = new HipReader(contents);
        byte min = r.ReadByte();
        byte max = r.ReadByte();
        return new RegInfoParameter(min, max, RegistrationTypes.Read(r.RemainingSpan));
    }
}
