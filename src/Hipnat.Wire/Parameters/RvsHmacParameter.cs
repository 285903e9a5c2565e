namespace Hipnat.Wire.Parameters;

/// <summary>RVS_HMAC (RFC 8004 §4.2.1): HIP_MAC layout, keyed with the rendezvous registration's integrity key, placed after FROM.</summary>
public readonly struct RvsHmacParameter : IHipParameter<RvsHmacParameter>
{
    public RvsHmacParameter(ReadOnlyMemory<byte> hmac)
    {
        Hmac = hmac;
    }

    public static ushort Type => ParameterType.RvsHmac;

    /// <summary>The HMAC, the natural output size of RHASH: 20, 32 or 48 octets.</summary>
    public ReadOnlyMemory<byte> Hmac { get; }

    public int GetContentLength() => Hmac.Length;

    public void WriteContents(Span<byte> destination) => Hmac.Span.CopyTo(destination);

    public static RvsHmacParameter Read(ReadOnlySpan<byte> contents)
    {
        ParameterChecks.HmacLength(contents.Length, Type);
        return new RvsHmacParameter(contents.ToArray());
    }
}
