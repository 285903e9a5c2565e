using System.Net;
using System.Text;
using Hipnat.Core.Association;
using Hipnat.Core.Host;
using Hipnat.Core.Registration;
using Hipnat.Core.Transport;
using Hipnat.Crypto;
using Hipnat.Simulator;
using Hipnat.Simulator.Hip;
using Hipnat.Wire;
using Hipnat.Wire.Packets;
using Hipnat.Wire.Parameters;
using DropReason = Hipnat.Core.Host.DropReason;

namespace Hipnat.Core.Tests;

/// <summary>
/// Forged control packets against an established association and a relay with registered clients. The attacker
/// is on path: it knows addresses, ports, HITs and SPIs and sees every packet, but holds no key. Each forged packet
/// must leave the association (state, peer locators, locator pairs, SA pairs, UPDATE SEQ counters), the relay's
/// registrations and the events untouched, be answered with nothing where RFC 7401 says drop, and be counted
/// under its own drop reason (docs/security.md, "Forged packets").
/// </summary>
public class ForgedPacketTests
{
    private static readonly IPAddress NatCPublic = IPAddress.Parse("203.0.113.30");
    private static readonly IPAddress NatDPublic = IPAddress.Parse("203.0.113.40");
    private static readonly TransportAddress AttackerAddress = TransportAddress.Udp(IPAddress.Parse("203.0.113.66"), 10500);
    private static readonly TransportAddress LocalB = TransportAddress.Udp(RelayTopology.HostBAddress, 10500);

    [Fact]
    public void UpdateWithABadMacIsDroppedAsBadMac()
    {
        var t = Associated();
        var forged = Forgery.Update(HitA(t), HitB(t), NextPeerSeq(t), MacLength(t));

        var outcome = Attack(t, t.B, PeerAddressAtB(t), forged);

        outcome.Unchanged();
        outcome.DroppedOnce(DropReason.BadMac);
        Settles(t);
    }

    [Fact]
    public void UpdateWithLocatorSetThatWouldMoveThePeerIsDroppedAsBadMac()
    {
        var t = Associated();
        var assocB = t.B.Host.FindAssociation(HitA(t))!;
        uint spi = assocB.SaPairs[0].OutboundSpi; // the SPI A receives on, which it would name in ESP_INFO
        var locators = new LocatorSetParameter([Locator.ForTransportAddress(AttackerAddress.Address, AttackerAddress.Port, CandidateKind.Host, 0, spi, 600, preferred: true)]);

        // RFC 8046 §5.3: ESP_INFO Old SPI = New SPI with a LOCATOR_SET is a handover UPDATE (the peer moved).
        var forged = Forgery.Update(HitA(t), HitB(t), NextPeerSeq(t), MacLength(t),
            espInfo: new EspInfoParameter(assocB.KeymatIndex, spi, spi), locators: locators);

        // From the attacker's own address, and from A's (the attacker spoofs it).
        var fromAttacker = Attack(t, t.B, AttackerAddress, forged);
        fromAttacker.Unchanged();
        fromAttacker.DroppedOnce(DropReason.BadMac);
        var spoofed = Attack(t, t.B, PeerAddressAtB(t), forged);
        spoofed.Unchanged();
        spoofed.DroppedOnce(DropReason.BadMac);

        Assert.DoesNotContain(AttackerAddress, InfoB(t).PeerLocators);
        Assert.DoesNotContain(InfoB(t).Pairs, p => p.Peer == AttackerAddress);
        Settles(t);
        Assert.DoesNotContain(t.Sim.Trace, r => r.Destination.Address.Equals(AttackerAddress.Address));
    }

