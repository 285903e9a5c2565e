using System.Buffers.Binary;

namespace Hipnat.Wire.Packets;

/// <summary>The fixed 40-octet HIP header (RFC 7401 §5.1).</summary>
public readonly struct HipHeader
{
    public const int Size = 40;
    public const byte NextHeaderNone = 59;
    public const byte Version2 = 2;
    public const ushort ControlAnonymous = 0x0001;

    /// <summary>Header Length counts 8-octet units after the first 8 octets: at least 4, at most 255.</summary>
    public const int MaxPacketLength = (255 + 1) * 8;

    public HipHeader(HipPacketType type, Hit sender, Hit receiver, ushort controls = 0, int packetLength = Size, ushort checksum = 0)
    {
        Type = type;
        SenderHit = sender;
        ReceiverHit = receiver;
        Controls = controls;
        PacketLength = packetLength;
        Checksum = checksum;
    }

    public HipPacketType Type { get; }

    public Hit SenderHit { get; }

    public Hit ReceiverHit { get; }

    public ushort Controls { get; }

    public ushort Checksum { get; }

    /// <summary>Total length of the HIP packet in octets, (Header Length + 1) * 8.</summary>
    public int PacketLength { get; }

    public static bool IsKnownType(byte t) => t is 1 or 2 or 3 or 4 or 16 or 17 or 18 or 19;

    /// <summary>Writes the header; <see cref="PacketLength"/> must be a multiple of 8 in [40, 2048].</summary>
    public void Write(Span<byte> destination)
    {
        destination[0] = NextHeaderNone;
        destination[1] = (byte)((PacketLength / 8) - 1);
        destination[2] = (byte)((byte)Type & 0x7F);
        destination[3] = (Version2 << 4) | 0x01;
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], Checksum);
        BinaryPrimitives.WriteUInt16BigEndian(destination[6..], Controls);
        SenderHit.WriteTo(destination[8..]);
        ReceiverHit.WriteTo(destination[24..]);
    }

    /// <summary>Parses and validates the header of untrusted input (RFC 7401 §5.1).</summary>
    public static WireError TryRead(ReadOnlySpan<byte> data, out HipHeader header)
    {
        header = default;
        if (data.Length < Size)
        {
            return WireError.Truncated;
        }

        // Next Header: only 59 is described; other values MUST be tolerated with trailing data ignored (§5.1).
        int hdrLen = data[1];
        if (hdrLen < 4)
        {
            return WireError.BadHeader;
        }

        int length = (hdrLen + 1) * 8;
        if (length > data.Length)
        {
            return WireError.Truncated;
        }

        int version = data[3] >> 4;
        if (version != Version2)
        {
            return WireError.UnsupportedVersion;
        }

        // Reserved and fixed bits (including the leading 0 before Packet Type): set on send, ignored on
        // receipt (§5.1).
        byte type = (byte)(data[2] & 0x7F);
        if (!IsKnownType(type))
        {
            return WireError.UnknownPacketType;
        }

        header = new HipHeader(
            (HipPacketType)type,
            new Hit(data.Slice(8, 16)),
            new Hit(data.Slice(24, 16)),
            BinaryPrimitives.ReadUInt16BigEndian(data[6..]),
            length,
            BinaryPrimitives.ReadUInt16BigEndian(data[4..]));
        return WireError.None;
    }

    /// <summary>Rewrites Header Length in place (used when computing MACs and signatures over a prefix, RFC 7401 §6.4.1).</summary>
    public static void PatchLength(Span<byte> packet, int packetLength) => packet[1] = (byte)((packetLength / 8) - 1);

    public static void PatchChecksum(Span<byte> packet, ushort checksum) => BinaryPrimitives.WriteUInt16BigEndian(packet[4..], checksum);
}
