using System.Net;
using Hipnat.Core.Association;
using Hipnat.Core.Host;
using Hipnat.Core.Ice;
using Hipnat.Core.Registration;
using Hipnat.Core.Transport;
using Hipnat.Simulator;
using Hipnat.Simulator.Hip;
using Hipnat.Wire.Packets;
using Hipnat.Wire.Parameters;
using DropReason = Hipnat.Core.Host.DropReason;

namespace Hipnat.Core.Tests;

/// <summary>ICE for HIP in the simulator (RFC 9028 §4.2-4.7; RFC 5770 §4.6, §5.2-5.3).</summary>
public class IceTests
{
    /// <summary>Passes datagrams to a HIP node, letting a test look at (and replace) HIP control packets first.</summary>
    private sealed class Tap(HipSimNode inner) : ISimNode
    {
        public List<(SimEndpoint From, SimEndpoint To, byte[] Payload)> Seen { get; } = [];

        /// <summary>Return true to swallow the datagram.</summary>
        public Func<SimContext, SimEndpoint, SimEndpoint, byte[], bool>? Intercept { get; set; }

        public void OnDatagram(SimContext ctx, SimEndpoint local, SimEndpoint remote, ReadOnlySpan<byte> payload)
        {
            var copy = payload.ToArray();
            Seen.Add((remote, local, copy));
            if (Intercept?.Invoke(ctx, local, remote, copy) == true)
            {
                return;
            }

            inner.OnDatagram(ctx, local, remote, payload);
        }

        public void OnTimer(SimContext ctx) => inner.OnTimer(ctx);
    }

    private static bool IsHip(byte[] payload, out HipPacketType type, Func<HipPacket, bool>? predicate = null)
    {
        type = default;
        if (payload.Length < 44 || payload[0] != 0 || payload[1] != 0 || payload[2] != 0 || payload[3] != 0)
        {
            return false;
        }

        if (HipPacket.TryParse(payload.AsSpan(4), out var p) != Wire.WireError.None)
        {
            return false;
        }

        type = p.Type;
        return predicate?.Invoke(p) ?? true;
    }

    private static bool IsCheck(byte[] payload) => IsHip(payload, out var t, p => p.Has(ParameterType.CandidatePriority)) && t == HipPacketType.Update;

    private static bool IsCheckAnswer(byte[] payload) => IsHip(payload, out var t, p => p.Has(ParameterType.MappedAddress)) && t == HipPacketType.Update;

    private static RelayTopology Connected(NatBehavior natA, NatBehavior natB, IReadOnlyList<NatTraversalMode>? modes = null, IceOptions? ice = null,
        bool dataRelay = false, long seed = 1)
    {
        var registrar = new RegistrarOptions
        {
            AllowAnyone = true,
            Services = dataRelay ? [RegistrationType.RelayUdpHip, RegistrationType.RelayUdpEsp] : [RegistrationType.RelayUdpHip],
        };
        var t = new RelayTopology(natA, natB, seed, registrar, hostModes: modes, ice: ice);
        RegistrationType[] types = dataRelay ? [RegistrationType.RelayUdpHip, RegistrationType.RelayUdpEsp] : [RegistrationType.RelayUdpHip];
        Assert.True(t.Register(t.B, TimeSpan.FromMinutes(10), types));
        if (dataRelay)
        {
            Assert.True(t.Register(t.A, TimeSpan.FromMinutes(10), types));
        }

        return t;
    }

    private static void Connect(RelayTopology t)
    {
        t.A.Host.AddPeerLocator(t.B.Host.LocalHit, TransportAddress.Udp(RelayTopology.RelayAddress, 10500));
        t.A.Invoke((h, now) => h.Connect(t.B.Host.LocalHit, now));
        Assert.True(t.Sim.RunUntil(
            () => t.A.Host.GetState(t.B.Host.LocalHit) == AssociationState.Established && t.B.Host.GetState(t.A.Host.LocalHit) == AssociationState.Established,
            TimeSpan.FromSeconds(10)), t.Sim.TraceText());
    }

