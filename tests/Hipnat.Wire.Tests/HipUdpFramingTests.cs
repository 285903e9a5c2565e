using System.Buffers.Binary;
using Hipnat.Wire.Packets;
using Hipnat.Wire.Parameters;
using static Hipnat.Wire.Tests.TestWire;

namespace Hipnat.Wire.Tests;

/// <summary>Demultiplexing of the HIP UDP port (RFC 9028 §5.1, RFC 5770 §5.1/§5.3, RFC 3948 §2, RFC 8489 §5).</summary>
public class HipUdpFramingTests
{
    private static byte[] HipPayload()
    {
        var hip = BuildWith(new SeqParameter(9));
        var payload = new byte[hip.Length + 4];
        Assert.Equal(payload.Length, HipUdpFraming.WriteHipControl(hip, payload));
        return payload;
    }

    private static byte[] StunBindingIndication()
    {
        // RFC 8489 §5: type 0x0011 (Binding indication), length 8, magic cookie, 96-bit transaction ID,
        // then a FINGERPRINT attribute (type 0x8028, length 4, value).
        var m = new byte[28];
        BinaryPrimitives.WriteUInt16BigEndian(m, 0x0011);
        BinaryPrimitives.WriteUInt16BigEndian(m.AsSpan(2), 8);
        BinaryPrimitives.WriteUInt32BigEndian(m.AsSpan(4), 0x2112A442);
        Bytes(12).CopyTo(m, 8);
        BinaryPrimitives.WriteUInt16BigEndian(m.AsSpan(20), 0x8028);
        BinaryPrimitives.WriteUInt16BigEndian(m.AsSpan(22), 4);
        BinaryPrimitives.WriteUInt32BigEndian(m.AsSpan(24), 0xDEADBEEF);
        return m;
    }

    private static byte[] Esp(uint spi, int length = 32)
    {
        var e = Bytes(length);
        BinaryPrimitives.WriteUInt32BigEndian(e, spi);
        return e;
    }

    [Fact]
    public void Hip_control_packet()
    {
        var payload = HipPayload();
        Assert.Equal([0, 0, 0, 0], payload[..4]);
        Assert.Equal(4, HipUdpFraming.HipControlOffset);
        Assert.Equal(UdpPayloadKind.HipControl, HipUdpFraming.Classify(payload));
        Assert.Equal(WireError.None, HipUdpFraming.TryParseHipControl(payload, out var p));
        Assert.True(p.TryGet(out SeqParameter seq));
        Assert.Equal(9u, seq.UpdateId);
    }

    [Fact]
    public void Write_zeroes_the_hip_checksum()
    {
        var hip = BuildWith(new SeqParameter(9));
        hip[4] = 0xAB;
        hip[5] = 0xCD;
        var payload = new byte[hip.Length + 4];
        HipUdpFraming.WriteHipControl(hip, payload);
        Assert.Equal(0, BinaryPrimitives.ReadUInt16BigEndian(payload.AsSpan(8)));
        Assert.Equal(WireError.None, HipUdpFraming.TryGetHipControl(payload, out var inner));
        Assert.Equal(hip.Length, inner.Length);
    }

    [Fact]
    public void Non_zero_hip_checksum_over_udp_is_bad_framing()
    {
        // RFC 9028 §5.1: the HIP header checksum MUST be zero.
        var payload = HipPayload();
        payload[4 + 5] = 1;
        Assert.Equal(UdpPayloadKind.HipControl, HipUdpFraming.Classify(payload));
        Assert.Equal(WireError.BadFraming, HipUdpFraming.TryGetHipControl(payload, out _));
        Assert.Equal(WireError.BadFraming, HipUdpFraming.TryParseHipControl(payload, out _));
    }

    [Fact]
    public void Hip_errors_come_through_unchanged()
    {
        var payload = HipPayload();
        payload[4 + 3] = 0x11; // version 1
        Assert.Equal(WireError.UnsupportedVersion, HipUdpFraming.TryParseHipControl(payload, out _));
    }

    [Fact]
    public void Build_in_place_after_the_marker()
    {
        var datagram = new byte[256];
        datagram.AsSpan().Fill(0x55);
        var body = HipUdpFraming.BeginHipControl(datagram);
        var b = new HipPacketBuilder(body, HipPacketType.Notify, Sender, Receiver);
        b.Add(new NotificationParameter(NotifyMessageType.NatKeepalive));
        int n = HipUdpFraming.HipControlOffset + b.Finish();
        Assert.Equal(UdpPayloadKind.HipControl, HipUdpFraming.Classify(datagram.AsSpan(0, n)));
        Assert.Equal(WireError.None, HipUdpFraming.TryParseHipControl(datagram.AsSpan(0, n), out var p));
        Assert.Equal(HipPacketType.Notify, p.Type);
    }

