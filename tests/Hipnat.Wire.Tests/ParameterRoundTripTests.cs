using System.Net;
using Hipnat.Wire.Parameters;
using static Hipnat.Wire.Tests.TestWire;

namespace Hipnat.Wire.Tests;

/// <summary>Each parameter built into a packet, parsed back with TryGet, every field compared.</summary>
public class ParameterRoundTripTests
{
    [Fact]
    public void R1Counter()
    {
        var p = RoundTrip(new R1CounterParameter(0x0102030405060708UL, reserved: 0xCAFEBABE));
        Assert.Equal(0x0102030405060708UL, p.Generation);
        Assert.Equal(0xCAFEBABEu, p.Reserved);
        Assert.Equal(12, p.GetContentLength());
    }

    [Fact]
    public void Puzzle()
    {
        var p = RoundTrip(new PuzzleParameter(10, 37, 0xBEEF, Bytes(32)));
        Assert.Equal(10, p.K);
        Assert.Equal(37, p.Lifetime);
        Assert.Equal(0xBEEF, p.Opaque);
        Assert.Equal(Bytes(32), p.RandomI.ToArray());
    }

    [Theory]
    [InlineData(20)]
    [InlineData(32)]
    [InlineData(48)]
    public void Solution(int rhashOctets)
    {
        var p = RoundTrip(new SolutionParameter(12, 0x1234, Bytes(rhashOctets, 1), Bytes(rhashOctets, 2)));
        Assert.Equal(12, p.K);
        Assert.Equal(0x1234, p.Opaque);
        Assert.Equal(Bytes(rhashOctets, 1), p.RandomI.ToArray());
        Assert.Equal(Bytes(rhashOctets, 2), p.SolutionJ.ToArray());
        Assert.Equal(4 + (2 * rhashOctets), p.GetContentLength());
    }

    [Fact]
    public void DhGroupList()
    {
        var p = RoundTrip(new DhGroupListParameter(9, 8, 7, 3, 4));
        Assert.Equal([9, 8, 7, 3, 4], p.GroupIds);
    }

    [Fact]
    public void DiffieHellman()
    {
        var p = RoundTrip(new DiffieHellmanParameter(8, Bytes(97)));
        Assert.Equal(8, p.GroupId);
        Assert.Equal(Bytes(97), p.PublicValue.ToArray());
        Assert.Equal(3 + 97, p.GetContentLength());
    }

    [Fact]
    public void HipCipher()
    {
        var p = RoundTrip(new HipCipherParameter(4, 2, 1));
        Assert.Equal([(ushort)4, 2, 1], p.CipherIds);
    }

    [Fact]
    public void HostId_without_domain_identifier()
    {
        var p = RoundTrip(new HostIdParameter(7, Bytes(67)));
        Assert.Equal(7, p.Algorithm);
        Assert.Equal(Bytes(67), p.HostIdentity.ToArray());
        Assert.Equal(DomainIdentifierType.None, p.DomainIdentifierType);
        Assert.True(p.DomainIdentifier.IsEmpty);
    }

    [Fact]
    public void HostId_with_fqdn()
    {
        byte[] fqdn = [4, (byte)'h', (byte)'o', (byte)'s', (byte)'t', 3, (byte)'o', (byte)'r', (byte)'g', 0];
        var p = RoundTrip(new HostIdParameter(5, Bytes(260), DomainIdentifierType.Fqdn, fqdn));
        Assert.Equal(5, p.Algorithm);
        Assert.Equal(Bytes(260), p.HostIdentity.ToArray());
        Assert.Equal(DomainIdentifierType.Fqdn, p.DomainIdentifierType);
        Assert.Equal(fqdn, p.DomainIdentifier.ToArray());
    }

