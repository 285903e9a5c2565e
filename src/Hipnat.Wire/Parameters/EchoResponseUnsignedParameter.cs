namespace Hipnat.Wire.Parameters;

/// <summary>ECHO_RESPONSE_UNSIGNED (RFC 7401 §5.2.23): opaque data copied from an echo request, not covered by HIP_MAC or signature.</summary>
public readonly struct EchoResponseUnsignedParameter : IHipParameter<EchoResponseUnsignedParameter>
{
    public EchoResponseUnsignedParameter(ReadOnlyMemory<byte> opaque)
    {
        Opaque = opaque;
    }

    public static ushort Type => ParameterType.EchoResponseUnsigned;

    /// <summary>Opaque data, meaningful only to the node that sent the request.</summary>
    public ReadOnlyMemory<byte> Opaque { get; }

    public int GetContentLength() => Opaque.Length;

    public void WriteContents(Span<byte> destination) => Opaque.Span.CopyTo(destination);

    public static EchoResponseUnsignedParameter Read(ReadOnlySpan<byte> contents) => new(contents.ToArray());
}
