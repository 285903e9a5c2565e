using System.Buffers.Binary;
using Hipnat.Wire.Packets;

namespace Hipnat.Wire;

/// <summary>
/// Demultiplexing of the single UDP port (10500 by default) that carries HIP control packets, ESP and, in
/// ICE-STUN-UDP mode, STUN. HIP control packets follow the RFC 3948 §2.2 non-ESP marker (32 zero bits) and
/// their HIP checksum MUST be zero (RFC 9028 §5.1, RFC 5770 §5.1); ESP starts with its SPI, which MUST NOT be
/// zero (RFC 3948 §2.1); STUN starts with two zero bits and has the magic cookie at offset 4 (RFC 8489 §5,
/// RFC 5770 §5.3). Nothing here throws on received data.
/// </summary>
public static class HipUdpFraming
{
    /// <summary>Default UDP port for HIP control and data (RFC 9028 §5.1, §8).</summary>
    public const ushort DefaultPort = 10500;

    /// <summary>Length of the non-ESP marker; the HIP packet starts at this offset.</summary>
    public const int HipControlOffset = 4;

    /// <summary>The NAT-keepalive payload octet (RFC 3948 §2.3).</summary>
    public const byte NatKeepaliveOctet = 0xFF;

    /// <summary>STUN magic cookie (RFC 8489 §5).</summary>
    public const uint StunMagicCookie = 0x2112A442;

    /// <summary>STUN header length (RFC 8489 §5).</summary>
    public const int StunHeaderLength = 20;

    /// <summary>ESP header: SPI and Sequence Number (RFC 4303 §2).</summary>
    public const int EspHeaderLength = 8;

    /// <summary>Classifies a UDP payload. Never throws.</summary>
    public static UdpPayloadKind Classify(ReadOnlySpan<byte> udpPayload)
    {
        if (udpPayload.Length == 1)
        {
            // RFC 3948 §2.3: a one-octet payload of 0xFF.
            return udpPayload[0] == NatKeepaliveOctet ? UdpPayloadKind.NatKeepalive : UdpPayloadKind.Invalid;
        }

        if (udpPayload.Length < HipControlOffset)
        {
            return UdpPayloadKind.Invalid;
        }

        uint first = BinaryPrimitives.ReadUInt32BigEndian(udpPayload);
        if (first == 0)
        {
            // Non-ESP marker (RFC 9028 §5.1): a HIP header must follow.
            return udpPayload.Length >= HipControlOffset + HipHeader.Size ? UdpPayloadKind.HipControl : UdpPayloadKind.Invalid;
        }

        if (IsStun(udpPayload))
        {
            return UdpPayloadKind.Stun;
        }

        // ESP: the non-zero SPI (RFC 3948 §2.1) and the sequence number at least.
        return udpPayload.Length >= EspHeaderLength ? UdpPayloadKind.Esp : UdpPayloadKind.Invalid;
    }

    /// <summary>
    /// RFC 8489 §5-§6: the first two bits are zero, the magic cookie is at offset 4, and the Message Length
    /// (a multiple of 4) matches the octets after the 20-octet header.
    /// </summary>
    public static bool IsStun(ReadOnlySpan<byte> udpPayload)
    {
        if (udpPayload.Length < StunHeaderLength || (udpPayload[0] & 0xC0) != 0)
        {
            return false;
        }

        int messageLength = BinaryPrimitives.ReadUInt16BigEndian(udpPayload[2..]);
        return BinaryPrimitives.ReadUInt32BigEndian(udpPayload[4..]) == StunMagicCookie
            && messageLength % 4 == 0
            && messageLength == udpPayload.Length - StunHeaderLength;
    }

    /// <summary>
    /// Extracts the HIP packet from a HIP control payload: <see cref="WireError.BadFraming"/> if the marker is not
    /// zero, the payload too short, or the HIP checksum is not zero (RFC 9028 §5.1).
    /// </summary>
    public static WireError TryGetHipControl(ReadOnlySpan<byte> udpPayload, out ReadOnlySpan<byte> hipPacket)
    {
        hipPacket = default;
        if (udpPayload.Length < HipControlOffset + HipHeader.Size
            || BinaryPrimitives.ReadUInt32BigEndian(udpPayload) != 0)
        {
            return WireError.BadFraming;
        }

        var hip = udpPayload[HipControlOffset..];
        if (BinaryPrimitives.ReadUInt16BigEndian(hip[HipChecksum.ChecksumOffset..]) != 0)
        {
            return WireError.BadFraming;
        }

        hipPacket = hip;
        return WireError.None;
    }

    /// <summary>Extracts and parses the HIP packet of a HIP control payload (<see cref="HipPacket.TryParse"/> rules).</summary>
    public static WireError TryParseHipControl(ReadOnlySpan<byte> udpPayload, out HipPacket packet, bool rejectUnknownCritical = true)
    {
        packet = default;
        var err = TryGetHipControl(udpPayload, out var hip);
        return err != WireError.None ? err : HipPacket.TryParse(hip, out packet, rejectUnknownCritical);
    }

    /// <summary>
    /// Writes the non-ESP marker and <paramref name="hipPacket"/> with its checksum zeroed into
    /// <paramref name="destination"/>; returns the UDP payload length.
    /// </summary>
    public static int WriteHipControl(ReadOnlySpan<byte> hipPacket, Span<byte> destination)
    {
        if (hipPacket.Length < HipHeader.Size)
        {
            throw new ArgumentException("not a HIP packet", nameof(hipPacket));
        }

        int total = HipControlOffset + hipPacket.Length;
        if (destination.Length < total)
        {
            throw new ArgumentException($"UDP payload buffer of {destination.Length} octets, need {total}", nameof(destination));
        }

        BinaryPrimitives.WriteUInt32BigEndian(destination, 0);
        hipPacket.CopyTo(destination[HipControlOffset..]);
        HipHeader.PatchChecksum(destination[HipControlOffset..], 0);
        return total;
    }

    /// <summary>
    /// Writes the non-ESP marker and returns the rest of <paramref name="datagram"/>, for building a HIP packet in
    /// place (<see cref="HipPacketBuilder"/> leaves the checksum zero); the payload is 4 + the packet length.
    /// </summary>
    public static Span<byte> BeginHipControl(Span<byte> datagram)
    {
        BinaryPrimitives.WriteUInt32BigEndian(datagram, 0);
        return datagram[HipControlOffset..];
    }

    /// <summary>The SPI of an ESP payload, or false if the payload is not ESP.</summary>
    public static bool TryGetEspSpi(ReadOnlySpan<byte> udpPayload, out uint spi)
    {
        spi = 0;
        if (Classify(udpPayload) != UdpPayloadKind.Esp)
        {
            return false;
        }

        spi = BinaryPrimitives.ReadUInt32BigEndian(udpPayload);
        return true;
    }

    /// <summary>Writes the one-octet NAT-keepalive (RFC 3948 §2.3); returns 1.</summary>
    public static int WriteNatKeepalive(Span<byte> destination)
    {
        destination[0] = NatKeepaliveOctet;
        return 1;
    }
}