    [Fact]
    public void HostId_layout_is_hi_length_di_algorithm_hi_di()
    {
        // RFC 7401 §5.2.9: HI Length counts the Host Identity only; DI-Type in the top 4 bits of the DI word.
        var contents = new byte[new HostIdParameter(7, Bytes(3), DomainIdentifierType.Nai, Bytes(2, 9)).GetContentLength()];
        new HostIdParameter(7, Bytes(3), DomainIdentifierType.Nai, Bytes(2, 9)).WriteContents(contents);
        Assert.Equal([0, 3, 0x20, 2, 0, 7, .. Bytes(3), .. Bytes(2, 9)], contents);
    }

    [Fact]
    public void HitSuiteList()
    {
        var p = RoundTrip(new HitSuiteListParameter(0x20, 0x10, 0x30));
        Assert.Equal([0x20, 0x10, 0x30], p.SuiteIds);
        Assert.False(p.HasReservedBitsSet);
        Assert.True(new HitSuiteListParameter(0x21).HasReservedBitsSet);
        Assert.Equal(2, HitSuiteListParameter.ToOgaId(0x20));
        Assert.Equal(0x30, HitSuiteListParameter.FromOgaId(3));
    }

    [Fact]
    public void TransportFormatList()
    {
        var p = RoundTrip(new TransportFormatListParameter(ParameterType.EspTransform));
        Assert.Equal([ParameterType.EspTransform], p.Formats);
    }

    [Fact]
    public void HipMacs_and_relay_hmacs()
    {
        Assert.Equal(Bytes(32), RoundTrip(new HipMacParameter(Bytes(32))).Hmac.ToArray());
        Assert.Equal(Bytes(48), RoundTrip(new HipMac2Parameter(Bytes(48))).Hmac.ToArray());
        Assert.Equal(Bytes(20), RoundTrip(new RvsHmacParameter(Bytes(20))).Hmac.ToArray());
        Assert.Equal(Bytes(32, 5), RoundTrip(new RelayHmacParameter(Bytes(32, 5))).Hmac.ToArray());
    }

    [Fact]
    public void HipSignatures()
    {
        var s = RoundTrip(new HipSignatureParameter(5, Bytes(256)));
        Assert.Equal(5, s.Algorithm);
        Assert.Equal(Bytes(256), s.Signature.ToArray());
        var s2 = RoundTrip(new HipSignature2Parameter(7, Bytes(96)));
        Assert.Equal(7, s2.Algorithm);
        Assert.Equal(Bytes(96), s2.Signature.ToArray());
    }

    [Fact]
    public void Seq_and_ack()
    {
        Assert.Equal(0xFFFFFFFEu, RoundTrip(new SeqParameter(0xFFFFFFFE)).UpdateId);
        Assert.Equal([0u, 7u, 0xFFFFFFFFu], RoundTrip(new AckParameter(0, 7, 0xFFFFFFFF)).UpdateIds);
    }

    [Fact]
    public void Encrypted_and_split_by_iv_length()
    {
        var p = RoundTrip(EncryptedParameter.Create(Bytes(16, 3), Bytes(48, 4)));
        Assert.Equal([.. Bytes(16, 3), .. Bytes(48, 4)], p.Payload.ToArray());
        Assert.True(p.TrySplit(16, out var iv, out var data));
        Assert.Equal(Bytes(16, 3), iv.ToArray());
        Assert.Equal(Bytes(48, 4), data.ToArray());
        Assert.True(p.TrySplit(0, out iv, out data));
        Assert.True(iv.IsEmpty);
        Assert.Equal(64, data.Length);
        Assert.False(p.TrySplit(64, out _, out _));
        Assert.False(p.TrySplit(-1, out _, out _));
    }

    [Fact]
    public void Notification()
    {
        var p = RoundTrip(new NotificationParameter(NotifyMessageType.UnsupportedCriticalParameterType, new byte[] { 0x03, 0xE9 }));
        Assert.Equal(NotifyMessageType.UnsupportedCriticalParameterType, p.MessageType);
        Assert.Equal([0x03, 0xE9], p.Data.ToArray());
        Assert.True(p.IsError);

        var keepalive = RoundTrip(new NotificationParameter(NotifyMessageType.NatKeepalive));
        Assert.Equal(NotifyMessageType.NatKeepalive, keepalive.MessageType);
        Assert.True(keepalive.Data.IsEmpty);
        Assert.False(keepalive.IsError);
    }

