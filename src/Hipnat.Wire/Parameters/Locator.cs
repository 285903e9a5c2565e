using System.Net;

namespace Hipnat.Wire.Parameters;

/// <summary>
/// One Locator of a LOCATOR_SET (RFC 8046 §4): Traffic Type, Locator Type, Locator Length (4-octet words),
/// P (preferred) bit, Lifetime in seconds, and the locator itself:
/// type 0 an address (RFC 8046 §4.2), type 1 an ESP SPI and an address (RFC 8046 §4.2), type 2 a transport
/// address with port, protocol, candidate kind, ICE priority, SPI and address (RFC 9028 §5.7, RFC 5770 §5.7).
/// Other Locator Types are kept as raw octets so that LOCATOR_TYPE_UNSUPPORTED can quote them (RFC 8046 §5.3).
/// </summary>
public readonly struct Locator
{
    /// <summary>Octets before the Locator field: Traffic Type, Locator Type, Locator Length, Reserved/P, Lifetime.</summary>
    public const int HeaderLength = 8;

    /// <summary>Locator Length of each known type, in 4-octet words.</summary>
    public const int AddressWords = 4;
    public const int EspSpiAddressWords = 5;
    public const int TransportAddressWords = 7;

    private readonly IPAddress? _address;
    private readonly ReadOnlyMemory<byte> _raw;

    private Locator(
        LocatorTrafficType trafficType,
        LocatorType locatorType,
        bool preferred,
        uint lifetime,
        IPAddress? address,
        uint spi = 0,
        ushort port = 0,
        TransportProtocol protocol = TransportProtocol.PlainIp,
        CandidateKind kind = CandidateKind.Host,
        uint priority = 0,
        ReadOnlyMemory<byte> raw = default)
    {
        TrafficType = trafficType;
        LocatorType = locatorType;
        Preferred = preferred;
        Lifetime = lifetime;
        _address = address is null ? null : Ipv4MappedAddress.Normalize(address);
        Spi = spi;
        Port = port;
        Protocol = protocol;
        Kind = kind;
        Priority = priority;
        _raw = raw;
    }

    public LocatorTrafficType TrafficType { get; }

    public LocatorType LocatorType { get; }

    /// <summary>P bit: preferred for <see cref="TrafficType"/> (RFC 8046 §4.1); in R1, usable for the rest of the BEX (RFC 9028 §5.7).</summary>
    public bool Preferred { get; }

    /// <summary>Lifetime in seconds; RFC 8046 §4 requires senders to use a non-zero value.</summary>
    public uint Lifetime { get; }

    /// <summary>The address (IPv4-mapped on the wire), or IPv6Any for an unknown Locator Type.</summary>
    public IPAddress Address => _address ?? IPAddress.IPv6Any;

    /// <summary>ESP SPI for types 1 and 2; zero otherwise.</summary>
    public uint Spi { get; }

    /// <summary>Transport port (type 2).</summary>
    public ushort Port { get; }

    /// <summary>Transport protocol (type 2; only UDP is defined).</summary>
    public TransportProtocol Protocol { get; }

    /// <summary>ICE candidate kind (type 2).</summary>
    public CandidateKind Kind { get; }

    /// <summary>ICE candidate priority (type 2, RFC 8445 §5.1.2).</summary>
    public uint Priority { get; }

    /// <summary>The Locator field of an unknown Locator Type; empty for known types.</summary>
    public ReadOnlyMemory<byte> RawLocator => _raw;

    public bool IsKnownType => LocatorType is LocatorType.Address or LocatorType.EspSpiAddress or LocatorType.TransportAddress;

    /// <summary>Transport address of a type 2 locator.</summary>
    public IPEndPoint EndPoint => new(Address, Port);

    /// <summary>Locator Length field: the Locator field size in 4-octet words.</summary>
    public int LocatorLength => LocatorType switch
    {
        LocatorType.Address => AddressWords,
        LocatorType.EspSpiAddress => EspSpiAddressWords,
        LocatorType.TransportAddress => TransportAddressWords,
        _ => _raw.Length / 4,
    };

    /// <summary>Octets this locator occupies in the LOCATOR_SET.</summary>
    public int WireLength => HeaderLength + (4 * LocatorLength);

    /// <summary>Type 0: an IPv6 or IPv4 address (RFC 8046 §4.2).</summary>
    public static Locator ForAddress(
        IPAddress address,
        uint lifetime,
        LocatorTrafficType trafficType = LocatorTrafficType.Both,
        bool preferred = false)
    {
        ArgumentNullException.ThrowIfNull(address);
        return new Locator(trafficType, LocatorType.Address, preferred, lifetime, address);
    }

    /// <summary>Type 1: an ESP SPI and an address (RFC 8046 §4.2).</summary>
    public static Locator ForEspAddress(
        uint spi,
        IPAddress address,
        uint lifetime,
        LocatorTrafficType trafficType = LocatorTrafficType.Both,
        bool preferred = false)
    {
        ArgumentNullException.ThrowIfNull(address);
        return new Locator(trafficType, LocatorType.EspSpiAddress, preferred, lifetime, address, spi);
    }

    /// <summary>Type 2: a transport address candidate (RFC 9028 §5.7).</summary>
    public static Locator ForTransportAddress(
        IPAddress address,
        ushort port,
        CandidateKind kind,
        uint priority,
        uint spi,
        uint lifetime,
        LocatorTrafficType trafficType = LocatorTrafficType.Both,
        bool preferred = false,
        TransportProtocol protocol = TransportProtocol.Udp)
    {
        ArgumentNullException.ThrowIfNull(address);
        return new Locator(trafficType, LocatorType.TransportAddress, preferred, lifetime, address, spi, port, protocol, kind, priority);
    }

    /// <summary>A locator of a type this implementation does not interpret; <paramref name="locator"/> is whole words.</summary>
    public static Locator ForUnknownType(
        byte locatorType,
        ReadOnlyMemory<byte> locator,
        uint lifetime,
        LocatorTrafficType trafficType = LocatorTrafficType.Both,
        bool preferred = false)
    {
        if (locatorType <= (byte)LocatorType.TransportAddress)
        {
            throw new ArgumentException($"locator type {locatorType} has a defined format", nameof(locatorType));
        }

        if (locator.Length % 4 != 0 || locator.Length > 4 * 255)
        {
            throw new ArgumentException("a Locator field is at most 255 four-octet words", nameof(locator));
        }

        return new Locator(trafficType, (LocatorType)locatorType, preferred, lifetime, null, raw: locator);
    }

    internal void Write(ref HipWriter w)
    {
        w.WriteByte((byte)TrafficType);
        w.WriteByte((byte)LocatorType);
        w.WriteByte((byte)LocatorLength);
        w.WriteByte(Preferred ? (byte)1 : (byte)0); // Reserved (7 bits, zero when sent) | P
        w.WriteUInt32(Lifetime);
        switch (LocatorType)
        {
            case LocatorType.Address:
                w.WriteAddress(Address);
                break;
            case LocatorType.EspSpiAddress:
                w.WriteUInt32(Spi);
                w.WriteAddress(Address);
                break;
            case LocatorType.TransportAddress:
                w.WriteUInt16(Port);
                w.WriteByte((byte)Protocol);
                w.WriteByte((byte)Kind);
                w.WriteUInt32(Priority);
                w.WriteUInt32(Spi);
                w.WriteAddress(Address);
                break;
            default:
                w.WriteBytes(_raw.Span);
                break;
        }
    }

    internal static Locator Read(ref HipReader r)
    {
        var traffic = (LocatorTrafficType)r.ReadByte();
        var type = (LocatorType)r.ReadByte();
        int words = r.ReadByte();
        bool preferred = (r.ReadByte() & 0x01) != 0; // Reserved bits ignored when received
        uint lifetime = r.ReadUInt32();
        var field = new HipReader(r.ReadBytes(4 * words));

        int expected = type switch
        {
            LocatorType.Address => AddressWords,
            LocatorType.EspSpiAddress => EspSpiAddressWords,
            LocatorType.TransportAddress => TransportAddressWords,
            _ => words,
        };
        if (words != expected)
        {
            throw new HipFormatException(
                WireError.InvalidParameter,
                $"LOCATOR_SET locator type {(byte)type} with Locator Length {words}, expected {expected}");
        }

        switch (type)
        {
            case LocatorType.Address:
                return new Locator(traffic, type, preferred, lifetime, field.ReadAddress());
            case LocatorType.EspSpiAddress:
            {
                uint spi = field.ReadUInt32();
                return new Locator(traffic, type, preferred, lifetime, field.ReadAddress(), spi);
            }

            case LocatorType.TransportAddress:
            {
                ushort port = field.ReadUInt16();
                var protocol = (TransportProtocol)field.ReadByte();
                var kind = (CandidateKind)field.ReadByte();
                uint priority = field.ReadUInt32();
                uint spi = field.ReadUInt32();
                var address = field.ReadAddress();
                return new Locator(traffic, type, preferred, lifetime, address, spi, port, protocol, kind, priority);
            }

            default:
                return new Locator(traffic, type, preferred, lifetime, null, raw: field.RemainingSpan.ToArray());
        }
    }

    public override string ToString() => LocatorType switch
    {
        LocatorType.Address => $"{Address} ({TrafficType}, {Lifetime}s{(Preferred ? ", preferred" : "")})",
        LocatorType.EspSpiAddress => $"{Address} spi 0x{Spi:x8} ({TrafficType}, {Lifetime}s{(Preferred ? ", preferred" : "")})",
        LocatorType.TransportAddress =>
            $"{Kind} {EndPoint}/{Protocol} prio {Priority} spi 0x{Spi:x8} ({TrafficType}, {Lifetime}s{(Preferred ? ", preferred" : "")})",
        _ => $"locator type {(byte)LocatorType}, {RawLocator.Length} octets",
    };
}
