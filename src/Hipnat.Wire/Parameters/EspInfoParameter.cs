namespace Hipnat.Wire.Parameters;

/// <summary>
/// ESP_INFO (RFC 7402 §5.1.1): 2 reserved octets, KEYMAT Index, OLD SPI and NEW SPI. OLD SPI 0 sets up a new
/// (initial or parallel) SA; NEW SPI 0 deprecates the old one (RFC 8046 §5.3).
/// </summary>
public readonly struct EspInfoParameter : IHipParameter<EspInfoParameter>
{
    public const int ContentLength = 12;

    public EspInfoParameter(ushort keymatIndex, uint oldSpi, uint newSpi)
    {
        KeymatIndex = keymatIndex;
        OldSpi = oldSpi;
        NewSpi = newSpi;
    }

    public static ushort Type => ParameterType.EspInfo;

    /// <summary>Octet index into KEYMAT where ESP keys are drawn; zero in an UPDATE with a new DH key.</summary>
    public ushort KeymatIndex { get; }

    public uint OldSpi { get; }

    public uint NewSpi { get; }

    public int GetContentLength() => ContentLength;

    public void WriteContents(Span<byte> destination)
    {
        var w = new HipWriter(destination);
        w.WriteUInt16(0); // Reserved: zero when sent
        w.WriteUInt16(KeymatIndex);
        w.WriteUInt32(OldSpi);
        w.WriteUInt32(NewSpi);
    }

    public static EspInfoParameter Read(ReadOnlySpan<byte> contents)
    {
        ParameterChecks.FixedLength(contents, ContentLength, Type);
        var r = new HipReader(contents);
        r.Skip(2); // Reserved: ignored when received
        ushort index = r.ReadUInt16();
        uint oldSpi = r.ReadUInt32();
        return new EspInfoParameter(index, oldSpi, r.ReadUInt32());
    }
}