    [Fact]
    public void Notify_message_type_values()
    {
        // RFC 7401 §5.2.19, RFC 7402 §5.1.3, RFC 8046 §7, RFC 6253 §6, RFC 8003 §3.2, RFC 9028 §5.3/§5.10.
        Assert.Equal(1, (int)NotifyMessageType.UnsupportedCriticalParameterType);
        Assert.Equal(7, (int)NotifyMessageType.InvalidSyntax);
        Assert.Equal(14, (int)NotifyMessageType.NoDhProposalChosen);
        Assert.Equal(15, (int)NotifyMessageType.InvalidDhChosen);
        Assert.Equal(16, (int)NotifyMessageType.NoHipProposalChosen);
        Assert.Equal(17, (int)NotifyMessageType.InvalidHipCipherChosen);
        Assert.Equal(18, (int)NotifyMessageType.NoEspProposalChosen);
        Assert.Equal(19, (int)NotifyMessageType.InvalidEspTransformChosen);
        Assert.Equal(20, (int)NotifyMessageType.UnsupportedHitSuite);
        Assert.Equal(24, (int)NotifyMessageType.AuthenticationFailed);
        Assert.Equal(26, (int)NotifyMessageType.ChecksumFailed);
        Assert.Equal(28, (int)NotifyMessageType.HipMacFailed);
        Assert.Equal(32, (int)NotifyMessageType.EncryptionFailed);
        Assert.Equal(40, (int)NotifyMessageType.InvalidHit);
        Assert.Equal(42, (int)NotifyMessageType.BlockedByPolicy);
        Assert.Equal(44, (int)NotifyMessageType.ResponderBusyPleaseRetry);
        Assert.Equal(46, (int)NotifyMessageType.LocatorTypeUnsupported);
        Assert.Equal(48, (int)NotifyMessageType.CredentialsRequired);
        Assert.Equal(50, (int)NotifyMessageType.InvalidCertificate);
        Assert.Equal(51, (int)NotifyMessageType.RegRequired);
        Assert.Equal(60, (int)NotifyMessageType.NoValidNatTraversalModeParameter);
        Assert.Equal(61, (int)NotifyMessageType.ConnectivityChecksFailed);
        Assert.Equal(62, (int)NotifyMessageType.MessageNotRelayed);
        Assert.Equal(63, (int)NotifyMessageType.ServerReflexiveCandidateAllocationFailed);
        Assert.Equal(64, (int)NotifyMessageType.RvsHmacProhibitedWithRelay);
        Assert.Equal(16384, (int)NotifyMessageType.I2Acknowledgement);
        Assert.Equal(16385, (int)NotifyMessageType.NatKeepalive);
    }

    [Fact]
    public void Echo_parameters()
    {
        Assert.Equal(Bytes(5), RoundTrip(new EchoRequestSignedParameter(Bytes(5))).Opaque.ToArray());
        Assert.Equal(Bytes(9), RoundTrip(new EchoRequestUnsignedParameter(Bytes(9))).Opaque.ToArray());
        Assert.Equal(Bytes(12), RoundTrip(new EchoResponseSignedParameter(Bytes(12))).Opaque.ToArray());
        Assert.Equal(Bytes(1), RoundTrip(new EchoResponseUnsignedParameter(Bytes(1))).Opaque.ToArray());
        Assert.True(RoundTrip(new EchoRequestUnsignedParameter(ReadOnlyMemory<byte>.Empty)).Opaque.IsEmpty);
    }

    [Fact]
    public void Cert()
    {
        var p = RoundTrip(new CertParameter(3, 2, 2, CertificateType.X509V3, Bytes(300)));
        Assert.Equal(3, p.Group);
        Assert.Equal(2, p.Count);
        Assert.Equal(2, p.Id);
        Assert.Equal(CertificateType.X509V3, p.CertificateType);
        Assert.Equal(Bytes(300), p.Certificate.ToArray());
    }