    [Fact]
    public void GenuineUpdateWithAnotherKeysSignatureIsDroppedAsBadSignatureAndTheGenuineOneStillWorks()
    {
        var t = Associated();

        // A's rekey UPDATE, captured on the wire and kept from B.
        var captured = Capture(t.A, HipPacketType.Update, () => t.A.Invoke((h, now) => h.Rekey(HitB(t), now)));
        var genuine = captured.Single();

        // Same octets, HIP_MAC intact, HIP_SIGNATURE re-made with the attacker's P-256 key: well-formed, right
        // algorithm and length, wrong key.
        var forged = Forgery.ResignedByAttacker(genuine);
        var outcome = Attack(t, t.B, PeerAddressAtB(t), forged);
        outcome.Unchanged();
        outcome.DroppedOnce(DropReason.BadSignature);

        // The forgery did not spend the SEQ: A's own retransmission rekeys.
        var spisBefore = InfoB(t).SaPairs.Select(s => s.InboundSpi).ToList();
        Assert.True(t.Sim.RunUntil(() => t.A.Events.Any(e => e is UpdateCompleted { Rekeyed: true }), TimeSpan.FromSeconds(10)), t.Sim.TraceText());
        Assert.NotEqual(spisBefore, InfoB(t).SaPairs.Select(s => s.InboundSpi).ToList());
        Settles(t);
    }

    [Fact]
    public void ReplayedRekeyUpdateIsAcknowledgedAgainWithoutRekeying()
    {
        var t = Associated();
        var captured = Capture(t.A, HipPacketType.Update, () => t.A.Invoke((h, now) => h.Rekey(HitB(t), now)), swallow: false);
        Assert.True(t.Sim.RunUntil(() => t.A.Events.Any(e => e is UpdateCompleted { Rekeyed: true }), TimeSpan.FromSeconds(10)));
        t.Sim.RunFor(TimeSpan.FromSeconds(5));

        // RFC 7401 §6.12.1 step 2: an UPDATE whose SEQ was processed is a retransmission: acknowledged again, nothing
        // applied. (It is the peer's own signed packet, so it still counts as a sign of life.)
        var outcome = Attack(t, t.B, PeerAddressAtB(t), captured.First(p => Has(p, ParameterType.EspInfo)));
        outcome.Unchanged(ignoreLastSeen: true);
        outcome.DroppedOnce(DropReason.Duplicate);
        Assert.Equal(1, outcome.PacketsOut); // the ACK
        Settles(t);
    }

    [Fact]
    public void ReplayedHandoverUpdateDoesNotBringBackTheOldLocators()
    {
        var t = Associated();

        // A moves behind natC (handover UPDATE 1), then behind natD (handover UPDATE 2); the attacker keeps UPDATE 1.
        var first = Capture(t.A, HipPacketType.Update, () => MoveA(t, "C", NatCPublic), swallow: false,
            until: () => InfoB(t).PeerAddress?.Address.Equals(NatCPublic) == true);
        t.Sim.RunFor(TimeSpan.FromSeconds(5));
        var handover = first.First(p => Has(p, ParameterType.EspInfo));
        MoveA(t, "D", NatDPublic);
        Assert.True(t.Sim.RunUntil(() => InfoB(t).PeerAddress?.Address.Equals(NatDPublic) == true, TimeSpan.FromSeconds(10)), t.Sim.TraceText());
        t.Sim.RunFor(TimeSpan.FromSeconds(5));
        Assert.DoesNotContain(InfoB(t).PeerLocators, l => l.Address.Equals(NatCPublic));

        // Replayed from where it first came (natC's mapping), and from A's current address.
        var natCMapping = t.Sim.Trace.First(r => r.Kind == TraceKind.Delivered && r.Where == "B" && r.Source.Address.Equals(NatCPublic)).Source;
        foreach (var from in new[] { TransportAddress.Udp(natCMapping.Address, (ushort)natCMapping.Port), PeerAddressAtB(t) })
        {
            var outcome = Attack(t, t.B, from, handover);
            outcome.Unchanged(ignoreLastSeen: true);
            outcome.DroppedOnce(DropReason.Duplicate);
            Assert.Equal(1, outcome.PacketsOut); // the ACK (§6.12.1 step 2), nothing else: no probe, no check
        }

        Assert.DoesNotContain(InfoB(t).PeerLocators, l => l.Address.Equals(NatCPublic));
        Settles(t);
        Assert.Equal(NatDPublic, InfoB(t).PeerAddress!.Value.Address);
    }

