namespace Hipnat.Wire.Parameters;

/// <summary>
/// CERT (RFC 7401 §5.2 type 768, layout RFC 6253 §2): Cert group, Cert count, Cert ID (1..count), Cert type and
/// the certificate. Several CERT parameters may follow each other, in ascending Cert group order.
/// </summary>
public readonly struct CertParameter : IHipParameter<CertParameter>
{
    public CertParameter(byte group, byte count, byte id, CertificateType certificateType, ReadOnlyMemory<byte> certificate)
    {
        if (count == 0 || id == 0 || id > count)
        {
            throw new ArgumentException("Cert ID runs from 1 to Cert count", nameof(id));
        }

        Group = group;
        Count = count;
        Id = id;
        CertificateType = certificateType;
        Certificate = certificate;
    }

    public static ushort Type => ParameterType.Cert;

    public byte Group { get; }

    /// <summary>Total certificates in the group, possibly spread over several packets.</summary>
    public byte Count { get; }

    /// <summary>Sequence number of this certificate inside its group, 1..<see cref="Count"/>.</summary>
    public byte Id { get; }

    public CertificateType CertificateType { get; }

    public ReadOnlyMemory<byte> Certificate { get; }

    public int GetContentLength() => 4 + Certificate.Length;

    public void WriteContents(Span<byte> destination)
    {
        var w = new HipWriter(destination);
        w.WriteByte(Group);
        w.WriteByte(Count);
        w.WriteByte(Id);
        w.WriteByte((byte)CertificateType);
        w.WriteBytes(Certificate.Span);
    }

    public static CertParameter Read(ReadOnlySpan<byte> contents)
    {
        var r = new HipReader(contents);
        byte group = r.ReadByte();
        byte count = r.ReadByte();
        byte id = r.ReadByte();
        var type = (CertificateType)r.ReadByte();

        // RFC 6253 §2: Cert IDs MUST start from 1 up to Cert count.
        if (count == 0 || id == 0 || id > count)
        {
            throw new HipFormatException(WireError.InvalidParameter, $"CERT ID {id} of count {count}");
        }

        ParameterChecks.NotEmpty(r.Remaining, Type, "certificate");
        return new CertParameter(group, count, id, type, r.RemainingSpan.ToArray());
    }
}
