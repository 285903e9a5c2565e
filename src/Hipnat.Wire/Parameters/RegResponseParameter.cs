namespace Hipnat.Wire.Parameters;

/// <summary>REG_RESPONSE (RFC 8003 §4.4): granted lifetime and the granted Registration Types.</summary>
public readonly struct RegResponseParameter : IHipParameter<RegResponseParameter>
{
    private readonly RegistrationType[]? _types;

    public RegResponseParameter(byte lifetime, params RegistrationType[] types)
    {
        Lifetime = lifetime;
        _types = types;
    }

    public static ushort Type => ParameterType.RegResponse;

    /// <summary>Encoded per RFC 8003 §4.1 (0 = cancel); see <see cref="RegistrationLifetime"/>.</summary>
    public byte Lifetime { get; }

    public RegistrationType[] Types => _types ?? [];

    public int GetContentLength() => 1 + Types.Length;

    public void WriteContents(Span<byte> destination)
    {
        var w = new HipWriter(destination);
        w.WriteByte(Lifetime);
        RegistrationTypes.Write(ref w, Types);
    }

    public static RegResponseParameter Read(ReadOnlySpan<byte> contents)
    {
        var r = new HipReader(contents);
        byte lifetime = r.ReadByte();
        return new RegResponseParameter(lifetime, RegistrationTypes.Read(r.RemainingSpan));
    }
}