    [Fact]
    public void Esp_packet()
    {
        var esp = Esp(0x12345678);
        Assert.Equal(UdpPayloadKind.Esp, HipUdpFraming.Classify(esp));
        Assert.True(HipUdpFraming.TryGetEspSpi(esp, out uint spi));
        Assert.Equal(0x12345678u, spi);
        Assert.Equal(UdpPayloadKind.Esp, HipUdpFraming.Classify(Esp(1, 8)));
        Assert.Equal(UdpPayloadKind.Invalid, HipUdpFraming.Classify(Esp(1, 7)));
    }

    [Fact]
    public void Zero_spi_is_never_esp()
    {
        // RFC 3948 §2.1: the SPI MUST NOT be zero; four zero octets are the non-ESP marker.
        var zero = Esp(0, 32);
        Assert.NotEqual(UdpPayloadKind.Esp, HipUdpFraming.Classify(zero));
        Assert.Equal(UdpPayloadKind.Invalid, HipUdpFraming.Classify(zero)); // marker but no room for a HIP header
        Assert.False(HipUdpFraming.TryGetEspSpi(zero, out _));
        Assert.Equal(UdpPayloadKind.Invalid, HipUdpFraming.Classify(new byte[4]));
        Assert.Equal(UdpPayloadKind.Invalid, HipUdpFraming.Classify(new byte[43]));
        Assert.Equal(UdpPayloadKind.HipControl, HipUdpFraming.Classify(new byte[44]));
    }

    [Fact]
    public void Stun_message()
    {
        var stun = StunBindingIndication();
        Assert.Equal(UdpPayloadKind.Stun, HipUdpFraming.Classify(stun));
        Assert.True(HipUdpFraming.IsStun(stun));
        Assert.False(HipUdpFraming.TryGetEspSpi(stun, out _));
    }

    [Fact]
    public void Stun_needs_zero_top_bits_cookie_and_consistent_length()
    {
        var wrongBits = StunBindingIndication();
        wrongBits[0] |= 0x40;
        Assert.Equal(UdpPayloadKind.Esp, HipUdpFraming.Classify(wrongBits));

        var wrongCookie = StunBindingIndication();
        wrongCookie[7] ^= 1;
        Assert.Equal(UdpPayloadKind.Esp, HipUdpFraming.Classify(wrongCookie));

        var wrongLength = StunBindingIndication();
        wrongLength[3] = 12;
        Assert.Equal(UdpPayloadKind.Esp, HipUdpFraming.Classify(wrongLength));

        var shortStun = StunBindingIndication()[..19];
        Assert.False(HipUdpFraming.IsStun(shortStun));
    }

    [Fact]
    public void Nat_keepalive()
    {
        // RFC 3948 §2.3: a one-octet payload 0xFF.
        Assert.Equal(UdpPayloadKind.NatKeepalive, HipUdpFraming.Classify([0xFF]));
        var buf = new byte[1];
        Assert.Equal(1, HipUdpFraming.WriteNatKeepalive(buf));
        Assert.Equal(UdpPayloadKind.NatKeepalive, HipUdpFraming.Classify(buf));
        Assert.Equal(UdpPayloadKind.Invalid, HipUdpFraming.Classify([0x00]));
        Assert.Equal(UdpPayloadKind.Invalid, HipUdpFraming.Classify([0xFF, 0xFF]));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(3)]
    public void Short_buffers_are_invalid(int length)
    {
        Assert.Equal(UdpPayloadKind.Invalid, HipUdpFraming.Classify(new byte[length]));
        Assert.Equal(UdpPayloadKind.Invalid, HipUdpFraming.Classify(Enumerable.Repeat((byte)0xFF, length).ToArray()));
        Assert.Equal(WireError.BadFraming, HipUdpFraming.TryGetHipControl(new byte[length], out _));
    }

    [Fact]
    public void Esp_payload_is_not_hip_control()
    {
        Assert.Equal(WireError.BadFraming, HipUdpFraming.TryGetHipControl(Esp(5, 64), out _));
    }
}
