namespace Hipnat.Wire.Parameters;

/// <summary>
/// HOST_ID (RFC 7401 §5.2.9): HI Length, 4-bit DI-Type, 12-bit DI Length, the 16-bit HI algorithm, the Host
/// Identity (HI Length octets, the algorithm field not included) and an optional Domain Identifier.
/// </summary>
public readonly struct HostIdParameter : IHipParameter<HostIdParameter>
{
    /// <summary>DI Length is a 12-bit field.</summary>
    public const int MaxDomainIdentifierLength = 0xFFF;

    public HostIdParameter(
        ushort algorithm,
        ReadOnlyMemory<byte> hostIdentity,
        DomainIdentifierType domainIdentifierType = DomainIdentifierType.None,
        ReadOnlyMemory<byte> domainIdentifier = default)
    {
        if (hostIdentity.Length is 0 or > ushort.MaxValue)
        {
            throw new ArgumentException("a Host Identity is 1..65535 octets", nameof(hostIdentity));
        }

        if ((byte)domainIdentifierType > 0xF || domainIdentifier.Length > MaxDomainIdentifierLength)
        {
            throw new ArgumentException("DI-Type is 4 bits and DI Length 12 bits", nameof(domainIdentifier));
        }

        // §5.2.9: with no Domain Identifier (DI-Type zero) the DI Length is zero as well.
        if (domainIdentifierType == DomainIdentifierType.None && domainIdentifier.Length != 0)
        {
            throw new ArgumentException("DI-Type none carries no Domain Identifier", nameof(domainIdentifier));
        }

        Algorithm = algorithm;
        HostIdentity = hostIdentity;
        DomainIdentifierType = domainIdentifierType;
        DomainIdentifier = domainIdentifier;
    }

    public static ushort Type => ParameterType.HostId;

    /// <summary>HI algorithm (RFC 7401 §5.2.9: DSA 3, RSA 5, ECDSA 7, ECDSA_LOW 9).</summary>
    public ushort Algorithm { get; }

    /// <summary>The Host Identity field: the public key encoding of §3.2 (the HIT generation input).</summary>
    public ReadOnlyMemory<byte> HostIdentity { get; }

    public DomainIdentifierType DomainIdentifierType { get; }

    public ReadOnlyMemory<byte> DomainIdentifier { get; }

    public int GetContentLength() => 6 + HostIdentity.Length + DomainIdentifier.Length;

    public void WriteContents(Span<byte> destination)
    {
        var w = new HipWriter(destination);
        w.WriteUInt16((ushort)HostIdentity.Length);
        w.WriteUInt16((ushort)(((int)DomainIdentifierType << 12) | DomainIdentifier.Length));
        w.WriteUInt16(Algorithm);
        w.WriteBytes(HostIdentity.Span);
        w.WriteBytes(DomainIdentifier.Span);
    }

    public static HostIdParameter Read(ReadOnlySpan<byte> contents)
    {
        var r = new HipReader(contents);
        int hiLength = r.ReadUInt16();
        ushort di = r.ReadUInt16();
        var diType = (DomainIdentifierType)(di >> 12);
        int diLength = di & 0xFFF;
        ushort algorithm = r.ReadUInt16();
        ParameterChecks.NotEmpty(hiLength, Type, "Host Identity");
        if (diType == DomainIdentifierType.None && diLength != 0)
        {
            throw new HipFormatException(WireError.InvalidParameter, "HOST_ID DI-Type none with a non-zero DI Length");
        }

        var hi = r.ReadBytes(hiLength).ToArray();
        var domain = r.ReadBytes(diLength).ToArray();
        r.ExpectEnd();
        return new HostIdParameter(algorithm, hi, diType, domain);
    }
}