    [Fact]
    public void EspInfo()
    {
        var p = RoundTrip(new EspInfoParameter(0x0140, 0x11223344, 0x55667788));
        Assert.Equal(0x0140, p.KeymatIndex);
        Assert.Equal(0x11223344u, p.OldSpi);
        Assert.Equal(0x55667788u, p.NewSpi);
    }

    [Fact]
    public void EspTransform()
    {
        var p = RoundTrip(new EspTransformParameter(8, 9, 7));
        Assert.Equal([(ushort)8, 9, 7], p.SuiteIds);
        Assert.Equal(8, p.GetContentLength());
    }

    [Fact]
    public void LocatorSet_with_every_locator_type()
    {
        var locators = new[]
        {
            Locator.ForAddress(V6("2001:db8::10"), 600, LocatorTrafficType.SignalingOnly, preferred: true),
            Locator.ForEspAddress(0xA1B2C3D4, V4("198.51.100.7"), 120),
            Locator.ForTransportAddress(V4("203.0.113.5"), 10500, CandidateKind.ServerReflexive, 0x64FFFFFF, 0x01020304, 300),
            Locator.ForTransportAddress(V6("2001:db8::99"), 40000, CandidateKind.Relayed, 16777215, 0x0A0B0C0D, 30, LocatorTrafficType.DataOnly, preferred: true),
            Locator.ForTransportAddress(V4("10.0.0.2"), 50000, CandidateKind.Host, 2130706431, 7, 45),
            Locator.ForTransportAddress(V4("10.0.0.3"), 50001, CandidateKind.PeerReflexive, 1, 8, 46),
            Locator.ForUnknownType(9, Bytes(8), 77),
        };
        var p = RoundTrip(new LocatorSetParameter(locators));
        Assert.Equal(locators.Length, p.Locators.Length);

        var a = p.Locators[0];
        Assert.Equal(LocatorType.Address, a.LocatorType);
        Assert.Equal(LocatorTrafficType.SignalingOnly, a.TrafficType);
        Assert.True(a.Preferred);
        Assert.Equal(600u, a.Lifetime);
        Assert.Equal(V6("2001:db8::10"), a.Address);
        Assert.Equal(4, a.LocatorLength);

        var e = p.Locators[1];
        Assert.Equal(LocatorType.EspSpiAddress, e.LocatorType);
        Assert.Equal(LocatorTrafficType.Both, e.TrafficType);
        Assert.False(e.Preferred);
        Assert.Equal(120u, e.Lifetime);
        Assert.Equal(0xA1B2C3D4u, e.Spi);
        Assert.Equal(V4("198.51.100.7"), e.Address);
        Assert.Equal(5, e.LocatorLength);

        var t = p.Locators[2];
        Assert.Equal(LocatorType.TransportAddress, t.LocatorType);
        Assert.Equal(V4("203.0.113.5"), t.Address);
        Assert.Equal(10500, t.Port);
        Assert.Equal(TransportProtocol.Udp, t.Protocol);
        Assert.Equal(CandidateKind.ServerReflexive, t.Kind);
        Assert.Equal(0x64FFFFFFu, t.Priority);
        Assert.Equal(0x01020304u, t.Spi);
        Assert.Equal(300u, t.Lifetime);
        Assert.Equal(7, t.LocatorLength);
        Assert.Equal(new IPEndPoint(V4("203.0.113.5"), 10500), t.EndPoint);

        var r = p.Locators[3];
        Assert.Equal(V6("2001:db8::99"), r.Address);
        Assert.Equal(40000, r.Port);
        Assert.Equal(CandidateKind.Relayed, r.Kind);
        Assert.Equal(16777215u, r.Priority);
        Assert.Equal(0x0A0B0C0Du, r.Spi);
        Assert.Equal(LocatorTrafficType.DataOnly, r.TrafficType);
        Assert.True(r.Preferred);

        Assert.Equal(CandidateKind.Host, p.Locators[4].Kind);
        Assert.Equal(CandidateKind.PeerReflexive, p.Locators[5].Kind);

        var u = p.Locators[6];
        Assert.False(u.IsKnownType);
        Assert.Equal(9, (int)u.LocatorType);
        Assert.Equal(Bytes(8), u.RawLocator.ToArray());
        Assert.Equal(77u, u.Lifetime);
    }

