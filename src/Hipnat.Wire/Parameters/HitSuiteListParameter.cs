namespace Hipnat.Wire.Parameters;

/// <summary>
/// HIT_SUITE_LIST (RFC 7401 §5.2.10): one-octet HIT Suite IDs in order of preference. The four high-order
/// bits hold the 4-bit OGA ID, the low four bits are reserved (encoding 0x10, 0x20, 0x30).
/// </summary>
public readonly struct HitSuiteListParameter : IHipParameter<HitSuiteListParameter>
{
    private readonly byte[]? _ids;

    public HitSuiteListParameter(params byte[] suiteIds)
    {
        _ids = suiteIds;
    }

    public static ushort Type => ParameterType.HitSuiteList;

    /// <summary>Eight-bit encoded HIT Suite IDs as on the wire, most preferred first.</summary>
    public byte[] SuiteIds => _ids ?? [];

    /// <summary>
    /// True when an ID has its low four bits set, which §5.2.10 says SHOULD be treated as an error (it MAY be
    /// answered with UNSUPPORTED_HIT_SUITE); left to the caller, which owns that NOTIFY.
    /// </summary>
    public bool HasReservedBitsSet
    {
        get
        {
            foreach (byte id in SuiteIds)
            {
                if ((id & 0x0F) != 0)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>The 4-bit OGA ID encoded in an eight-bit HIT Suite ID.</summary>
    public static int ToOgaId(byte suiteId) => suiteId >> 4;

    public static byte FromOgaId(int ogaId) => (byte)((ogaId & 0xF) << 4);

    public int GetContentLength() => SuiteIds.Length;

    public void WriteContents(Span<byte> destination) => SuiteIds.CopyTo(destination);

    public static HitSuiteListParameter Read(ReadOnlySpan<byte> contents) => new(contents.ToArray());
}
