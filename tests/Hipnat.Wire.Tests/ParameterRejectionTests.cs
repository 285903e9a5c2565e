using Hipnat.Wire.Parameters;
using static Hipnat.Wire.Tests.TestWire;

namespace Hipnat.Wire.Tests;

/// <summary>Parameter contents that violate their RFC format are refused with the exact error.</summary>
public class ParameterRejectionTests
{
    public static TheoryData<string, int> FixedSizes => new()
    {
        { nameof(R1CounterParameter), 12 },
        { nameof(SeqParameter), 4 },
        { nameof(EspInfoParameter), 12 },
        { nameof(TransactionPacingParameter), 4 },
        { nameof(CandidatePriorityParameter), 4 },
        { nameof(NominateParameter), 4 },
        { nameof(FromParameter), 16 },
        { nameof(RegFromParameter), 20 },
        { nameof(RelayFromParameter), 20 },
        { nameof(RelayToParameter), 20 },
        { nameof(RelayedAddressParameter), 20 },
        { nameof(MappedAddressParameter), 20 },
        { nameof(PeerPermissionParameter), 48 },
    };

    [Theory]
    [MemberData(nameof(FixedSizes))]
    public void Fixed_size_parameter_with_wrong_length(string name, int size)
    {
        var codec = Assert.Single(ParameterCodecs.All, c => c.Name == name);
        Assert.Equal((true, WireError.None), codec.Read(Bytes(size)));
        foreach (int wrong in new[] { 0, size - 1, size + 1, size + 4 })
        {
            Assert.Equal((false, WireError.InvalidParameter), codec.Read(Bytes(wrong)));
        }
    }

    [Fact]
    public void Fixed_size_error_surfaces_through_try_get()
    {
        Assert.Equal(WireError.InvalidParameter, GetError<R1CounterParameter>(Bytes(8)));
        Assert.Equal(WireError.InvalidParameter, GetError<EspInfoParameter>(Bytes(16)));
        Assert.Equal(WireError.None, GetError<EspInfoParameter>(Bytes(12)));
    }

    [Fact]
    public void Puzzle_and_solution_sizes()
    {
        Assert.Equal(WireError.None, ReadError<PuzzleParameter>(Bytes(4 + 32)));
        Assert.Equal(WireError.InvalidParameter, ReadError<PuzzleParameter>(Bytes(4 + 31)));
        Assert.Equal(WireError.Truncated, ReadError<PuzzleParameter>(Bytes(3)));
        Assert.Equal(WireError.None, ReadError<SolutionParameter>(Bytes(4 + 64)));
        Assert.Equal(WireError.None, ReadError<SolutionParameter>(Bytes(4 + 40)));
        Assert.Equal(WireError.InvalidParameter, ReadError<SolutionParameter>(Bytes(4 + 63)));
        Assert.Equal(WireError.InvalidParameter, ReadError<SolutionParameter>(Bytes(4 + 32)));
        Assert.Equal(WireError.Truncated, ReadError<SolutionParameter>(Bytes(2)));
    }

    [Fact]
    public void Ack_must_hold_one_or_more_whole_update_ids()
    {
        Assert.Equal(WireError.InvalidParameter, ReadError<AckParameter>([]));
        Assert.Equal(WireError.InvalidParameter, ReadError<AckParameter>(Bytes(6)));
        Assert.Equal(WireError.None, ReadError<AckParameter>(Bytes(8)));
    }

    [Fact]
    public void Sixteen_bit_lists_must_have_even_length()
    {
        Assert.Equal(WireError.InvalidParameter, ReadError<HipCipherParameter>(Bytes(3)));
        Assert.Equal(WireError.InvalidParameter, ReadError<TransportFormatListParameter>(Bytes(1)));
        Assert.Equal(WireError.InvalidParameter, ReadError<EspTransformParameter>(Bytes(5)));
        Assert.Equal(WireError.Truncated, ReadError<EspTransformParameter>(Bytes(1)));
        Assert.Equal(WireError.InvalidParameter, ReadError<NatTraversalModeParameter>(Bytes(7)));
        Assert.Equal(WireError.None, ReadError<EspTransformParameter>(Bytes(2)));
    }

    [Fact]
    public void Receivers_keep_the_first_six_cipher_and_mode_ids()
    {
        // RFC 7401 §5.2.8 and RFC 9028 §5.4: accept the first six IDs and drop the rest.
        var ciphers = new byte[16];
        for (int i = 0; i < 8; i++)
        {
            ciphers[(2 * i) + 1] = (byte)(i + 1);
        }

        var bytes = Build(Packets.HipPacketType.R1, (ref Packets.HipPacketBuilder b) =>
        {
            b.AddRaw(ParameterType.HipCipher, ciphers);
            b.AddRaw(ParameterType.NatTraversalMode, [0, 0, .. ciphers]);
            b.AddRaw(ParameterType.EspTransform, [0, 0, .. ciphers]);
        });
        Assert.Equal(WireError.None, Packets.HipPacket.TryParse(bytes, out var p));
        Assert.True(p.TryGet(out HipCipherParameter c));
        Assert.Equal([(ushort)1, 2, 3, 4, 5, 6], c.CipherIds);
        Assert.True(p.TryGet(out NatTraversalModeParameter m));
        Assert.Equal(6, m.Modes.Length);

        // RFC 7402 §5.1.2 only asks receivers to cope with more than six Suite IDs: all are kept.
        Assert.True(p.TryGet(out EspTransformParameter e));
        Assert.Equal(8, e.SuiteIds.Length);
    }