    [Fact]
    public void LocatorSet_transport_locator_layout()
    {
        // RFC 9028 §5.7 Figure 11: traffic, type 2, length 7, P; lifetime; port, protocol, kind; priority; SPI; address.
        var set = new LocatorSetParameter(
            Locator.ForTransportAddress(V4("192.0.2.1"), 0x2904, CandidateKind.Relayed, 0x01020304, 0x05060708, 0x0A, preferred: true));
        var c = new byte[set.GetContentLength()];
        set.WriteContents(c);
        byte[] expected =
        [
            0, 2, 7, 1, 0, 0, 0, 0x0A, 0x29, 0x04, 17, 3, 1, 2, 3, 4, 5, 6, 7, 8,
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 192, 0, 2, 1,
        ];
        Assert.Equal(expected, c);
    }

    [Fact]
    public void LocatorSet_empty_is_permitted()
    {
        // RFC 8046 §4: zero locators deprecate all addresses.
        Assert.Empty(RoundTrip(new LocatorSetParameter()).Locators);
    }

    [Fact]
    public void Registration_parameters()
    {
        var info = RoundTrip(new RegInfoParameter(96, 200, RegistrationType.Rendezvous, RegistrationType.RelayUdpHip, RegistrationType.RelayUdpEsp));
        Assert.Equal(96, info.MinLifetime);
        Assert.Equal(200, info.MaxLifetime);
        Assert.Equal([RegistrationType.Rendezvous, RegistrationType.RelayUdpHip, RegistrationType.RelayUdpEsp], info.Types);
        Assert.Empty(RoundTrip(new RegInfoParameter(1, 2)).Types); // RFC 8003 §3.1: empty = no service now

        var req = RoundTrip(new RegRequestParameter(150, RegistrationType.RelayUdpHip, RegistrationType.CandidateDiscovery));
        Assert.Equal(150, req.Lifetime);
        Assert.Equal([RegistrationType.RelayUdpHip, RegistrationType.CandidateDiscovery], req.Types);

        var resp = RoundTrip(new RegResponseParameter(0, RegistrationType.RelayUdpEsp));
        Assert.Equal(0, resp.Lifetime);
        Assert.Equal([RegistrationType.RelayUdpEsp], resp.Types);

        var failed = RoundTrip(new RegFailedParameter(RegistrationFailureType.SimultaneousRendezvousAndRelayProhibited, RegistrationType.Rendezvous));
        Assert.Equal(RegistrationFailureType.SimultaneousRendezvousAndRelayProhibited, failed.FailureType);
        Assert.Equal([RegistrationType.Rendezvous], failed.Types);
    }

    [Fact]
    public void Registration_numbers()
    {
        // RFC 8004 §4.1, RFC 5770 §5.9, RFC 9028 §5.9 and §8; failure types RFC 8003 §7, RFC 9028 §7.8.
        Assert.Equal(1, (int)RegistrationType.Rendezvous);
        Assert.Equal(2, (int)RegistrationType.RelayUdpHip);
        Assert.Equal(3, (int)RegistrationType.RelayUdpEsp);
        Assert.Equal(4, (int)RegistrationType.CandidateDiscovery);
        Assert.Equal(0, (int)RegistrationFailureType.AdditionalCredentialsRequired);
        Assert.Equal(1, (int)RegistrationFailureType.TypeUnavailable);
        Assert.Equal(2, (int)RegistrationFailureType.InsufficientResources);
        Assert.Equal(3, (int)RegistrationFailureType.InvalidCertificate);
        Assert.Equal(8, (int)RegistrationFailureType.UnknownCa);
        Assert.Equal(9, (int)RegistrationFailureType.SimultaneousRendezvousAndRelayProhibited);
    }

