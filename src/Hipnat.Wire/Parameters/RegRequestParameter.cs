namespace Hipnat.Wire.Parameters;

/// <summary>REG_REQUEST (RFC 8003 §4.3): requested lifetime and Registration Types in order of preference.</summary>
public readonly struct RegRequestParameter : IHipParameter<RegRequestParameter>
{
    private readonly RegistrationType[]? _types;

    public RegRequestParameter(byte lifetime, params RegistrationType[] types)
    {
        Lifetime = lifetime;
        _types = types;
    }

    public static ushort Type => ParameterType.RegRequest;

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

    public static RegRequestParameter Read(ReadOnlySpan<byte> contents)
    {
        var r = new HipReader(contents);
        byte lifetime = r.ReadByte();
        return new RegRequestParameter(lifetime, RegistrationTypes.Read(r.RemainingSpan));
    }
}
