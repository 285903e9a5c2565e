namespace Hipnat.Wire.Parameters;

/// <summary>HIP_SIGNATURE (RFC 7401 §5.2.14): SIG alg and the signature over the packet up to this parameter (§6.4.2).</summary>
public readonly struct HipSignatureParameter : IHipParameter<HipSignatureParameter>
{
    public HipSignatureParameter(ushort algorithm, ReadOnlyMemory<byte> signature)
    {
        Algorithm = algorithm;
        Signature = signature;
    }

    public static ushort Type => ParameterType.HipSignature;

    /// <summary>SIG alg: an HI algorithm number of RFC 7401 §5.2.9.</summary>
    public ushort Algorithm { get; }

    public ReadOnlyMemory<byte> Signature { get; }

    public int GetContentLength() => 2 + Signature.Length;

    public void WriteContents(Span<byte> destination)
    {
        var w = new HipWriter(destination);
        w.WriteUInt16(Algorithm);
        w.WriteBytes(Signature.Span);
    }

    public static HipSignatureParameter Read(ReadOnlySpan<byte> contents)
    {
        var r = new HipReader(contents);
        ushort algorithm = r.ReadUInt16();
        ParameterChecks.NotEmpty(r.Remaining, Type, "signature");
        return new HipSignatureParameter(algorithm, r.RemainingSpan.ToArray());
    }
}
