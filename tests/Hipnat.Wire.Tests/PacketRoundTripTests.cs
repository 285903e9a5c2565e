using System.Net;
using Hipnat.Wire.Packets;
using Hipnat.Wire.Parameters;
using static Hipnat.Wire.Tests.TestWire;

namespace Hipnat.Wire.Tests;

/// <summary>Every packet type of RFC 7401 §5.3 built with its usual parameters and parsed back.</summary>
public class PacketRoundTripTests
{
    public static TheoryData<HipPacketType> AllTypes =>
    [
        HipPacketType.I1, HipPacketType.R1, HipPacketType.I2, HipPacketType.R2,
        HipPacketType.Update, HipPacketType.Notify, HipPacketType.Close, HipPacketType.CloseAck,
    ];

    [Fact]
    public void Packet_type_numbers()
    {
        // RFC 7401 §5.3 Table 11.
        Assert.Equal([1, 2, 3, 4, 16, 17, 18, 19], AllTypes.Select(t => (int)t.Data));
    }

    [Theory]
    [MemberData(nameof(AllTypes))]
    public void Header_fields_round_trip(HipPacketType type)
    {
        var bytes = Build(type, Body(type), controls: type == HipPacketType.R1 ? HipHeader.ControlAnonymous : (ushort)0);
        Assert.Equal(0, bytes.Length % 8);
        Assert.Equal(WireError.None, HipPacket.TryParse(bytes, out var p));
        Assert.Equal(type, p.Type);
        Assert.Equal(Sender, p.Header.SenderHit);
        Assert.Equal(Receiver, p.Header.ReceiverHit);
        Assert.Equal(type == HipPacketType.R1 ? HipHeader.ControlAnonymous : 0, p.Header.Controls);
        Assert.Equal(bytes.Length, p.Header.PacketLength);
        Assert.Equal(0, p.Header.Checksum);
        Assert.Equal(bytes.Length, p.Data.Length);

        // RFC 7401 §5.1: Next Header 59, Header Length in 8-octet units after the first 8, version 2, fixed bits.
        Assert.Equal(59, bytes[0]);
        Assert.Equal((bytes.Length / 8) - 1, bytes[1]);
        Assert.Equal((byte)type, bytes[2]);
        Assert.Equal(0x21, bytes[3]);

        var types = new List<ushort>();
        foreach (var prm in p.Parameters)
        {
            types.Add(prm.Type);
        }

        Assert.Equal(ExpectedTypes(type), types);
    }

    [Fact]
    public void R1_parameters_read_back()
    {
        var bytes = Build(HipPacketType.R1, Body(HipPacketType.R1));
        Assert.Equal(WireError.None, HipPacket.TryParse(bytes, out var p));
        Assert.True(p.TryGet(out R1CounterParameter counter));
        Assert.Equal(5ul, counter.Generation);
        Assert.True(p.TryGet(out PuzzleParameter puzzle));
        Assert.Equal(8, puzzle.K);
        Assert.True(p.TryGet(out DiffieHellmanParameter dh));
        Assert.Equal(Bytes(97), dh.PublicValue.ToArray());
        Assert.True(p.TryGet(out HipCipherParameter cipher));
        Assert.Equal([(ushort)2, 4], cipher.CipherIds);
        Assert.True(p.TryGet(out HostIdParameter hostId));
        Assert.Equal(Bytes(99, 7), hostId.HostIdentity.ToArray());
        Assert.True(p.TryGet(out HitSuiteListParameter suites));
        Assert.Equal([0x20, 0x10], suites.SuiteIds);
        Assert.True(p.TryGet(out DhGroupListParameter groups));
        Assert.Equal([8, 7], groups.GroupIds);
        Assert.True(p.TryGet(out NatTraversalModeParameter modes));
        Assert.Equal([NatTraversalMode.IceHipUdp, NatTraversalMode.UdpEncapsulation], modes.Modes);
        Assert.True(p.TryGet(out TransportFormatListParameter tf));
        Assert.Equal([ParameterType.EspTransform], tf.Formats);
        Assert.True(p.TryGet(out EspTransformParameter esp));
        Assert.Equal([(ushort)9, 8], esp.SuiteIds);
        Assert.True(p.TryGet(out HipSignature2Parameter sig));
        Assert.Equal(Bytes(96, 3), sig.Signature.ToArray());
        Assert.True(p.TryGet(out ViaRvsParameter via));
        Assert.Equal([IPAddress.Parse("192.0.2.10")], via.Addresses);
        Assert.False(p.TryGet(out SeqParameter _, out var missing));
        Assert.Equal(WireError.MissingParameter, missing);
    }