    [Fact]
    public void CloseWithABadMacIsDroppedAndNotAnswered()
    {
        var t = Associated();
        var outcome = Attack(t, t.B, PeerAddressAtB(t), Forgery.Close(HitA(t), HitB(t), MacLength(t)));
        outcome.Unchanged();
        outcome.DroppedOnce(DropReason.BadMac);
        Settles(t);
    }

    [Fact]
    public void GenuineCloseOfAnEarlierAssociationReplayedAgainstTheNextOneIsDroppedAsBadMac()
    {
        var p = new SimPair(21);
        p.Connect(p.A, p.B);
        Assert.True(p.RunUntilEstablished(TimeSpan.FromSeconds(10)));
        var close = Capture(p.A, HipPacketType.Close, () => p.A.Invoke((h, now) => h.Close(p.B.Host.LocalHit, now)), swallow: false).Single();
        Assert.True(p.Sim.RunUntil(() => p.A.Host.AssociationCount == 0 && p.B.Host.AssociationCount == 0, TimeSpan.FromMinutes(5)));

        // A new association between the same hosts: new keys.
        p.Connect(p.A, p.B);
        Assert.True(p.RunUntilEstablished(TimeSpan.FromSeconds(10)));
        p.Sim.RunFor(TimeSpan.FromSeconds(2));

        var fromA = TransportAddress.Udp(p.AddrA, TransportAddress.DefaultHipPort);
        var localB = TransportAddress.Udp(p.AddrB, TransportAddress.DefaultHipPort);
        var outcome = Inject(p.B, localB, fromA, p.A.Host.LocalHit, close, relay: null);
        outcome.Unchanged();
        outcome.DroppedOnce(DropReason.BadMac);
        p.Sim.RunFor(TimeSpan.FromSeconds(30));
        Assert.True(p.BothEstablished());
    }

    [Fact]
    public void NotifyWithAnotherKeysSignatureOrNoneIsDropped()
    {
        var t = Associated();

        // PATH_UNHEARD would make B fail over at once; CONNECTIVITY_CHECKS_FAILED would make it gather again.
        foreach (var message in new[] { NotifyMessageType.PathUnheard, NotifyMessageType.ConnectivityChecksFailed })
        {
            var signed = Attack(t, t.B, PeerAddressAtB(t), Forgery.Notify(HitA(t), HitB(t), message));
            signed.Unchanged();
            signed.DroppedOnce(DropReason.BadSignature);
            var unsigned = Attack(t, t.B, PeerAddressAtB(t), Forgery.Notify(HitA(t), HitB(t), message, signed: false));
            unsigned.Unchanged();
            unsigned.DroppedOnce(DropReason.MissingSignature);
        }

        Assert.Equal(0, t.B.Host.Counters.PeerHearsNothing);
        Assert.Equal(0, t.B.Host.Counters.PeerChecksFailed);
        Assert.DoesNotContain(t.B.Events, e => e is NotifyReceived);
        Settles(t);
    }

    [Theory]
    [InlineData(NotifyMessageType.PathUnheard)]
    [InlineData(NotifyMessageType.ConnectivityChecksFailed)]
    public void ReplayedNotifyIsDroppedAsDuplicateAndNotActedOn(NotifyMessageType message)
    {
        var t = Associated();

        // A's genuine notice in the form other implementations send (no data), taken in once by B.
        var genuine = Capture(t.A, HipPacketType.Notify, () => t.A.Invoke((h, now) => h.SendNotify(HitB(t), (ushort)message, default, now))).Single();
        var first = Attack(t, t.B, PeerAddressAtB(t), genuine);
        Assert.Contains(first.NewEvents, e => e.Contains(nameof(NotifyReceived), StringComparison.Ordinal));
        long hearsNothing = t.B.Host.Counters.PeerHearsNothing;
        long checksFailed = t.B.Host.Counters.PeerChecksFailed;
        t.Sim.RunFor(TimeSpan.FromSeconds(5));

        // The same octets again, past the two seconds PATH_UNHEARD waits between notices.
        var replay = Attack(t, t.B, PeerAddressAtB(t), genuine);
        replay.Unchanged();
        replay.DroppedOnce(DropReason.Duplicate);
        Assert.Equal(hearsNothing, t.B.Host.Counters.PeerHearsNothing);
        Assert.Equal(checksFailed, t.B.Host.Counters.PeerChecksFailed);
        Settles(t);
    }

