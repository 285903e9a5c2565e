namespace Hipnat.Wire.Parameters;

/// <summary>HIP_SIGNATURE_2 (RFC 7401 §5.2.15): R1 signature with the Initiator's HIT, checksum, PUZZLE Opaque and #I zeroed.</summary>
public readonly struct HipSignature2Parameter : IHipParameter<HipSignature2Parameter>
{
    public HipSignature2Parameter(ushort algorithm, ReadOnlyMemory<byte> signature)
    {
        Algorithm = algorithm;
        Signature = signature;
    }

    public static ushort Type => ParameterType.HipSignature2;

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

    public static HipSignature2Parameter Read(ReadOnlySpan<byte> contents)
    {
        var r = new HipReader(contents);
        ushort algorithm = r.ReadUInt16();
        ParameterChecks.NotEmpty(r.Remaining, Type, "signature");
        return new HipSignature2Parameter(algorithm, r.RemainingSpan.ToArray());
    }
}
