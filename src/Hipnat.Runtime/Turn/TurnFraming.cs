using System.Buffers.Binary;
using Hipnat.Nat.Turn;

namespace Hipnat.Runtime.Turn;

/// <summary>
/// ChannelData framing on spans (RFC 8656 §12.4-12.5), for the ESP hot path: no arrays, no copies on receive.
/// </summary>
public static class TurnFraming
{
    /// <summary>The 4-octet ChannelData header: channel number and data length.</summary>
    public const int HeaderSize = TurnChannelData.HeaderSize;

    /// <summary>
    /// Reads a ChannelData datagram as UDP delivers it: a channel number 0x4000-0x4FFF (first two bits 01, RFC 8656
    /// §12), a length that fits, and at most 3 octets of padding after the data (§12.5). False for anything else.
    /// </summary>
    public static bool TryUnwrap(ReadOnlySpan<byte> datagram, out ushort channel, out ReadOnlySpan<byte> data)
    {
        channel = 0;
        data = default;
        if (datagram.Length < HeaderSize || datagram[0] is < 0x40 or > 0x4F)
        {
            return false;
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]);
        int spare = datagram.Length - HeaderSize - length;
        if (spare is < 0 or > 3)
        {
            return false;
        }

        channel = BinaryPrimitives.ReadUInt16BigEndian(datagram);
        data = datagram.Slice(HeaderSize, length);
        return true;
    }

    /// <summary>Writes the ChannelData header for <paramref name="length"/> octets of data on <paramref name="channel"/>.</summary>
    public static void WriteHeader(Span<byte> destination, ushort channel, int length)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, channel);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)length);
    }

    /// <summary>True for an ESP datagram (RFC 9028 §5.11): a non-zero SPI that is not STUN.</summary>
    public static bool IsEsp(ReadOnlySpan<byte> payload) =>
        payload.Length >= 8 && BinaryPrimitives.ReadUInt32BigEndian(payload) != 0 && !Hipnat.Wire.HipUdpFraming.IsStun(payload);
}