    [Fact]
    public void BehindTwoConeNatsTheInitiatorNominatesADirectPairAndBothSidesUseIt()
    {
        var t = Connected(NatBehavior.PortRestrictedCone, NatBehavior.PortRestrictedCone);
        Connect(t);
        var established = t.A.Events.OfType<AssociationEstablished>().Single(e => e.Peer == t.B.Host.LocalHit).At;
        Assert.True(t.Sim.RunUntil(() => t.A.Events.Any(e => e is IceCompleted) && t.B.Host.GetIceSession(t.A.Host.LocalHit)?.Selected is not null,
            TimeSpan.FromSeconds(10)), t.Sim.TraceText());

        var done = t.A.Events.OfType<IceCompleted>().Single();
        Assert.False(done.Relayed);
        Assert.True(done.At - established < TimeSpan.FromSeconds(1), $"selected {done.At - established} after the exchange");

        var iceA = t.A.Host.GetIceSession(t.B.Host.LocalHit)!;
        var iceB = t.B.Host.GetIceSession(t.A.Host.LocalHit)!;
        Assert.Equal(NatTraversalMode.IceHipUdp, iceA.Mode);
        Assert.True(iceA.CheckList.Controlling);
        Assert.False(iceB.CheckList.Controlling);
        Assert.True(iceA.Concluded);
        Assert.True(iceA.Selected!.Nominated);

        // The pair is the same one seen from both ends: A -> B's NAT, B -> A's NAT.
        Assert.Equal(RelayTopology.NatBPublic, iceA.Selected.Remote.Address.Address);
        Assert.Equal(RelayTopology.NatAPublic, iceB.Selected!.Remote.Address.Address);
        Assert.Equal(RelayTopology.NatBPublic, t.A.Host.GetAssociation(t.B.Host.LocalHit)!.PeerAddress!.Value.Address);
        Assert.Equal(RelayTopology.NatAPublic, t.B.Host.GetAssociation(t.A.Host.LocalHit)!.PeerAddress!.Value.Address);

        // Candidates: B offered its host and server-reflexive candidates (from REG_FROM), priorities per RFC 8445.
        Assert.Contains(iceA.CheckList.RemoteCandidates, c => c.Type == CandidateKind.Host && c.Priority >> 24 == 126);
        Assert.Contains(iceA.CheckList.RemoteCandidates, c => c.Type == CandidateKind.ServerReflexive && c.Priority >> 24 == 100);

        // After selection nothing of this association crosses the relay: a rekey goes direct.
        t.Sim.RunFor(TimeSpan.FromSeconds(2));
        long relayed = t.Relay.Host.Counters.Relayed;
        t.A.Invoke((h, now) => h.Rekey(t.B.Host.LocalHit, now));
        Assert.True(t.Sim.RunUntil(() => t.A.Events.Any(e => e is UpdateCompleted), TimeSpan.FromSeconds(5)));
        Assert.Equal(relayed, t.Relay.Host.Counters.Relayed);
    }

    [Fact]
    public void ChecksArePacedByTheNegotiatedTaAndCarryCandidatePriority()
    {
        var t = Connected(NatBehavior.PortRestrictedCone, NatBehavior.PortRestrictedCone);
        var tapB = new Tap(t.B);
        t.Sim.RemoveHost(t.Sim.Hosts.First(h => h.Name == "B"));
        t.B.Attach(t.Sim.AddHost("B'", tapB, t.LanB, RelayTopology.HostBAddress));
        Connect(t);
        t.Sim.RunFor(TimeSpan.FromSeconds(3));

        Assert.Contains(tapB.Seen, s => IsCheck(s.Payload));

        // New checks (not retransmissions) of one host are at least Ta = 50 ms apart (RFC 9028 §4.4, §4.6.2).
        var iceA = t.A.Host.GetIceSession(t.B.Host.LocalHit)!;
        var firsts = iceA.CheckList.Pairs.Where(p => p.ChecksSent > 0).Select(p => p.FirstSentAt).Order().ToList();
        for (int i = 1; i < firsts.Count; i++)
        {
            Assert.True(firsts[i] - firsts[i - 1] >= TimeSpan.FromMilliseconds(50), $"checks {firsts[i - 1]} and {firsts[i]}");
        }

        Assert.True(firsts.Count >= 2, "at least two pairs were checked");
    }