    [Fact]
    public void TheSameKeepaliveNotifyTwiceStillShowsThePeerIsThere()
    {
        var t = Associated();

        // Under a deterministic signature (RSA) every NAT_KEEPALIVE is the same octets; it changes nothing but
        // LastSeen, so it is not held against the notice history.
        var keepalive = Capture(t.A, HipPacketType.Notify, () => t.A.Invoke((h, now) => h.SendNotify(HitB(t), (ushort)NotifyMessageType.NatKeepalive, default, now))).Single();
        foreach (var _ in new[] { 1, 2 })
        {
            var outcome = Attack(t, t.B, PeerAddressAtB(t), keepalive);
            Assert.Contains(outcome.NewEvents, e => e.Contains(nameof(NotifyReceived), StringComparison.Ordinal));
            Assert.All(outcome.Drops, d => Assert.Equal(0, d));
        }

        Settles(t);
    }

    [Fact]
    public void NoticeForAnSaThatWasRekeyedAwayIsDroppedAsDuplicate()
    {
        var t = Associated();

        // hipnat's notices carry the SPI the peer receives on and a serial; one captured before a rekey is stale.
        uint spiAtB = InfoB(t).SaPairs[0].InboundSpi;
        var data = new byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(data, spiAtB);
        data[7] = 1;
        var captured = Capture(t.A, HipPacketType.Notify, () => t.A.Invoke((h, now) => h.SendNotify(HitB(t), (ushort)NotifyMessageType.PathUnheard, data, now))).Single();
        t.A.Invoke((h, now) => h.Rekey(HitB(t), now));
        Assert.True(t.Sim.RunUntil(() => t.A.Events.Any(e => e is UpdateCompleted { Rekeyed: true }), TimeSpan.FromSeconds(10)), t.Sim.TraceText());
        t.Sim.RunFor(TimeSpan.FromSeconds(30));
        Assert.DoesNotContain(InfoB(t).SaPairs, s => s.InboundSpi == spiAtB);

        var stale = Attack(t, t.B, PeerAddressAtB(t), captured);
        stale.Unchanged();
        stale.DroppedOnce(DropReason.Duplicate);
        Assert.Equal(0, t.B.Host.Counters.PeerHearsNothing);

        // The rule is the SPI, not the packet: the same notice for B's SPI of now is taken in.
        uint spiNow = InfoB(t).SaPairs[0].InboundSpi;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(data, spiNow);
        data[7] = 2;
        var fresh = Capture(t.A, HipPacketType.Notify, () => t.A.Invoke((h, now) => h.SendNotify(HitB(t), (ushort)NotifyMessageType.PathUnheard, data, now))).Single();
        var taken = Attack(t, t.B, PeerAddressAtB(t), fresh);
        Assert.Contains(taken.NewEvents, e => e.Contains(nameof(NotifyReceived), StringComparison.Ordinal));
        Settles(t);
    }

    [Fact]
    public void ReplayedUpdateIsAcknowledgedAFewTimesThenOnlyCounted()
    {
        var t = Associated();
        var captured = Capture(t.A, HipPacketType.Update, () => t.A.Invoke((h, now) => h.Rekey(HitB(t), now)), swallow: false);
        Assert.True(t.Sim.RunUntil(() => t.A.Events.Any(e => e is UpdateCompleted { Rekeyed: true }), TimeSpan.FromSeconds(10)));
        t.Sim.RunFor(TimeSpan.FromSeconds(10));
        var update = captured.First(p => Has(p, ParameterType.EspInfo));

        // From a spoofed victim's address, back to back: the burst is answered (§6.12.1 step 2), the rest is not.
        var answered = 0;
        var limited = 0;
        for (int i = 0; i < 20; i++)
        {
            var outcome = Attack(t, t.B, AttackerAddress, update);
            outcome.Unchanged(ignoreLastSeen: true);
            answered += (int)outcome.PacketsOut;
            limited += outcome.Drops[(int)DropReason.RateLimited] == 1 ? 1 : 0;
        }

        Assert.Equal((int)HostAssociation.ReplayAnswerBurst, answered);
        Assert.Equal(20 - answered, limited);

        // The bucket refills: a retransmission seconds later is acknowledged again.
        t.Sim.RunFor(TimeSpan.FromSeconds(3));
        Assert.Equal(1, Attack(t, t.B, PeerAddressAtB(t), update).PacketsOut);
        Settles(t);
    }