    [Fact]
    public void Transport_address_parameters()
    {
        var regFrom = RoundTrip(new RegFromParameter(V4("198.51.100.1"), 61000));
        Assert.Equal(V4("198.51.100.1"), regFrom.Address);
        Assert.Equal(61000, regFrom.Port);
        Assert.Equal(TransportProtocol.Udp, regFrom.Protocol);

        var relayFrom = RoundTrip(new RelayFromParameter(V6("2001:db8::5"), 0, TransportProtocol.PlainIp));
        Assert.Equal(V6("2001:db8::5"), relayFrom.Address);
        Assert.Equal(0, relayFrom.Port);
        Assert.Equal(TransportProtocol.PlainIp, relayFrom.Protocol);

        var relayTo = RoundTrip(new RelayToParameter(new IPEndPoint(V4("192.0.2.44"), 10500)));
        Assert.Equal(new IPEndPoint(V4("192.0.2.44"), 10500), relayTo.EndPoint);
        Assert.Equal(TransportProtocol.Udp, relayTo.Protocol);

        var relayed = RoundTrip(new RelayedAddressParameter(V4("203.0.113.9"), 50123));
        Assert.Equal(new IPEndPoint(V4("203.0.113.9"), 50123), relayed.EndPoint);

        var mapped = RoundTrip(new MappedAddressParameter(V6("2001:db8:1::1"), 1));
        Assert.Equal(new IPEndPoint(V6("2001:db8:1::1"), 1), mapped.EndPoint);
    }

    [Fact]
    public void Transport_address_layout_maps_ipv4()
    {
        // RFC 9028 §5.6 Figure 10: port, protocol, reserved, IPv4-mapped address.
        var p = new RegFromParameter(V4("192.0.2.3"), 0x2904);
        var c = new byte[p.GetContentLength()];
        p.WriteContents(c);
        Assert.Equal([0x29, 0x04, 17, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 192, 0, 2, 3], c);
    }

    [Fact]
    public void From_and_via_rvs()
    {
        Assert.Equal(V4("192.0.2.200"), RoundTrip(new FromParameter(V4("192.0.2.200"))).Address);
        Assert.Equal(V6("2001:db8::77"), RoundTrip(new FromParameter(V6("2001:db8::77"))).Address);
        // An IPv4-mapped IPv6 address given in comes back as the IPv4 address.
        Assert.Equal(V4("192.0.2.9"), RoundTrip(new FromParameter(V6("::ffff:192.0.2.9"))).Address);

        var via = RoundTrip(new ViaRvsParameter(V4("192.0.2.1"), V6("2001:db8::1")));
        Assert.Equal([V4("192.0.2.1"), V6("2001:db8::1")], via.Addresses);
    }

    [Fact]
    public void Nat_traversal_parameters()
    {
        var mode = RoundTrip(new NatTraversalModeParameter(NatTraversalMode.IceHipUdp, NatTraversalMode.UdpEncapsulation, NatTraversalMode.IceStunUdp));
        Assert.Equal([NatTraversalMode.IceHipUdp, NatTraversalMode.UdpEncapsulation, NatTraversalMode.IceStunUdp], mode.Modes);
        Assert.Equal(1, (int)NatTraversalMode.UdpEncapsulation); // RFC 5770 §5.4
        Assert.Equal(2, (int)NatTraversalMode.IceStunUdp);       // RFC 5770 §5.4
        Assert.Equal(3, (int)NatTraversalMode.IceHipUdp);        // RFC 9028 §5.4

        var pacing = RoundTrip(new TransactionPacingParameter(50));
        Assert.Equal(50u, pacing.MinTaMilliseconds);
        Assert.Equal(TimeSpan.FromMilliseconds(50), pacing.MinTa);

        Assert.Equal(0x6E0001FFu, RoundTrip(new CandidatePriorityParameter(0x6E0001FF)).Priority);
        Assert.Equal(0u, RoundTrip(new NominateParameter(0)).Reserved);
        Assert.Equal(4, new NominateParameter(0).GetContentLength());
    }

