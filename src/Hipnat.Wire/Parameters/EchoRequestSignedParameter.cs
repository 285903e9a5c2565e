namespace Hipnat.Wire.Parameters;

/// <summary>ECHO_REQUEST_SIGNED (RFC 7401 §5.2.20): opaque data to echo back, covered by HIP_MAC and signature; at most one per packet.</summary>
public readonly struct EchoRequestSignedParameter : IHipParameter<EchoRequestSignedParameter>
{
    public EchoRequestSignedParameter(ReadOnlyMemory<byte> opaque)
    {
        Opaque = opaque;
    }

    public static ushort Type => ParameterType.EchoRequestSigned;

    /// <summary>Opaque data, meaningful only to the node that sent the request.</summary>
    public ReadOnlyMemory<byte> Opaque { get; }

    public int GetContentLength() => Opaque.Length;

    public void WriteContents(Span<byte> destination) => Opaque.Span.CopyTo(destination);

    public static EchoRequestSignedParameter Read(ReadOnlySpan<byte> contents) => new(contents.ToArray());
}