    [Fact]
    public void ForgedRegistrationCancelDoesNotEndTheRegistration()
    {
        var t = Associated();
        var reg = t.Relay.Host.GetRegisteredClient(HitA(t))!;
        var mac = t.Relay.Host.FindAssociation(HitA(t))!.Suite.HmacLength();
        uint seq = (t.Relay.Host.FindAssociation(HitA(t))!.LastPeerUpdateId ?? 0) + 1;

        // RFC 8003 §3.3: REG_REQUEST with lifetime 0 cancels; from the address A registered from.
        var forged = Forgery.Update(HitA(t), t.Relay.Host.LocalHit, seq, mac, regRequest: new RegRequestParameter(0, RegistrationType.RelayUdpHip));
        var outcome = Attack(t, t.Relay, reg.ClientAddress, forged, peer: HitA(t), local: TransportAddress.Udp(RelayTopology.RelayAddress, 10500));
        outcome.Unchanged();
        outcome.DroppedOnce(DropReason.BadMac);
        Assert.True(t.Relay.Host.GetRegisteredClient(HitA(t))!.Has(RegistrationType.RelayUdpHip, t.Sim.Now));
        Settles(t);
    }

    [Fact]
    public void ReplayedRegistrationUpdateFromAnotherAddressDoesNotMoveTheRegistration()
    {
        var t = Associated();
        var relayHit = t.Relay.Host.LocalHit;
        var relayLocal = TransportAddress.Udp(RelayTopology.RelayAddress, 10500);

        // A renews its registration (REG_REQUEST in an UPDATE, RFC 8003 §3.2); the attacker keeps a copy.
        var renewal = Capture(t.A, HipPacketType.Update,
            () => t.A.Invoke((h, now) => h.Register(relayHit, [RegistrationType.RelayUdpHip], TimeSpan.FromMinutes(10), now)), swallow: false)
            .First(p => Has(p, ParameterType.RegRequest));
        t.Sim.RunFor(TimeSpan.FromSeconds(2));
        var registeredFrom = t.Relay.Host.GetRegisteredClient(HitA(t))!.ClientAddress;

        // Replayed from the attacker's address: the relay must not start sending A's traffic there. It answers
        // the apparent retransmission with its cached answer (RFC 7401 §6.12.1 step 2), nothing more.
        var outcome = Attack(t, t.Relay, AttackerAddress, renewal, peer: HitA(t), local: relayLocal);
        outcome.Unchanged(ignoreLastSeen: true);
        outcome.DroppedOnce(DropReason.Duplicate);
        Assert.Equal(1, outcome.PacketsOut);
        Assert.Equal(registeredFrom, t.Relay.Host.GetRegisteredClient(HitA(t))!.ClientAddress);
        Settles(t);
        Assert.Equal(registeredFrom, t.Relay.Host.GetRegisteredClient(HitA(t))!.ClientAddress);
    }

    [Fact]
    public void PacketAlreadyCarryingRelayFromAndRelayHmacIsNotRelayed()
    {
        var t = Associated();
        var relayLocal = TransportAddress.Udp(RelayTopology.RelayAddress, 10500);

        // A forged UPDATE "of A" towards B, dressed as if the relay had already forwarded it: the relay appends its
        // own RELAY_FROM and RELAY_HMAC last (RFC 9028 §5.6), so parameters after RELAY_FROM are refused.
        var inner = Forgery.Update(HitA(t), HitB(t), NextPeerSeq(t), MacLength(t));
        var forged = Forgery.WithRelayFrom(inner, new IPEndPoint(AttackerAddress.Address, AttackerAddress.Port), MacLength(t));
        var outcome = Attack(t, t.Relay, AttackerAddress, forged, peer: HitB(t), local: relayLocal);
        outcome.Unchanged();
        outcome.DroppedOnce(DropReason.Malformed);
        Assert.Equal(0, outcome.Relayed);
        Settles(t);
    }