    [Fact]
    public void Senders_may_not_list_more_than_six_ids()
    {
        Assert.Throws<ArgumentException>(() => new HipCipherParameter(1, 2, 3, 4, 5, 6, 7));
        Assert.Throws<ArgumentException>(() => new EspTransformParameter(1, 2, 3, 4, 5, 6, 7));
        Assert.Throws<ArgumentException>(() => new NatTraversalModeParameter(new NatTraversalMode[7]));
    }

    [Fact]
    public void Diffie_hellman_public_value_length_must_match()
    {
        Assert.Equal(WireError.None, ReadError<DiffieHellmanParameter>([8, 0, 2, 0xAA, 0xBB]));
        Assert.Equal(WireError.Truncated, ReadError<DiffieHellmanParameter>([8, 0, 3, 0xAA, 0xBB]));
        Assert.Equal(WireError.TooLong, ReadError<DiffieHellmanParameter>([8, 0, 1, 0xAA, 0xBB]));
        Assert.Equal(WireError.InvalidParameter, ReadError<DiffieHellmanParameter>([8, 0, 0]));
        Assert.Equal(WireError.Truncated, ReadError<DiffieHellmanParameter>([8, 0]));
    }

    [Fact]
    public void Host_id_lengths_must_match()
    {
        byte[] ok = [0, 2, 0x10, 1, 0, 7, 0xAA, 0xBB, 0x00];
        Assert.Equal(WireError.None, ReadError<HostIdParameter>(ok));
        Assert.Equal(WireError.Truncated, ReadError<HostIdParameter>(ok[..^1]));
        Assert.Equal(WireError.TooLong, ReadError<HostIdParameter>([.. ok, 0]));
        Assert.Equal(WireError.InvalidParameter, ReadError<HostIdParameter>([0, 0, 0, 0, 0, 7]));          // empty HI
        Assert.Equal(WireError.InvalidParameter, ReadError<HostIdParameter>([0, 1, 0x00, 1, 0, 7, 1, 2])); // DI-Type none, DI Length 1
        Assert.Equal(WireError.Truncated, ReadError<HostIdParameter>([0, 1, 0]));
    }

