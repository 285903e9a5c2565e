namespace Hipnat.Wire.Parameters;

/// <summary>ECHO_RESPONSE_SIGNED (RFC 7401 §5.2.22): opaque data copied from an echo request, covered by HIP_MAC and signature.</summary>
public readonly struct EchoResponseSignedParameter : IHipParameter<EchoResponseSignedParameter>
{
    public EchoResponseSignedParameter(ReadOnlyMemory<byte> opaque)
    {
        Opaque = opaque;
    }

    public static ushort Type => ParameterType.EchoResponseSigned;

    /// <summary>Opaque data, meaningful only to the node that sent the request.</summary>
    public ReadOnlyMemory<byte> Opaque { get; }

    public int GetContentLength() => Opaque.Length;

    public void WriteContents(Span<byte> destination) => Opaque.Span.CopyTo(destination);

    public static EchoResponseSignedParameter Read(ReadOnlySpan<byte> contents) => new(contents.ToArray());
}