    [Fact]
    public void RelayToFromAnAddressTheClientDidNotRegisterFromIsNotRelayed()
    {
        var t = Associated();
        var relayLocal = TransportAddress.Udp(RelayTopology.RelayAddress, 10500);

        // "A" answers "through the relay" to the attacker's chosen target, but from the attacker's address.
        var forged = Forgery.Update(HitA(t), HitB(t), NextPeerSeq(t), MacLength(t), relayTo: new IPEndPoint(IPAddress.Parse("203.0.113.77"), 10500));
        var outcome = Attack(t, t.Relay, AttackerAddress, forged, peer: HitB(t), local: relayLocal);
        outcome.Unchanged();
        outcome.DroppedOnce(DropReason.NotForUs);
        Assert.Equal(0, outcome.Relayed);
        Settles(t);
    }

    [Fact]
    public void RelayedPacketWithABadRelayHmacIsDroppedAtTheClient()
    {
        var t = Associated();
        var inner = Forgery.Update(HitA(t), HitB(t), NextPeerSeq(t), MacLength(t));
        var forged = Forgery.WithRelayFrom(inner, new IPEndPoint(AttackerAddress.Address, AttackerAddress.Port), MacLength(t));

        // As if from the relay (its address and port, spoofed), and from an address that is no registrar of B's.
        var fromRelay = Attack(t, t.B, TransportAddress.Udp(RelayTopology.RelayAddress, 10500), forged);
        fromRelay.Unchanged();
        fromRelay.DroppedOnce(DropReason.BadMac);
        var fromElsewhere = Attack(t, t.B, AttackerAddress, forged);
        fromElsewhere.Unchanged();
        fromElsewhere.DroppedOnce(DropReason.BadMac);
        Settles(t);
    }

    /// <summary>Two hosts behind port-restricted cone NATs, both registered with the relay, associated through it
    /// and then on a direct pair (ICE).</summary>
    private static RelayTopology Associated()
    {
        var registrar = new RegistrarOptions { AllowAnyone = true, Services = [RegistrationType.RelayUdpHip] };
        var t = new RelayTopology(NatBehavior.PortRestrictedCone, NatBehavior.PortRestrictedCone, seed: 7, registrar);
        Assert.True(t.Register(t.B, TimeSpan.FromMinutes(10), RegistrationType.RelayUdpHip));
        Assert.True(t.Register(t.A, TimeSpan.FromMinutes(10), RegistrationType.RelayUdpHip));
        t.A.Host.AddPeerLocator(t.B.Host.LocalHit, TransportAddress.Udp(RelayTopology.RelayAddress, 10500));
        t.A.Invoke((h, now) => h.Connect(t.B.Host.LocalHit, now));
        Assert.True(t.Sim.RunUntil(
            () => t.A.Host.GetState(HitB(t)) == AssociationState.Established && t.B.Host.GetState(HitA(t)) == AssociationState.Established,
            TimeSpan.FromSeconds(10)), t.Sim.TraceText());
        t.Sim.RunFor(TimeSpan.FromSeconds(5));
        Assert.False(InfoB(t).Pairs.Single(p => p.Peer == InfoB(t).PeerAddress).ThroughRelay, "expected a direct pair");
        return t;
    }

    /// <summary>A moves its only address behind a new NAT and tells the core (break-before-make).</summary>
    private static void MoveA(RelayTopology t, string name, IPAddress natPublic)
    {
        var lan = t.Sim.AddRealm("lan" + name, $"198.18.{name[0] - 'A' + 1}.0/24", LinkProfile.WithDelay(TimeSpan.FromMilliseconds(1)));
        t.Sim.AddNat("nat" + name, lan, t.Public, NatBehavior.PortRestrictedCone, natPublic);
        var simA = t.Sim.Hosts.First(h => h.Name == "A");
        var moved = IPAddress.Parse($"198.18.{name[0] - 'A' + 1}.10");
        t.Sim.MoveAddress(simA, simA.Address, lan, moved);
        t.A.Invoke((h, now) => h.SetLocalLocators([TransportAddress.Udp(moved, 10500)], now));
    }