    [Fact]
    public void Mac_prefix_covers_exactly_the_parameters_before_the_mac()
    {
        var buffer = new byte[512];
        var b = new HipPacketBuilder(buffer, HipPacketType.Update, Sender, Receiver);
        b.Add(new SeqParameter(3));
        var prefix = b.PrefixForMac().ToArray();
        b.Add(new HipMacParameter(Bytes(32)));
        int n = b.Finish();

        Assert.Equal(HipHeader.Size + 8, prefix.Length);
        Assert.Equal((prefix.Length / 8) - 1, prefix[1]);
        Assert.Equal(WireError.None, HipPacket.TryParse(buffer.AsSpan(0, n), out var p));
        Assert.True(p.TryFind(ParameterType.HipMac, out var mac));
        var copy = new byte[mac.Offset];
        Assert.Equal(mac.Offset, p.CopyPrefixForMac(mac.Offset, copy));
        Assert.Equal(prefix, copy);
    }

    private static BuildAction Body(HipPacketType type) => type switch
    {
        HipPacketType.I1 => (ref HipPacketBuilder b) => b.Add(new DhGroupListParameter(8, 7, 3)),
        HipPacketType.R1 => (ref HipPacketBuilder b) =>
        {
            b.Add(new R1CounterParameter(5));
            b.Add(new PuzzleParameter(8, 37, 0, Bytes(48)));
            b.Add(new DhGroupListParameter(8, 7));
            b.Add(new DiffieHellmanParameter(8, Bytes(97)));
            b.Add(new HipCipherParameter(2, 4));
            b.Add(new NatTraversalModeParameter(NatTraversalMode.IceHipUdp, NatTraversalMode.UdpEncapsulation));
            b.Add(new HostIdParameter(7, Bytes(99, 7)));
            b.Add(new HitSuiteListParameter(0x20, 0x10));
            b.Add(new TransportFormatListParameter(ParameterType.EspTransform));
            b.Add(new EspTransformParameter(9, 8));
            b.Add(new HipSignature2Parameter(7, Bytes(96, 3)));
            b.Add(new ViaRvsParameter(IPAddress.Parse("192.0.2.10")));
        },
        HipPacketType.I2 => (ref HipPacketBuilder b) =>
        {
            b.Add(new EspInfoParameter(0, 0, 0x1000));
            b.Add(new R1CounterParameter(5));
            b.Add(new SolutionParameter(8, 0, Bytes(48, 1), Bytes(48, 2)));
            b.Add(new DiffieHellmanParameter(8, Bytes(97)));
            b.Add(new HipCipherParameter(4));
            b.Add(new NatTraversalModeParameter(NatTraversalMode.IceHipUdp));
            b.Add(new EncryptedParameter(Bytes(128)));
            b.Add(new RegRequestParameter(200, RegistrationType.RelayUdpHip));
            b.Add(new TransportFormatListParameter(ParameterType.EspTransform));
            b.Add(new EspTransformParameter(9));
            b.Add(new HipMacParameter(Bytes(48)));
            b.Add(new HipSignatureParameter(7, Bytes(96)));
        },
        HipPacketType.R2 => (ref HipPacketBuilder b) =>
        {
            b.Add(new EspInfoParameter(0, 0, 0x2000));
            b.Add(new RegResponseParameter(200, RegistrationType.RelayUdpHip));
            b.Add(new RegFailedParameter(RegistrationFailureType.TypeUnavailable, RegistrationType.RelayUdpEsp));
            b.Add(new RegFromParameter(IPAddress.Parse("198.51.100.4"), 33333));
            b.Add(new RelayedAddressParameter(IPAddress.Parse("203.0.113.1"), 40000));
            b.Add(new HipMac2Parameter(Bytes(48)));
            b.Add(new HipSignatureParameter(7, Bytes(96)));
        },
        HipPacketType.Update => (ref HipPacketBuilder b) =>
        {
            b.Add(new EspInfoParameter(0, 0x1000, 0x1000));
            b.Add(new LocatorSetParameter(Locator.ForTransportAddress(IPAddress.Parse("192.0.2.1"), 10500, CandidateKind.Host, 1, 0x1000, 60)));
            b.Add(new SeqParameter(1));
            b.Add(new AckParameter(0));
            b.Add(new EchoRequestSignedParameter(Bytes(8)));
            b.Add(new PeerPermissionParameter(IPAddress.Parse("203.0.113.1"), 40000, IPAddress.Parse("192.0.2.9"), 10500, 1, 2));
            b.Add(new CandidatePriorityParameter(99));
            b.Add(new NominateParameter(0));
            b.Add(new HipMacParameter(Bytes(32)));
            b.Add(new HipSignatureParameter(5, Bytes(256)));
            b.Add(new EchoRequestUnsignedParameter(Bytes(4)));
            b.Add(new RelayToParameter(IPAddress.Parse("192.0.2.9"), 10500));
            b.Add(new RelayHmacParameter(Bytes(32)));
        },
        HipPacketType.Notify => (ref HipPacketBuilder b) =>
        {
            b.Add(new NotificationParameter(NotifyMessageType.NatKeepalive));
            b.Add(new HipSignatureParameter(7, Bytes(96)));
            b.Add(new RelayFromParameter(IPAddress.Parse("192.0.2.9"), 10500));
            b.Add(new FromParameter(IPAddress.Parse("192.0.2.9")));
            b.Add(new RvsHmacParameter(Bytes(32)));
        },
        HipPacketType.Close => (ref HipPacketBuilder b) =>
        {
            b.Add(new EchoRequestSignedParameter(Bytes(16)));
            b.Add(new HipMacParameter(Bytes(32)));
            b.Add(new HipSignatureParameter(7, Bytes(96)));
        },
        HipPacketType.CloseAck => (ref HipPacketBuilder b) =>
        {
            b.Add(new EchoResponseSignedParameter(Bytes(16)));
            b.Add(new HipMacParameter(Bytes(32)));
            b.Add(new HipSignatureParameter(7, Bytes(96)));
            b.Add(new EchoResponseUnsignedParameter(Bytes(3)));
        },
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    private static ushort[] ExpectedTypes(HipPacketType type) => type switch
    {
        HipPacketType.I1 => [511],
        HipPacketType.R1 => [129, 257, 511, 513, 579, 608, 705, 715, 2049, 4095, 61633, 65502],
        HipPacketType.I2 => [65, 129, 321, 513, 579, 608, 641, 932, 2049, 4095, 61505, 61697],
        HipPacketType.R2 => [65, 934, 936, 950, 4650, 61569, 61697],
        HipPacketType.Update => [65, 193, 385, 449, 897, 4680, 4700, 4710, 61505, 61697, 63661, 64002, 65520],
        HipPacketType.Notify => [832, 61697, 63998, 65498, 65500],
        HipPacketType.Close => [897, 61505, 61697],
        HipPacketType.CloseAck => [961, 61505, 61697, 63425],
        _ => [],
    };
}
