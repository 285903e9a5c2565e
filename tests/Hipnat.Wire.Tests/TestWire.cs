using System.Buffers.Binary;
using System.Net;
using Hipnat.Wire.Packets;
using Hipnat.Wire.Parameters;

namespace Hipnat.Wire.Tests;

/// <summary>Packet building and parsing helpers shared by the tests.</summary>
internal static class TestWire
{
    public delegate void BuildAction(ref HipPacketBuilder builder);

    public static readonly Hit Sender = new(0x2001_0021_0000_0000UL, 0x0000_0000_0000_0001UL);

    public static readonly Hit Receiver = new(0x2001_0021_ABCD_0000UL, 0x0000_0000_0000_0002UL);

    public static byte[] Build(HipPacketType type, BuildAction build, ushort controls = 0)
    {
        var buffer = new byte[HipHeader.MaxPacketLength];
        var b = new HipPacketBuilder(buffer, type, Sender, Receiver, controls);
        build(ref b);
        int n = b.Finish();
        return buffer[..n];
    }

    public static byte[] BuildWith<T>(T parameter, HipPacketType type = HipPacketType.Update)
        where T : struct, IHipParameter<T> =>
        Build(type, (ref HipPacketBuilder b) => b.Add(parameter));

    /// <summary>
    /// Puts <paramref name="value"/> alone in an UPDATE, parses it back and returns the decoded value, checking the
    /// TLV framing on the way: Length = content length, total a multiple of 8, zero padding, and re-encoding
    /// the decoded value gives the same contents.
    /// </summary>
    public static T RoundTrip<T>(T value)
        where T : struct, IHipParameter<T>
    {
        var bytes = BuildWith(value);
        Assert.Equal(WireError.None, HipPacket.TryParse(bytes, out var packet));
        Assert.Equal(bytes.Length, packet.Header.PacketLength);
        Assert.True(packet.TryFind(T.Type, out var raw));
        Assert.Equal(HipHeader.Size, raw.Offset);
        Assert.Equal(value.GetContentLength(), raw.Contents.Length);
        Assert.Equal(value.GetContentLength(), BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(raw.Offset + 2)));
        Assert.Equal(0, raw.TotalLength % 8);
        Assert.Equal(bytes.Length, raw.Offset + raw.TotalLength);
        var padding = bytes.AsSpan(raw.Offset + 4 + raw.Contents.Length);
        Assert.True(padding.Length < 8);
        Assert.True(padding.IndexOfAnyExcept((byte)0) < 0, "padding must be zero");

        Assert.True(packet.TryGet(out T parsed, out var error), $"{typeof(T).Name}: {error}");
        Assert.Equal(WireError.None, error);

        var again = new byte[parsed.GetContentLength()];
        parsed.WriteContents(again);
        Assert.Equal(raw.Contents.ToArray(), again);
        return parsed;
    }

    /// <summary>Decodes <paramref name="contents"/> as a parameter of type <typeparamref name="T"/>.</summary>
    public static WireError ReadError<T>(byte[] contents)
        where T : struct, IHipParameter<T>
    {
        var p = new HipParameter(T.Type, contents, HipHeader.Size, HipParameterHeader.TotalLength(contents.Length));
        bool ok = HipPacket.TryRead<T>(p, out _, out var error);
        Assert.Equal(ok, error == WireError.None);
        return error;
    }

    /// <summary>The error TryGet reports for a packet holding one raw TLV of T's type with these contents.</summary>
    public static WireError GetError<T>(byte[] contents)
        where T : struct, IHipParameter<T>
    {
        var bytes = Build(HipPacketType.Update, (ref HipPacketBuilder b) => b.AddRaw(T.Type, contents));
        Assert.Equal(WireError.None, HipPacket.TryParse(bytes, out var packet));
        bool ok = packet.TryGet<T>(out _, out var error);
        Assert.Equal(ok, error == WireError.None);
        return error;
    }

    /// <summary>A packet assembled octet by octet, for inputs the builder refuses to produce.</summary>
    public static byte[] RawPacket(HipPacketType type, params (ushort Type, byte[] Contents)[] tlvs)
    {
        var body = new List<byte>();
        foreach (var (t, c) in tlvs)
        {
            int total = HipParameterHeader.TotalLength(c.Length);
            var tlv = new byte[total];
            BinaryPrimitives.WriteUInt16BigEndian(tlv, t);
            BinaryPrimitives.WriteUInt16BigEndian(tlv.AsSpan(2), (ushort)c.Length);
            c.CopyTo(tlv, 4);
            body.AddRange(tlv);
        }

        var packet = new byte[HipHeader.Size + body.Count];
        new HipHeader(type, Sender, Receiver, packetLength: packet.Length).Write(packet);
        body.CopyTo(packet, HipHeader.Size);
        return packet;
    }

    public static IPAddress V4(string s) => IPAddress.Parse(s);

    public static IPAddress V6(string s) => IPAddress.Parse(s);

    /// <summary>An address from generator output: IPv4 when <paramref name="v4"/>, else IPv6 from two halves.</summary>
    public static IPAddress Address(bool v4, uint v4Bits, ulong high, ulong low)
    {
        if (v4)
        {
            var b4 = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(b4, v4Bits);
            return new IPAddress(b4);
        }

        var b = new byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(b, high);
        BinaryPrimitives.WriteUInt64BigEndian(b.AsSpan(8), low);
        return new IPAddress(b);
    }

    public static byte[] Bytes(int n, int seed = 1)
    {
        var b = new byte[n];
        for (int i = 0; i < n; i++)
        {
            b[i] = (byte)((i * 31) + seed);
        }

        return b;
    }
}
