namespace Hipnat.Wire.Parameters;

/// <summary>HIP_MAC (RFC 7401 §5.2.12): HMAC over the packet up to this parameter (§6.4.1).</summary>
public readonly struct HipMacParameter : IHipParameter<HipMacParameter>
{
    public HipMacParameter(ReadOnlyMemory<byte> hmac)
    {
        Hmac = hmac;
    }

    public static ushort Type => ParameterType.HipMac;

    /// <summary>The HMAC, the natural output size of RHASH: 20, 32 or 48 octets.</summary>
    public ReadOnlyMemory<byte> Hmac { get; }

    public int GetContentLength() => Hmac.Length;

    public void WriteContents(Span<byte> destination) => Hmac.Span.CopyTo(destination);

    public static HipMacParameter Read(ReadOnlySpan<byte> contents)
    {
        ParameterChecks.HmacLength(contents.Length, Type);
        return new HipMacParameter(contents.ToArray());
    }
}
