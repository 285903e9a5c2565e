namespace Hipnat.Wire.Parameters;

/// <summary>RELAY_HMAC (RFC 5770 §5.8, RFC 9028 §5.8): RVS_HMAC semantics, keyed with the relay registration's integrity key.</summary>
public readonly struct RelayHmacParameter : IHipParameter<RelayHmacParameter>
{
    public RelayHmacParameter(ReadOnlyMemory<byte> hmac)
    {
        Hmac = hmac;
    }

    public static ushort Type => ParameterType.RelayHmac;

    /// <summary>The HMAC, the natural output size of RHASH: 20, 32 or 48 octets.</summary>
    public ReadOnlyMemory<byte> Hmac { get; }

    public int GetContentLength() => Hmac.Length;

    public void WriteContents(Span<byte> destination) => Hmac.Span.CopyTo(destination);

    public static RelayHmacParameter Read(ReadOnlySpan<byte> contents)
    {
        ParameterChecks.HmacLength(contents.Length, Type);
        return new RelayHmacParameter(contents.ToArray());
    }
}
