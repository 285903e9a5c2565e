namespace Hipnat.Wire.Parameters;

/// <summary>ECHO_REQUEST_UNSIGNED (RFC 7401 §5.2.21): opaque data to echo back, not covered by HIP_MAC or signature; may repeat.</summary>
public readonly struct EchoRequestUnsignedParameter : IHipParameter<EchoRequestUnsignedParameter>
{
    public EchoRequestUnsignedParameter(ReadOnlyMemory<byte> opaque)
    {
        Opaque = opaque;
    }

    public static ushort Type => ParameterType.EchoRequestUnsigned;

    /// <summary>Opaque data, meaningful only to the node that sent the request.</summary>
    public ReadOnlyMemory<byte> Opaque { get; }

    public int GetContentLength() => Opaque.Length;

    public void WriteContents(Span<byte> destination) => Opaque.Span.CopyTo(destination);

    public static EchoRequestUnsignedParameter Read(ReadOnlySpan<byte> contents) => new(contents.ToArray());
}