    [Fact]
    public void PeerPermission()
    {
        var p = RoundTrip(new PeerPermissionParameter(
            new IPEndPoint(V4("203.0.113.1"), 40001),
            new IPEndPoint(V6("2001:db8::42"), 10500),
            outboundSpi: 0x11111111,
            inboundSpi: 0x22222222));
        Assert.Equal(V4("203.0.113.1"), p.RelayAddress);
        Assert.Equal(40001, p.RelayPort);
        Assert.Equal(V6("2001:db8::42"), p.PeerAddress);
        Assert.Equal(10500, p.PeerPort);
        Assert.Equal(TransportProtocol.Udp, p.Protocol);
        Assert.Equal(0x11111111u, p.OutboundSpi);
        Assert.Equal(0x22222222u, p.InboundSpi);
        Assert.Equal(48, p.GetContentLength());
    }

    [Fact]
    public void Default_structs_encode_without_throwing()
    {
        // A default(T) must not crash the builder (null arrays/addresses read as empty/unspecified).
        Assert.Equal(0, default(AckParameter).GetContentLength());
        Assert.Equal(WireError.InvalidParameter, GetError<AckParameter>(BuildContents(default(AckParameter))));
        Assert.Equal(IPAddress.IPv6Any, RoundTrip(default(FromParameter)).Address);
        Assert.Empty(RoundTrip(default(LocatorSetParameter)).Locators);
        Assert.Empty(RoundTrip(default(RegInfoParameter)).Types);
        Assert.Equal(IPAddress.IPv6Any, RoundTrip(default(PeerPermissionParameter)).PeerAddress);
    }

    private static byte[] BuildContents<T>(T p)
        where T : struct, IHipParameter<T>
    {
        var c = new byte[p.GetContentLength()];
        p.WriteContents(c);
        return c;
    }

    [Fact]
    public void Several_parameters_of_one_type_are_all_read()
    {
        var bytes = Build(Packets.HipPacketType.Update, (ref Packets.HipPacketBuilder b) =>
        {
            b.Add(new CertParameter(1, 2, 1, CertificateType.X509V3, Bytes(10, 1)));
            b.Add(new CertParameter(1, 2, 2, CertificateType.X509V3, Bytes(10, 2)));
            b.Add(new RegFailedParameter(RegistrationFailureType.TypeUnavailable, RegistrationType.RelayUdpEsp));
            b.Add(new RegFailedParameter(RegistrationFailureType.InsufficientResources, RegistrationType.RelayUdpHip));
            b.Add(new EchoRequestUnsignedParameter(Bytes(4, 1)));
            b.Add(new EchoRequestUnsignedParameter(Bytes(4, 2)));
        });
        Assert.Equal(WireError.None, Packets.HipPacket.TryParse(bytes, out var packet));
        Assert.True(packet.TryGetAll<CertParameter>(out var certs, out _));
        Assert.Equal([1, 2], certs.Select(c => (int)c.Id));
        Assert.Equal(Bytes(10, 2), certs[1].Certificate.ToArray());
        Assert.True(packet.TryGetAll<RegFailedParameter>(out var failed, out _));
        Assert.Equal([RegistrationFailureType.TypeUnavailable, RegistrationFailureType.InsufficientResources], failed.Select(f => f.FailureType));
        Assert.True(packet.TryGetAll<EchoRequestUnsignedParameter>(out var echoes, out _));
        Assert.Equal(2, echoes.Length);
        Assert.Equal(2, packet.Count(ParameterType.EchoRequestUnsigned));
        Assert.True(packet.TryGetAll<SeqParameter>(out var none, out var err));
        Assert.Empty(none);
        Assert.Equal(WireError.None, err);
    }
}