    [Fact]
    public void BehindTwoSymmetricNatsIceFallsBackToTheDataRelayAndEspFlowsThere()
    {
        var t = Connected(NatBehavior.Symmetric, NatBehavior.Symmetric, dataRelay: true);
        var tapA = new Tap(t.A);
        var tapB = new Tap(t.B);
        t.Sim.RemoveHost(t.Sim.Hosts.First(h => h.Name == "A"));
        t.Sim.RemoveHost(t.Sim.Hosts.First(h => h.Name == "B"));
        var hostA = t.Sim.AddHost("A'", tapA, t.LanA, RelayTopology.HostAAddress);
        var hostB = t.Sim.AddHost("B'", tapB, t.LanB, RelayTopology.HostBAddress);
        t.A.Attach(hostA);
        t.B.Attach(hostB);
        Connect(t);
        Assert.True(t.Sim.RunUntil(() => t.A.Events.Any(e => e is IceCompleted) && t.B.Host.GetIceSession(t.A.Host.LocalHit)?.Selected is not null,
            TimeSpan.FromSeconds(15)), t.Sim.TraceText());
        var done = t.A.Events.OfType<IceCompleted>().Single();
        Assert.True(done.Relayed, done.Pair);
        var established = t.A.Events.OfType<AssociationEstablished>().Single(e => e.Peer == t.B.Host.LocalHit).At;
        Assert.True(done.At - established >= new IceOptions().RelayFallbackDelay - TimeSpan.FromMilliseconds(200), "a relayed pair waits for the fallback delay");
        Assert.DoesNotContain(t.A.Events, e => e is ActivePathChanged { Direct: true });

        var atA = t.A.Host.GetAssociation(t.B.Host.LocalHit)!;
        var atB = t.B.Host.GetAssociation(t.A.Host.LocalHit)!;
        Assert.Contains(atA.Pairs, p => p.State == LocatorPairState.Active && p.ViaDataRelay);
        Assert.Contains(atB.Pairs, p => p.State == LocatorPairState.Active && p.ViaDataRelay);

        // The data relay holds a permission for the SA whose traffic enters through the relayed address.
        t.Sim.RunFor(TimeSpan.FromSeconds(2));
        var clientA = t.Relay.Host.GetRegisteredClient(t.A.Host.LocalHit)!;
        var clientB = t.Relay.Host.GetRegisteredClient(t.B.Host.LocalHit)!;
        Assert.True(clientA.ByOutboundSpi.Count + clientB.ByOutboundSpi.Count > 0);

        // ESP sent the way each side's active pair says arrives at the other side, through the data relay.
        static byte[] Esp(uint spi)
        {
            var b = new byte[120];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(b, spi);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(4), 1);
            return b;
        }

        static int EspSeen(Tap tap, uint spi) => tap.Seen.Count(s => s.Payload.Length == 120 && System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(s.Payload) == spi);

        var routeA = atA.Pairs.Single(p => p.State == LocatorPairState.Active);
        var routeB = atB.Pairs.Single(p => p.State == LocatorPairState.Active);
        uint aToB = atA.SaPairs[0].OutboundSpi;
        uint bToA = atB.SaPairs[0].OutboundSpi;
        long relayedEsp = t.Relay.Host.Counters.EspRelayed;
        for (int i = 0; i < 4; i++)
        {
            hostA.Context.Send(new SimEndpoint(RelayTopology.HostAAddress, 10500), new SimEndpoint(routeA.Peer.Address, routeA.Peer.Port), Esp(aToB));
            hostB.Context.Send(new SimEndpoint(RelayTopology.HostBAddress, 10500), new SimEndpoint(routeB.Peer.Address, routeB.Peer.Port), Esp(bToA));
        }