    /// <summary>Runs <paramref name="action"/> (and the simulation for <paramref name="runFor"/>) and returns the
    /// packets of <paramref name="type"/> the node sent meanwhile; with <paramref name="swallow"/> they never reach
    /// the network.</summary>
    private static List<byte[]> Capture(HipSimNode node, HipPacketType type, Action action, bool swallow = true, Func<bool>? until = null)
    {
        var captured = new List<byte[]>();
        node.SendFilter = (_, _, _, payload) =>
        {
            if (Forgery.TypeOf(payload) != type)
            {
                return false;
            }

            captured.Add(payload);
            return swallow;
        };
        try
        {
            action();
            if (until is not null)
            {
                Assert.True(node.SimHost!.Simulation.RunUntil(until, TimeSpan.FromSeconds(10)));
            }
        }
        finally
        {
            node.SendFilter = null;
        }

        Assert.NotEmpty(captured);
        return captured;
    }

    private static bool Has(byte[] udpPayload, ushort parameterType) =>
        HipPacket.TryParse(udpPayload.AsSpan(4), out var packet) == WireError.None && packet.Has(parameterType);

    private static Outcome Attack(RelayTopology t, HipSimNode target, TransportAddress from, byte[] forged, Hit? peer = null, TransportAddress? local = null) =>
        Inject(target, local ?? LocalB, from, peer ?? HitA(t), forged, t.Relay.Host);

    /// <summary>Hands the forged datagram to <paramref name="target"/> as its socket would, and records what it
    /// changed, sent and counted.</summary>
    private static Outcome Inject(HipSimNode target, TransportAddress local, TransportAddress from, Hit peer, byte[] forged, HipHost? relay)
    {
        var host = target.Host;
        string before = StateOf(host, peer, relay);
        string beforeSeen = StateOf(host, peer, relay, ignoreLastSeen: true);
        var drops = Snapshot(host.Counters);
        long packetsOut = host.Counters.PacketsOut;
        long relayed = host.Counters.Relayed;
        int events = target.Events.Count;
        target.Invoke((h, now) => h.HandleDatagram(local, from, forged, now));
        return new Outcome(
            Before: before,
            After: StateOf(host, peer, relay),
            BeforeIgnoringLastSeen: beforeSeen,
            AfterIgnoringLastSeen: StateOf(host, peer, relay, ignoreLastSeen: true),
            Drops: Snapshot(host.Counters).Select((n, i) => n - drops[i]).ToArray(),
            PacketsOut: host.Counters.PacketsOut - packetsOut,
            Relayed: host.Counters.Relayed - relayed,
            NewEvents: target.Events.Skip(events).Select(e => e.ToString()!).ToList());
    }

    private static long[] Snapshot(HipCounters c) => Enum.GetValues<DropReason>().Select(c.Dropped).ToArray();

