using System.Buffers.Binary;
using Hipnat.Wire.Packets;
using Hipnat.Wire.Parameters;
using static Hipnat.Wire.Tests.TestWire;

namespace Hipnat.Wire.Tests;

/// <summary>Malformed packets are rejected with the exact <see cref="WireError"/> (RFC 7401 §5.1, §5.2.1).</summary>
public class PacketRejectionTests
{
    private static byte[] Valid() => Build(HipPacketType.Update, (ref HipPacketBuilder b) =>
    {
        b.Add(new SeqParameter(1));
        b.Add(new AckParameter(2));
    });

    [Fact]
    public void Valid_packet_parses()
    {
        Assert.Equal(WireError.None, HipPacket.TryParse(Valid(), out _));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(39)]
    public void Truncated_header(int length)
    {
        Assert.Equal(WireError.Truncated, HipPacket.TryParse(Valid().AsSpan(0, length), out _));
    }

    [Fact]
    public void Header_length_beyond_data()
    {
        var bytes = Valid();
        Assert.Equal(WireError.Truncated, HipPacket.TryParse(bytes.AsSpan(0, bytes.Length - 8), out _));
        Assert.Equal(WireError.Truncated, HipPacket.TryParse(bytes.AsSpan(0, bytes.Length - 1), out _));
        bytes[1]++;
        Assert.Equal(WireError.Truncated, HipPacket.TryParse(bytes, out _));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public void Header_length_below_four(byte headerLength)
    {
        var bytes = Valid();
        bytes[1] = headerLength;
        Assert.Equal(WireError.BadHeader, HipPacket.TryParse(bytes, out _));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(15)]
    public void Version_other_than_two(int version)
    {
        var bytes = Valid();
        bytes[3] = (byte)((version << 4) | 1);
        Assert.Equal(WireError.UnsupportedVersion, HipPacket.TryParse(bytes, out _));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(15)]
    [InlineData(20)]
    [InlineData(127)]
    public void Unknown_packet_type(byte type)
    {
        var bytes = Valid();
        bytes[2] = type;
        Assert.Equal(WireError.UnknownPacketType, HipPacket.TryParse(bytes, out _));
    }

    [Fact]
    public void Fixed_and_reserved_header_bits_are_ignored()
    {
        // RFC 7401 §5.1: the fixed bits and RES MUST be ignored on receipt.
        var bytes = Valid();
        bytes[2] |= 0x80;
        bytes[3] = 0x2E;
        Assert.Equal(WireError.None, HipPacket.TryParse(bytes, out var p));
        Assert.Equal(HipPacketType.Update, p.Type);
    }

    [Fact]
    public void Other_next_header_with_trailing_data_is_accepted()
    {
        // RFC 7401 §5.1: trailing data after Header Length is ignored.
        var bytes = Valid();
        bytes[0] = 17;
        var longer = bytes.Concat(new byte[] { 1, 2, 3, 4, 5 }).ToArray();
        Assert.Equal(WireError.None, HipPacket.TryParse(longer, out var p));
        Assert.Equal(bytes.Length, p.Data.Length);
        Assert.True(p.TryGet(out AckParameter ack));
        Assert.Equal([2u], ack.UpdateIds);
    }

    [Fact]
    public void Misordered_parameters()
    {
        var bytes = RawPacket(HipPacketType.Update, (ParameterType.Ack, Bytes(4)), (ParameterType.Seq, Bytes(4)));
        Assert.Equal(WireError.ParameterOrder, HipPacket.TryParse(bytes, out _));
    }

    [Fact]
    public void Equal_types_must_be_consecutive()
    {
        // RFC 7401 §5.2.1: A, B, A breaks ascending order.
        var ok = RawPacket(HipPacketType.Update, (ParameterType.EchoRequestUnsigned, Bytes(4)), (ParameterType.EchoRequestUnsigned, Bytes(4)));
        Assert.Equal(WireError.None, HipPacket.TryParse(ok, out _));
        var bad = RawPacket(
            HipPacketType.Update,
            (ParameterType.EchoResponseUnsigned, Bytes(4)),
            (ParameterType.EchoRequestUnsigned, Bytes(4)),
            (ParameterType.EchoResponseUnsigned, Bytes(4)));
        Assert.Equal(WireError.ParameterOrder, HipPacket.TryParse(bad, out _));
    }

    [Fact]
    public void Tlv_length_overrunning_the_packet()
    {
        var bytes = Valid();
        // The last TLV is ACK at offset 48 (SEQ is 8 octets); make its contents run past the end.
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(HipHeader.Size + 8 + 2), 5);
        Assert.Equal(WireError.ParameterLength, HipPacket.TryParse(bytes, out _));
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(HipHeader.Size + 8 + 2), 0xFFFF);
        Assert.Equal(WireError.ParameterLength, HipPacket.TryParse(bytes, out _));
    }

    [Fact]
    public void Unknown_critical_parameter()
    {
        var bytes = RawPacket(HipPacketType.Update, (ParameterType.Seq, Bytes(4)), (1001, Bytes(3)));
        Assert.Equal(WireError.UnknownCriticalParameter, HipPacket.TryParse(bytes, out _));
        Assert.Equal(WireError.None, HipPacket.TryParse(bytes, out var lenient, rejectUnknownCritical: false));
        Assert.True(lenient.TryFindUnknownCritical(out ushort unknown));
        Assert.Equal(1001, unknown);
        Assert.Equal(WireError.None, HipPacket.TryParse(Valid(), out var valid));
        Assert.False(valid.TryFindUnknownCritical(out _));
    }

    [Fact]
    public void Unknown_non_critical_parameter_is_accepted_and_skipped()
    {
        var bytes = RawPacket(HipPacketType.Update, (ParameterType.Seq, Bytes(4)), (1000, Bytes(3)), (ParameterType.HipMac, Bytes(32)));
        Assert.Equal(WireError.None, HipPacket.TryParse(bytes, out var p));
        Assert.True(p.TryGet(out HipMacParameter mac));
        Assert.Equal(Bytes(32), mac.Hmac.ToArray());
        Assert.True(p.Has(1000));
    }

    [Fact]
    public void Non_zero_padding_is_not_checked()
    {
        // RFC 7401 §5.2.1: padding values SHOULD NOT be checked by the receiver.
        var bytes = Build(HipPacketType.Update, (ref HipPacketBuilder b) => b.Add(new AckParameter(1, 2)));
        Assert.Equal(HipHeader.Size + 16, bytes.Length); // 4 + 8 contents + 4 padding
        bytes.AsSpan(bytes.Length - 4).Fill(0xAA);
        Assert.Equal(WireError.None, HipPacket.TryParse(bytes, out var p));
        Assert.True(p.TryGet(out AckParameter ack));
        Assert.Equal([1u, 2u], ack.UpdateIds);
    }

    [Fact]
    public void Header_only_packet_is_valid()
    {
        var bytes = RawPacket(HipPacketType.Notify);
        Assert.Equal(WireError.None, HipPacket.TryParse(bytes, out var p));
        Assert.Equal(HipHeader.Size, p.Data.Length);
        Assert.False(p.TryGet(out NotificationParameter _, out var e));
        Assert.Equal(WireError.MissingParameter, e);
    }

    [Fact]
    public void Malformed_parameter_is_reported_by_try_get_not_try_parse()
    {
        var bytes = RawPacket(HipPacketType.Update, (ParameterType.Seq, Bytes(5)));
        Assert.Equal(WireError.None, HipPacket.TryParse(bytes, out var p));
        Assert.False(p.TryGet(out SeqParameter _, out var e));
        Assert.Equal(WireError.InvalidParameter, e);
        Assert.False(p.TryGetAll(out SeqParameter[] all, out e));
        Assert.Empty(all);
        Assert.Equal(WireError.InvalidParameter, e);
    }
}
