using System.Buffers.Binary;

namespace Hipnat.Nat.Turn;

/// <summary>
/// The ChannelData message (RFC 8656 §12.4): a 16-bit channel number (0x4000-0x4FFF), a 16-bit length of the
/// application data (0 is valid), and the data. Over UDP padding to 4 octets is optional; over TCP it is
/// required and not counted in the length (§12.5).
/// </summary>
public static class TurnChannelData
{
    public const ushort MinChannel = 0x4000;
    public const ushort MaxChannel = 0x4FFF;
    public const int HeaderSize = 4;

    public static bool IsValidChannel(ushort channel) => channel is >= MinChannel and <= MaxChannel;

    /// <summary>First-octet demultiplexing (RFC 8656 §12, Table 3): 64-79 is a TURN channel.</summary>
    public static bool LooksLikeChannelData(ReadOnlySpan<byte> datagram) => datagram.Length >= HeaderSize && datagram[0] is >= 0x40 and <= 0x4F;

    /// <summary>Frames <paramref name="data"/> for <paramref name="channel"/>; <paramref name="pad"/> rounds the size up to 4.</summary>
    public static byte[] Write(ushort channel, ReadOnlySpan<byte> data, bool pad = false)
    {
        if (!IsValidChannel(channel))
        {
            throw new ArgumentOutOfRangeException(nameof(channel), "channel numbers are 0x4000-0x4FFF (RFC 8656 §12)");
        }

        if (data.Length > ushort.MaxValue)
        {
            throw new ArgumentException("at most 65535 octets", nameof(data));
        }

        int size = HeaderSize + data.Length;
        if (pad)
        {
            size += (4 - (data.Length & 3)) & 3;
        }

        var message = new byte[size];
        BinaryPrimitives.WriteUInt16BigEndian(message, channel);
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(2), (ushort)data.Length);
        data.CopyTo(message.AsSpan(HeaderSize));
        return message;
    }

    /// <summary>
    /// Reads a ChannelData message from a UDP datagram. False (discard, RFC 8656 §12.6) for a number outside
    /// 0x4000-0x4FFF or a datagram shorter than the claimed length; octets after the data (padding) are ignored.
    /// Never throws.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> datagram, out ushort channel, out ReadOnlySpan<byte> data)
    {
        channel = 0;
        data = default;
        if (datagram.Length < HeaderSize)
        {
            return false;
        }

        ushort number = BinaryPrimitives.ReadUInt16BigEndian(datagram);
        int length = BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]);
        if (!IsValidChannel(number) || datagram.Length - HeaderSize < length)
        {
            return false;
        }

        channel = number;
        data = datagram.Slice(HeaderSize, length);
        return true;
    }
}
