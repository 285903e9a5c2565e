namespace Hipnat.Wire.Parameters;

/// <summary>HIP_CIPHER (RFC 7401 §5.2.8): 16-bit Cipher IDs in order of preference, at most six.</summary>
public readonly struct HipCipherParameter : IHipParameter<HipCipherParameter>
{
    /// <summary>RFC 7401 §5.2.8: no more than six Cipher IDs are sent; a receiver keeps the first six.</summary>
    public const int MaxIds = 6;

    private readonly ushort[]? _ids;

    public HipCipherParameter(params ushort[] cipherIds)
    {
        ParameterChecks.AtMostSix(cipherIds.Length, Type);
        _ids = cipherIds;
    }

    private HipCipherParameter(ushort[] ids, bool _)
    {
        _ids = ids;
    }

    public static ushort Type => ParameterType.HipCipher;

    /// <summary>Cipher IDs (RFC 7401 §5.2.8 values), most preferred first.</summary>
    public ushort[] CipherIds => _ids ?? [];

    public int GetContentLength() => 2 * CipherIds.Length;

    public void WriteContents(Span<byte> destination)
    {
        var w = new HipWriter(destination);
        ParameterChecks.WriteUInt16List(ref w, CipherIds);
    }

    // §5.2.8: accept the first six Cipher IDs and drop the rest.
    public static HipCipherParameter Read(ReadOnlySpan<byte> contents) =>
        new(ParameterChecks.UInt16List(contents, Type, MaxIds), false);
}
