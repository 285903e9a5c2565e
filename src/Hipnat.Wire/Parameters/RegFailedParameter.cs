namespace Hipnat.Wire.Parameters;

/// <summary>REG_FAILED (RFC 8003 §4.5): the Failure Type and the Registration Types that failed with it.</summary>
public readonly struct RegFailedParameter : IHipParameter<RegFailedParameter>
{
    private readonly RegistrationType[]? _types;

    public RegFailedParameter(RegistrationFailureType failureType, params RegistrationType[] types)
    {
        FailureType = failureType;
        _types = types;
    }

    public static ushort Type => ParameterType.RegFailed;

    public RegistrationFailureType FailureType { get; }

    public RegistrationType[] Types => _types ?? [];

    public int GetContentLength() => 1 + Types.Length;

    public void WriteContents(Span<byte> destination)
    {
        var w = new HipWriter(destination);
        w.WriteByte((byte)FailureType);
        RegistrationTypes.Write(ref w, Types);
    }

    public static RegFailedParameter Read(ReadOnlySpan<byte> contents)
    {
        var r = new HipReader(contents);
        var failure = (RegistrationFailureType)r.ReadByte();
        return new RegFailedParameter(failure, RegistrationTypes.Read(r.RemainingSpan));
    }
}