    /// <summary>Everything about the association with <paramref name="peer"/> a forged packet must not change,
    /// and the relay's registrations.</summary>
    private static string StateOf(HipHost host, Hit peer, HipHost? relay, bool ignoreLastSeen = false)
    {
        var sb = new StringBuilder();
        var info = host.GetAssociation(peer);
        if (info is not null)
        {
            var a = host.FindAssociation(peer)!;
            sb.Append(info.State).Append(' ').Append(info.LocalAddress).Append(" -> ").Append(info.PeerAddress);
            if (!ignoreLastSeen)
            {
                sb.Append(" seen ").Append(info.LastSeen);
            }

            sb.Append("\nlocators ").AppendJoin(',', info.PeerLocators.Select(l => l.ToString()).Order(StringComparer.Ordinal));
            sb.Append("\npairs ").AppendJoin(',', info.Pairs.Select(p => $"{p.Local}>{p.Peer}:{p.State}:{p.RelayedTo}:{p.CreditLimited}"));
            sb.Append("\nsa ").AppendJoin(',', info.SaPairs.Select(s => $"{s.InboundSpi:x8}/{s.OutboundSpi:x8}/{s.KeymatIndex}/{s.Generation}"));
            sb.Append($"\nseq next {a.NextUpdateId} pending {a.PendingUpdateId} peer {a.LastPeerUpdateId} keymat {a.KeymatIndex} closing {a.CloseNonce is not null}");
            sb.Append($"\nprobes {a.ReturnRoutability.NextDue} handover {a.HandoverDue} failover {a.FailoverDue}");
        }
        else
        {
            sb.Append("no association");
        }

        foreach (var registrar in new[] { host, relay ?? host }.Distinct())
        {
            foreach (var r in registrar.RegisteredClients.OrderBy(r => r.Client.ToString(), StringComparer.Ordinal))
            {
                sb.Append($"\nregistration {r.Client} at {r.ClientAddress} relayed {r.RelayedAddress} ")
                    .AppendJoin(',', r.Services.OrderBy(s => s.Key).Select(s => $"{s.Key}:{s.Value}"));
            }
        }

        foreach (var r in host.Registrations)
        {
            sb.Append($"\nour registration {r.Registrar} {r.Type} {r.State} until {r.ExpiresAt}");
        }

        return sb.ToString();
    }

    /// <summary>After the attack: a minute of normal operation, the association stays up and nothing failed.</summary>
    private static void Settles(RelayTopology t)
    {
        t.Sim.RunFor(TimeSpan.FromMinutes(1));
        Assert.Equal(AssociationState.Established, t.A.Host.GetState(HitB(t)));
        Assert.Equal(AssociationState.Established, t.B.Host.GetState(HitA(t)));
        Assert.DoesNotContain(t.A.Events, e => e is AssociationFailed or AssociationClosed);
        Assert.DoesNotContain(t.B.Events, e => e is AssociationFailed or AssociationClosed);
        Assert.True(t.Relay.Host.GetRegisteredClient(HitA(t))!.Has(RegistrationType.RelayUdpHip, t.Sim.Now));
        Assert.True(t.Relay.Host.GetRegisteredClient(HitB(t))!.Has(RegistrationType.RelayUdpHip, t.Sim.Now));
    }

    private static Hit HitA(RelayTopology t) => t.A.Host.LocalHit;

    private static Hit HitB(RelayTopology t) => t.B.Host.LocalHit;

    private static AssociationInfo InfoB(RelayTopology t) => t.B.Host.GetAssociation(HitA(t))!;

    private static TransportAddress PeerAddressAtB(RelayTopology t) => InfoB(t).PeerAddress!.Value;

    private static int MacLength(RelayTopology t) => t.B.Host.FindAssociation(HitA(t))!.Suite.HmacLength();

    private static uint NextPeerSeq(RelayTopology t) => (t.B.Host.FindAssociation(HitA(t))!.LastPeerUpdateId ?? 0) + 1;

    private sealed record Outcome(string Before, string After, string BeforeIgnoringLastSeen, string AfterIgnoringLastSeen,
        long[] Drops, long PacketsOut, long Relayed, List<string> NewEvents)
    {
        /// <summary>No state that matters changed, nothing was sent, no event was raised.</summary>
        public void Unchanged(bool ignoreLastSeen = false)
        {
            if (ignoreLastSeen)
            {
                Assert.Equal(BeforeIgnoringLastSeen, AfterIgnoringLastSeen);
            }
            else
            {
                Assert.Equal(Before, After);
                Assert.Equal(0, PacketsOut);
            }

            Assert.Empty(NewEvents);
        }

        /// <summary>Exactly one drop, of <paramref name="reason"/>.</summary>
        public void DroppedOnce(DropReason reason)
        {
            var counted = Enum.GetValues<DropReason>().Where(r => Drops[(int)r] != 0).Select(r => $"{r}={Drops[(int)r]}");
            Assert.Equal($"{reason}=1", string.Join(' ', counted));
        }
    }
}