    [Fact]
    public void Cert_id_runs_from_one_to_count()
    {
        Assert.Equal(WireError.None, ReadError<CertParameter>([1, 2, 2, 1, 0x30]));
        Assert.Equal(WireError.InvalidParameter, ReadError<CertParameter>([1, 2, 0, 1, 0x30]));
        Assert.Equal(WireError.InvalidParameter, ReadError<CertParameter>([1, 2, 3, 1, 0x30]));
        Assert.Equal(WireError.InvalidParameter, ReadError<CertParameter>([1, 0, 0, 1, 0x30]));
        Assert.Equal(WireError.InvalidParameter, ReadError<CertParameter>([1, 1, 1, 1]));
        Assert.Equal(WireError.Truncated, ReadError<CertParameter>([1, 1, 1]));
        Assert.Throws<ArgumentException>(() => new CertParameter(1, 1, 2, CertificateType.X509V3, Bytes(1)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(19)]
    [InlineData(21)]
    [InlineData(64)]
    public void Hmac_must_be_an_rhash_size(int length)
    {
        Assert.Equal(WireError.InvalidParameter, ReadError<HipMacParameter>(Bytes(length)));
        Assert.Equal(WireError.InvalidParameter, ReadError<HipMac2Parameter>(Bytes(length)));
        Assert.Equal(WireError.InvalidParameter, ReadError<RvsHmacParameter>(Bytes(length)));
        Assert.Equal(WireError.InvalidParameter, ReadError<RelayHmacParameter>(Bytes(length)));
    }

    [Fact]
    public void Signature_needs_algorithm_and_octets()
    {
        Assert.Equal(WireError.Truncated, ReadError<HipSignatureParameter>([0]));
        Assert.Equal(WireError.InvalidParameter, ReadError<HipSignatureParameter>([0, 7]));
        Assert.Equal(WireError.InvalidParameter, ReadError<HipSignature2Parameter>([0, 7]));
        Assert.Equal(WireError.None, ReadError<HipSignature2Parameter>([0, 7, 1]));
    }

    [Fact]
    public void Encrypted_needs_reserved_and_data()
    {
        Assert.Equal(WireError.Truncated, ReadError<EncryptedParameter>(Bytes(3)));
        Assert.Equal(WireError.InvalidParameter, ReadError<EncryptedParameter>(Bytes(4)));
        Assert.Equal(WireError.None, ReadError<EncryptedParameter>(Bytes(5)));
    }

    [Fact]
    public void Notification_needs_its_four_octet_header()
    {
        Assert.Equal(WireError.Truncated, ReadError<NotificationParameter>(Bytes(3)));
        Assert.Equal(WireError.None, ReadError<NotificationParameter>(Bytes(4)));
    }

    [Fact]
    public void Registration_parameters_need_their_leading_octets()
    {
        Assert.Equal(WireError.Truncated, ReadError<RegInfoParameter>([1]));
        Assert.Equal(WireError.Truncated, ReadError<RegRequestParameter>([]));
        Assert.Equal(WireError.Truncated, ReadError<RegResponseParameter>([]));
        Assert.Equal(WireError.Truncated, ReadError<RegFailedParameter>([]));
        Assert.Equal(WireError.None, ReadError<RegFailedParameter>([2]));
    }

    [Fact]
    public void Via_rvs_is_whole_addresses()
    {
        Assert.Equal(WireError.InvalidParameter, ReadError<ViaRvsParameter>([]));
        Assert.Equal(WireError.InvalidParameter, ReadError<ViaRvsParameter>(Bytes(17)));
        Assert.Equal(WireError.None, ReadError<ViaRvsParameter>(Bytes(32)));
    }

    [Fact]
    public void Locator_length_must_fit_its_type()
    {
        // Type 2 with Locator Length 4 instead of 7 (RFC 9028 §5.7).
        byte[] wrongLength = [0, 2, 4, 0, 0, 0, 0, 1, .. Bytes(16)];
        Assert.Equal(WireError.InvalidParameter, ReadError<LocatorSetParameter>(wrongLength));

        // Type 0 with Locator Length 5 (RFC 8046 §4.2: 128 bits).
        byte[] type0 = [0, 0, 5, 0, 0, 0, 0, 1, .. Bytes(20)];
        Assert.Equal(WireError.InvalidParameter, ReadError<LocatorSetParameter>(type0));

        // Locator field running past the parameter.
        byte[] truncated = [0, 1, 5, 0, 0, 0, 0, 1, .. Bytes(19)];
        Assert.Equal(WireError.Truncated, ReadError<LocatorSetParameter>(truncated));

        // Trailing octets that do not make a locator header.
        byte[] trailing = [0, 0, 4, 0, 0, 0, 0, 1, .. Bytes(16), 0, 0];
        Assert.Equal(WireError.Truncated, ReadError<LocatorSetParameter>(trailing));

        // Unknown types are kept, with any whole-word length.
        byte[] unknown = [0, 200, 1, 0, 0, 0, 0, 1, 9, 9, 9, 9];
        Assert.Equal(WireError.None, ReadError<LocatorSetParameter>(unknown));
    }

    [Fact]
    public void Locator_reserved_bits_are_ignored()
    {
        // RFC 8046 §4: Reserved is ignored when received; only the low bit is P.
        byte[] c = [0, 0, 4, 0xFE, 0, 0, 0, 9, .. new byte[10], 0xFF, 0xFF, 10, 0, 0, 1];
        var bytes = Build(Packets.HipPacketType.Update, (ref Packets.HipPacketBuilder b) => b.AddRaw(ParameterType.LocatorSet, c));
        Assert.Equal(WireError.None, Packets.HipPacket.TryParse(bytes, out var p));
        Assert.True(p.TryGet(out LocatorSetParameter set));
        var l = Assert.Single(set.Locators);
        Assert.False(l.Preferred);
        Assert.Equal(TestWire.V4("10.0.0.1"), l.Address);
        Assert.Equal(9u, l.Lifetime);
    }

    [Fact]
    public void Reserved_fields_are_ignored_on_receipt()
    {
        // ESP_INFO, ESP_TRANSFORM, NOTIFICATION, SOLUTION and transport-address Reserved: ignored when received.
        Assert.True(Read<EspInfoParameter>([0xFF, 0xFF, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3]).KeymatIndex == 1);
        Assert.Equal([(ushort)9], Read<EspTransformParameter>([0xAB, 0xCD, 0, 9]).SuiteIds);
        Assert.Equal(NotifyMessageType.InvalidSyntax, Read<NotificationParameter>([0xFF, 0xFF, 0, 7]).MessageType);
        Assert.Equal(0x0102, Read<SolutionParameter>([1, 0xFF, 1, 2, .. Bytes(40)]).Opaque);
        Assert.Equal(10500, Read<RegFromParameter>([0x29, 0x04, 17, 0xFF, .. Bytes(16)]).Port);
    }

    private static T Read<T>(byte[] contents)
        where T : struct, IHipParameter<T>
    {
        var p = new HipParameter(T.Type, contents, 40, HipParameterHeader.TotalLength(contents.Length));
        Assert.True(Packets.HipPacket.TryRead(p, out T value, out var e), e.ToString());
        return value;
    }
}
