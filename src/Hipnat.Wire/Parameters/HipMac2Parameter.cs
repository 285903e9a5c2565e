namespace Hipnat.Wire.Parameters;

/// <summary>HIP_MAC_2 (RFC 7401 §5.2.13): HMAC as HIP_MAC but computed with the sender's HOST_ID added (§6.4.1).</summary>
public readonly struct HipMac2Parameter : IHipParameter<HipMac2Parameter>
{
    public HipMac2Parameter(ReadOnlyMemory<byte> hmac)
    {
        Hmac = hmac;
    }

    public static ushort Type => ParameterType.HipMac2;

    /// <summary>The HMAC, the natural output size of RHASH: 20, 32 or 48 octets.</summary>
    public ReadOnlyMemory<byte> Hmac { get; }

    public int GetContentLength() => Hmac.Length;

    public void WriteContents(Span<byte> destination) => Hmac.Span.CopyTo(destination);

    public static HipMac2Parameter Read(ReadOnlySpan<byte> contents)
    {
        ParameterChecks.HmacLength(contents.Length, Type);
        return new HipMac2Parameter(contents.ToArray());
    }
}