        t.Sim.RunFor(TimeSpan.FromSeconds(1));
        Assert.Equal(4, EspSeen(tapB, aToB));
        Assert.Equal(4, EspSeen(tapA, bToA));
        Assert.Equal(relayedEsp + 8, t.Relay.Host.Counters.EspRelayed);

        // Control traffic follows the selected pair and works.
        t.B.Invoke((h, now) => h.Rekey(t.A.Host.LocalHit, now));
        Assert.True(t.Sim.RunUntil(() => t.B.Events.Any(e => e is UpdateCompleted), TimeSpan.FromSeconds(5)), t.Sim.TraceText());
    }

    [Fact]
    public void WithRelayedCandidatesOffByPolicyNeitherSideChecksOrOffersThem()
    {
        var t = Connected(NatBehavior.Symmetric, NatBehavior.Symmetric, ice: new IceOptions { GatherRelayed = false }, dataRelay: true);
        Connect(t);
        t.Sim.RunFor(TimeSpan.FromSeconds(5));
        var iceA = t.A.Host.GetIceSession(t.B.Host.LocalHit)!;
        var iceB = t.B.Host.GetIceSession(t.A.Host.LocalHit)!;
        Assert.DoesNotContain(iceA.CheckList.LocalCandidates, c => c.Type == CandidateKind.Relayed);
        Assert.DoesNotContain(iceA.CheckList.RemoteCandidates, c => c.Type == CandidateKind.Relayed);
        Assert.DoesNotContain(iceB.CheckList.LocalCandidates, c => c.Type == CandidateKind.Relayed);
        Assert.Null(iceA.Selected);
    }

    [Fact]
    public void IceStunUdpChecksWithStunAndKeepsNatsOpenWithBindingIndications()
    {
        var t = Connected(NatBehavior.PortRestrictedCone, NatBehavior.PortRestrictedCone, modes: [NatTraversalMode.IceStunUdp, NatTraversalMode.UdpEncapsulation]);
        var tapB = new Tap(t.B);
        t.Sim.RemoveHost(t.Sim.Hosts.First(h => h.Name == "B"));
        t.B.Attach(t.Sim.AddHost("B'", tapB, t.LanB, RelayTopology.HostBAddress));
        Connect(t);
        Assert.True(t.Sim.RunUntil(() => t.A.Events.Any(e => e is IceCompleted), TimeSpan.FromSeconds(10)), t.Sim.TraceText());
        var iceA = t.A.Host.GetIceSession(t.B.Host.LocalHit)!;
        Assert.Equal(NatTraversalMode.IceStunUdp, iceA.Mode);
        Assert.False(iceA.Selected!.IsRelayed);
        Assert.Equal(RelayTopology.NatBPublic, iceA.Selected.Remote.Address.Address);

        // The checks are STUN Binding requests (magic cookie at offset 4, no HIP zero marker) with USERNAME "B:A".
        var stun = tapB.Seen.Where(s => Hipnat.Nat.Stun.StunMessage.IsStun(s.Payload)).ToList();
        Assert.NotEmpty(stun);
        Assert.Equal(Hipnat.Nat.Stun.StunError.None, Hipnat.Nat.Stun.StunMessage.TryParse(stun[0].Payload, out var msg));
        Assert.Equal(Hipnat.Nat.Stun.HipStunCredentials.RequestUsername(t.A.Host.LocalHit, t.B.Host.LocalHit), msg!.Username);
        Assert.NotNull(msg.Priority);
        Assert.True(msg.HasMessageIntegrity);
        Assert.DoesNotContain(tapB.Seen, s => IsCheck(s.Payload));

        // Idle: keepalives are STUN Binding Indications (RFC 5770 §5.3).
        t.Sim.RunFor(TimeSpan.FromSeconds(45));
        Assert.True(t.B.Host.Counters.StunKeepalivesReceived > 0);
    }

    [Fact]
    public void AnIdleIceStunUdpAssociationOutlivesThePeerTimeoutOnItsBindingIndications()
    {
        // RFC 5770 §5.3: the only traffic of an idle ICE-STUN-UDP association is STUN Binding Indications; they
        // are signs of life, so it is still established (and answers) ten minutes later, far past the 60 s peer
        // timeout.
        var t = IceStunUdpCompleted();

        t.Sim.RunFor(TimeSpan.FromMinutes(10));
        Assert.Equal(AssociationState.Established, t.A.Host.GetState(t.B.Host.LocalHit));
        Assert.Equal(AssociationState.Established, t.B.Host.GetState(t.A.Host.LocalHit));
        Assert.DoesNotContain(t.A.Events, e => e is AssociationFailed);
        Assert.True(t.B.Host.Counters.StunKeepalivesReceived >= 20, $"{t.B.Host.Counters.StunKeepalivesReceived} indications");
        Assert.True(t.A.Host.Counters.StunKeepalivesReceived >= 20, $"{t.A.Host.Counters.StunKeepalivesReceived} indications");

        // Still usable: an UPDATE gets through and is answered.
        t.A.Invoke((h, now) => h.Rekey(t.B.Host.LocalHit, now));
        Assert.True(t.Sim.RunUntil(() => t.A.Events.OfType<UpdateCompleted>().Any(), TimeSpan.FromSeconds(5)));
    }

    /// <summary>A and B behind port-restricted cone NATs, offering ICE-STUN-UDP first: connected, checks done.</summary>
    private static RelayTopology IceStunUdpCompleted()
    {
        var t = Connected(NatBehavior.PortRestrictedCone, NatBehavior.PortRestrictedCone, modes: [NatTraversalMode.IceStunUdp, NatTraversalMode.UdpEncapsulation]);
        Connect(t);
        Assert.True(t.Sim.RunUntil(() => t.A.Events.Any(e => e is IceCompleted), TimeSpan.FromSeconds(10)), t.Sim.TraceText());
        Assert.Equal(NatTraversalMode.IceStunUdp, t.A.Host.GetIceSession(t.B.Host.LocalHit)!.Mode);
        return t;
    }

    private static int Entries(HipSimNode node, string table) => node.Host.TableEntries.Single(e => e.Table == table).Entries;

    [Fact]
    public void AClosedIceStunUdpAssociationTakesItsStunCredentialsAndCheckTransactionsAlong()
    {
        // RFC 5770 §5.2: the STUN password is drawn from the association's KEYMAT; once the association is gone no
        // check for it can be verified or answered, so the host keeps neither its USERNAME nor its transactions.
        var t = IceStunUdpCompleted();
        Assert.Equal(1, Entries(t.A, "ICE-STUN usernames"));
        Assert.Equal(1, Entries(t.B, "ICE-STUN usernames"));
        Assert.True(Entries(t.A, "ICE-STUN checks") + Entries(t.B, "ICE-STUN checks") > 0, "checks to the host candidates behind the other NAT are never answered");

        t.A.Invoke((h, now) => h.Close(t.B.Host.LocalHit, now));
        t.Sim.RunFor(TimeSpan.FromMinutes(2)); // CLOSE, CLOSE_ACK and the CLOSED linger
        Assert.Equal(AssociationState.Unassociated, t.A.Host.GetState(t.B.Host.LocalHit));
        Assert.Equal(AssociationState.Unassociated, t.B.Host.GetState(t.A.Host.LocalHit));
        foreach (var node in new[] { t.A, t.B })
        {
            Assert.Equal(0, Entries(node, "ICE-STUN usernames"));
            Assert.Equal(0, Entries(node, "ICE-STUN checks"));
        }
    }

    [Fact]
    public void DroppingAllStateLeavesOnlyThePeerLocatorsTheApplicationGave()
    {
        // A restart (DropAllState) forgets everything learned from peers, registrars and checks, not only the
        // associations: the ICE-STUN tables of an established association and the relay's registrations included.
        var t = IceStunUdpCompleted();
        Assert.True(Entries(t.A, "ICE-STUN usernames") > 0);
        Assert.True(Entries(t.Relay, "server registrations") > 0);

        foreach (var node in new[] { t.A, t.B, t.Relay })
        {
            node.Invoke((h, _) => h.DropAllState());
            Assert.All(node.Host.TableEntries.Where(e => e.Table is not ("peer locators" or "local candidates" or "transmits queued" or "events queued")),
                e => Assert.True(e.Entries == 0, $"{e.Table}: {e.Entries}"));
        }
    }

    [Fact]
    public void AggressiveUseSelectsTheFirstWorkingPairSoonerThanRegularNomination()
    {
        TimeSpan SelectionDelay(IceOptions options)
        {
            var t = Connected(NatBehavior.PortRestrictedCone, NatBehavior.PortRestrictedCone, ice: options);
            Connect(t);
            Assert.True(t.Sim.RunUntil(() => t.A.Events.Any(e => e is ActivePathChanged), TimeSpan.FromSeconds(10)));
            return t.A.Events.OfType<ActivePathChanged>().First().At - t.A.Events.OfType<AssociationEstablished>().Single(e => e.Peer == t.B.Host.LocalHit).At;
        }

        var regular = SelectionDelay(new IceOptions());
        var aggressive = SelectionDelay(new IceOptions { Aggressive = true });
        Assert.True(aggressive + TimeSpan.FromMilliseconds(100) <= regular, $"aggressive {aggressive}, regular {regular}");
    }

    [Fact]
    public void PublicHostsSelectTheDirectPairWithinAFewRoundTrips()
    {
        var p = new SimPair(3, LinkProfile.WithDelay(TimeSpan.FromMilliseconds(20)), id => new HipHostOptions
        {
            Identity = id,
            RandomSeed = 3,
            LocalLocators = [TransportAddress.Udp(id == SimPair.IdentityA ? IPAddress.Parse("203.0.113.10") : IPAddress.Parse("203.0.113.20"), 10500)],
        });
        p.Connect(p.A, p.B);
        Assert.True(p.RunUntilEstablished(TimeSpan.FromSeconds(5)));
        Assert.True(p.Sim.RunUntil(() => p.A.Events.Any(e => e is IceCompleted), TimeSpan.FromSeconds(5)));
        var done = p.A.Events.OfType<IceCompleted>().Single();
        Assert.False(done.Relayed);
        Assert.True(done.Elapsed < TimeSpan.FromMilliseconds(300), done.Elapsed.ToString());
    }

    [Fact]
    public void AHostBoundToAWildcardAddressChecksFromItButNeverOffersIt()
    {
        var p = new SimPair(4, LinkProfile.WithDelay(TimeSpan.FromMilliseconds(5)), id => new HipHostOptions
        {
            Identity = id,
            RandomSeed = 4,
            LocalLocators = [TransportAddress.Udp(IPAddress.Any, 10500)],
        });
        p.Connect(p.A, p.B);
        Assert.True(p.RunUntilEstablished(TimeSpan.FromSeconds(5)));
        Assert.True(p.Sim.RunUntil(() => p.A.Events.Any(e => e is IceCompleted), TimeSpan.FromSeconds(5)), p.Sim.TraceText());
        var ice = p.B.Host.GetIceSession(p.A.Host.LocalHit)!;
        Assert.DoesNotContain(ice.CheckList.RemoteCandidates, c => c.Address.Address.Equals(IPAddress.Any));
        Assert.Equal(p.AddrA, ice.Selected!.Remote.Address.Address);
    }

    // ---- untrusted input ----

    [Fact]
    public void AnAnswerFromOtherPortsIsCountedAndDoesNotValidateThePair()
    {
        var t = Connected(NatBehavior.FullCone, NatBehavior.FullCone);
        var tapA = new Tap(t.A);
        t.Sim.RemoveHost(t.Sim.Hosts.First(h => h.Name == "A"));
        t.A.Attach(t.Sim.AddHost("A'", tapA, t.LanA, RelayTopology.HostAAddress));
        int forged = 0;
        tapA.Intercept = (ctx, local, remote, payload) =>
        {
            if (forged < 3 && IsCheckAnswer(payload))
            {
                // The same (authentic) answer, but from another source port: RFC 9028 §4.6.2 says drop it.
                forged++;
                t.A.OnDatagram(ctx, local, new SimEndpoint(remote.Address, remote.Port + 1), payload);
                return true;
            }

            return false;
        };
        Connect(t);
        t.Sim.RunFor(TimeSpan.FromSeconds(10));
        Assert.Equal(3, forged);
        Assert.Equal(3, t.A.Host.Counters.Dropped(DropReason.CheckMismatch));
        // The real answers to the retransmitted checks still validate the pair afterwards.
        Assert.Contains(t.A.Events, e => e is IceCompleted);
    }

    [Fact]
    public void ACheckWithAWrongMacIsDroppedBeforeAnyStateChanges()
    {
        var t = Connected(NatBehavior.FullCone, NatBehavior.FullCone);
        var tapB = new Tap(t.B);
        t.Sim.RemoveHost(t.Sim.Hosts.First(h => h.Name == "B"));
        t.B.Attach(t.Sim.AddHost("B'", tapB, t.LanB, RelayTopology.HostBAddress));
        byte[]? check = null;
        tapB.Intercept = (ctx, local, remote, payload) =>
        {
            if (check is null && IsCheck(payload))
            {
                check = payload;
            }

            return false;
        };
        Connect(t);
        t.Sim.RunFor(TimeSpan.FromSeconds(3));
        Assert.NotNull(check);

        var ice = t.B.Host.GetIceSession(t.A.Host.LocalHit)!;
        int remotes = ice.CheckList.RemoteCandidates.Count;
        long badMac = t.B.Host.Counters.Dropped(DropReason.BadMac);
        long received = t.B.Host.Counters.IceChecksReceived;

        // Flip one octet of the HIP_MAC and send it from an address never seen (a would-be peer-reflexive candidate).
        var forged = (byte[])check!.Clone();
        int macOffset = FindParameter(forged.AsSpan(4), ParameterType.HipMac) + 4 + 4;
        forged[macOffset] ^= 0xFF;
        var stranger = t.Sim.AddHost("stranger", new Tap(t.Relay), t.Public, IPAddress.Parse("203.0.113.77"));
        stranger.Context.Send(new SimEndpoint(IPAddress.Parse("203.0.113.77"), 10500), new SimEndpoint(RelayTopology.NatBPublic, 10500), forged);
        t.Sim.RunFor(TimeSpan.FromSeconds(1));

        Assert.Equal(badMac + 1, t.B.Host.Counters.Dropped(DropReason.BadMac));
        Assert.Equal(received, t.B.Host.Counters.IceChecksReceived);
        Assert.Equal(remotes, ice.CheckList.RemoteCandidates.Count);
    }

    private static int FindParameter(ReadOnlySpan<byte> hip, ushort type)
    {
        Assert.Equal(Wire.WireError.None, HipPacket.TryParse(hip, out var p));
        Assert.True(p.TryFind(type, out var param));
        return param.Offset;
    }

    [Fact]
    public void AFloodOfChecksIsAnsweredAtABoundedRateAndTheRestCounted()
    {
        var t = Connected(NatBehavior.FullCone, NatBehavior.FullCone);
        var tapB = new Tap(t.B);
        t.Sim.RemoveHost(t.Sim.Hosts.First(h => h.Name == "B"));
        var hostB = t.Sim.AddHost("B'", tapB, t.LanB, RelayTopology.HostBAddress);
        t.B.Attach(hostB);
        (SimEndpoint From, SimEndpoint To, byte[] Payload)? check = null;
        tapB.Intercept = (ctx, local, remote, payload) =>
        {
            if (check is null && IsCheck(payload))
            {
                check = (remote, local, payload);
            }

            return false;
        };
        Connect(t);
        t.Sim.RunFor(TimeSpan.FromSeconds(3));
        Assert.NotNull(check);

        long sentBefore = t.Sim.Trace.Count(r => r.Kind == TraceKind.Sent && r.Where == "B'");
        long limited = t.B.Host.Counters.Dropped(DropReason.RateLimited);
        var a = t.Sim.Hosts.First(h => h.Name == "A");
        for (int i = 0; i < 500; i++)
        {
            a.Context.Send(new SimEndpoint(RelayTopology.HostAAddress, 10500), new SimEndpoint(RelayTopology.NatBPublic, 10500), check!.Value.Payload);
        }

        t.Sim.RunFor(TimeSpan.FromMilliseconds(500));
        long answered = t.Sim.Trace.Count(r => r.Kind == TraceKind.Sent && r.Where == "B'") - sentBefore;
        Assert.InRange(answered, 1, 80);
        Assert.True(t.B.Host.Counters.Dropped(DropReason.RateLimited) - limited >= 400);
    }

    [Fact]
    public void AnOfferWithTooManyLocatorsIsBoundedAndCounted()
    {
        // A offers 40 host candidates; B keeps at most MaxRemoteCandidates and counts the rest.
        var locators = Enumerable.Range(0, 40).Select(i => TransportAddress.Udp(IPAddress.Parse($"198.18.1.{100 + i}"), 10500)).ToArray();
        var p = new SimPair(5, null, id => new HipHostOptions
        {
            Identity = id,
            RandomSeed = 5,
            LocalLocators = id == SimPair.IdentityA ? [TransportAddress.Udp(IPAddress.Parse("203.0.113.10"), 10500), .. locators] : [TransportAddress.Udp(IPAddress.Parse("203.0.113.20"), 10500)],
            Ice = new IceOptions { MaxRemoteCandidates = 16 },
        });
        p.Connect(p.A, p.B);
        Assert.True(p.RunUntilEstablished(TimeSpan.FromSeconds(5)));
        p.Sim.RunFor(TimeSpan.FromSeconds(2));
        var ice = p.B.Host.GetIceSession(p.A.Host.LocalHit)!;
        Assert.Equal(16, ice.CheckList.RemoteCandidates.Count);
        Assert.True(p.B.Host.Counters.IceCandidatesDropped >= 25);
        Assert.True(ice.CheckList.Pairs.Count <= 16);
        Assert.Contains(p.A.Events, e => e is IceCompleted);
    }

    [Fact]
    public void CandidatesPointingAtAThirdPartyGetOnlyPacedBoundedChecks()
    {
        // RFC 9028 §7.6-7.7: a peer listing a victim's addresses as its candidates must not turn us into an
        // amplifier. Checks to each are paced by Ta and given up after MaxCheckAttempts.
        var victim = IPAddress.Parse("203.0.113.99");
        var p = new SimPair(7, null, id => new HipHostOptions
        {
            Identity = id,
            RandomSeed = 7,
            LocalLocators = [TransportAddress.Udp(id == SimPair.IdentityA ? IPAddress.Parse("203.0.113.10") : IPAddress.Parse("203.0.113.20"), 10500)],
        });
        var counter = new Tap(p.A);
        var victimHost = p.Sim.AddHost("victim", counter, p.Net, victim);
        for (int port = 1; port <= 30; port++)
        {
            p.A.Host.AddLocalCandidate(TransportAddress.Udp(victim, (ushort)(1000 + port)), TransportAddress.Udp(IPAddress.Parse("203.0.113.10"), 10500), CandidateKind.ServerReflexive);
        }

        p.Connect(p.A, p.B);
        Assert.True(p.RunUntilEstablished(TimeSpan.FromSeconds(5)));
        p.Sim.RunFor(TimeSpan.FromSeconds(120));
        var atVictim = counter.Seen.Select(s => s.From.Address).ToList();
        Assert.All(atVictim, a => Assert.Equal(IPAddress.Parse("203.0.113.20"), a));
        int max = 30 * new IceOptions().MaxCheckAttempts;
        Assert.InRange(atVictim.Count, 0, max);

        // Never more than one new check per Ta: at most 21 in the first second of checking.
        var times = p.Sim.Trace.Where(r => r.Kind == TraceKind.Delivered && r.Where == "victim").Select(r => r.Time).Order().ToList();
        if (times.Count > 0)
        {
            Assert.True(times.Count(x => x < times[0] + TimeSpan.FromSeconds(1)) <= 21);
        }
    }
}
