using System.Net;
using Hipnat.Core.Association;
using Hipnat.Core.Host;
using Hipnat.Core.Registration;
using Hipnat.Core.Transport;
using Hipnat.Simulator;
using Hipnat.Simulator.Hip;
using Hipnat.Wire.Parameters;

namespace Hipnat.Core.Tests;

/// <summary>Mobility through NATs in the simulator (RFC 8046; RFC 9028 §4.9; draft-melen-hip-nat-mm §5.1).</summary>
public class MobilityTests
{
    private static readonly IPAddress NatCPublic = IPAddress.Parse("203.0.113.30");
    private static readonly IPAddress HostAMoved = IPAddress.Parse("198.18.3.10");

    /// <summary>Two hosts behind NATs, both registered with the relay, associated with ICE on a direct pair.</summary>
    private static RelayTopology Associated(NatBehavior natA, NatBehavior natB, IReadOnlyList<NatTraversalMode>? modes = null, long seed = 1)
    {
        var registrar = new RegistrarOptions { AllowAnyone = true, Services = [RegistrationType.RelayUdpHip] };
        var t = new RelayTopology(natA, natB, seed, registrar, hostModes: modes);
        Assert.True(t.Register(t.B, TimeSpan.FromMinutes(10), RegistrationType.RelayUdpHip));
        Assert.True(t.Register(t.A, TimeSpan.FromMinutes(10), RegistrationType.RelayUdpHip));
        t.A.Host.AddPeerLocator(t.B.Host.LocalHit, TransportAddress.Udp(RelayTopology.RelayAddress, 10500));
        t.A.Invoke((h, now) => h.Connect(t.B.Host.LocalHit, now));
        Assert.True(t.Sim.RunUntil(
            () => t.A.Host.GetState(t.B.Host.LocalHit) == AssociationState.Established && t.B.Host.GetState(t.A.Host.LocalHit) == AssociationState.Established,
            TimeSpan.FromSeconds(10)), t.Sim.TraceText());
        t.Sim.RunFor(TimeSpan.FromSeconds(5));
        return t;
    }

    /// <summary>A moves its only address behind a third NAT (break-before-make) and tells the core.</summary>
    private static void MoveA(RelayTopology t, NatBehavior natC)
    {
        var lanC = t.Sim.AddRealm("lanC", "198.18.3.0/24", LinkProfile.WithDelay(TimeSpan.FromMilliseconds(1)));
        t.Sim.AddNat("natC", lanC, t.Public, natC, NatCPublic);
        var simA = t.Sim.Hosts.First(h => h.Name == "A");
        t.Sim.MoveAddress(simA, RelayTopology.HostAAddress, lanC, HostAMoved);
        t.A.Invoke((h, now) => h.SetLocalLocators([TransportAddress.Udp(HostAMoved, 10500)], now));
    }

    private static AssociationInfo InfoA(RelayTopology t) => t.A.Host.GetAssociation(t.B.Host.LocalHit)!;

    private static AssociationInfo InfoB(RelayTopology t) => t.B.Host.GetAssociation(t.A.Host.LocalHit)!;

    [Fact]
    public void BreakBeforeMakeBehindAnotherConeNatKeepsTheAssociationAndItsSaOnANewDirectPair()
    {
        var t = Associated(NatBehavior.PortRestrictedCone, NatBehavior.PortRestrictedCone);
        Assert.Equal(RelayTopology.NatAPublic, InfoB(t).PeerAddress!.Value.Address);
        var spisA = InfoA(t).SaPairs.Select(s => (s.InboundSpi, s.OutboundSpi)).ToList();
        var moved = t.Sim.Now;
        MoveA(t, NatBehavior.PortRestrictedCone);

        Assert.True(t.Sim.RunUntil(
            () => InfoB(t).PeerAddress?.Address.Equals(NatCPublic) == true && InfoA(t).PeerAddress?.Address.Equals(RelayTopology.NatBPublic) == true
                  && InfoA(t).LocalAddress?.Address.Equals(HostAMoved) == true,
            TimeSpan.FromSeconds(5)), t.Sim.TraceText());
        var took = t.Sim.Now - moved;
        Assert.True(took < TimeSpan.FromSeconds(1), $"direct again after {took.TotalMilliseconds} ms");

        // Still the same association and SA pair: ESP_INFO Old = New is no rekey.
        Assert.Equal(AssociationState.Established, t.A.Host.GetState(t.B.Host.LocalHit));
        Assert.Equal(spisA, InfoA(t).SaPairs.Select(s => (s.InboundSpi, s.OutboundSpi)).ToList());
        Assert.Contains(t.A.Events, e => e is HandoverCompleted { Mobile: true });
        Assert.Contains(t.B.Events, e => e is HandoverCompleted { Mobile: false });
        Assert.DoesNotContain(t.A.Events, e => e is AssociationFailed);

        // The relay knows A's new address (re-registered from it).
        Assert.Equal(NatCPublic, t.Relay.Host.GetRegisteredClient(t.A.Host.LocalHit)!.ClientAddress.Address);
        var h = InfoA(t).LastHandover!;
        Assert.True(h.Mobile);
        Assert.NotNull(h.Completed);
        Assert.Contains(h.Steps, s => s.Step == "registrations updated");
        Assert.Contains(h.Steps, s => s.Step == "UPDATE acknowledged");

        // And it keeps working: a rekey completes over the new path.
        t.A.Invoke((host, now) => host.Rekey(t.B.Host.LocalHit, now));
        Assert.True(t.Sim.RunUntil(() => t.A.Events.OfType<UpdateCompleted>().Any(e => e.Rekeyed && e.At > moved), TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public void EspFromTheRenumberedPeersNewAddressMovesThePathAfterAVerification()
    {
        // A's NAT lets B's packets in from anywhere (full cone), so B's next ESP packet reaches A from B's new
        // public address; the data plane reports its outer source once its ICV checked out.
        var t = Associated(NatBehavior.FullCone, NatBehavior.PortRestrictedCone);
        var natBNew = IPAddress.Parse("203.0.113.21");
        var spis = InfoA(t).SaPairs.Select(s => (s.InboundSpi, s.OutboundSpi)).ToList();
        var at = t.Sim.Now;
        t.NatB.Renumber(natBNew);
        var esp = new byte[64];
        esp[3] = 1;
        var simB = t.Sim.Hosts.First(h => h.Name == "B");
        var aAt = InfoB(t).PeerAddress!.Value;
        simB.Context.Send(new SimEndpoint(RelayTopology.HostBAddress, 10500), new SimEndpoint(aAt.Address, aAt.Port), esp);
        Assert.True(t.Sim.RunUntil(() => t.NatB.Mappings.Count > 0, TimeSpan.FromSeconds(1)));
        var external = t.NatB.Mappings[0].External;
        t.A.Invoke((h, now) => h.NotePeerAddress(t.B.Host.LocalHit, InfoA(t).LocalAddress!.Value, TransportAddress.Udp(external.Address, (ushort)external.Port), now));

        Assert.True(t.Sim.RunUntil(() => InfoA(t).PeerAddress?.Address.Equals(natBNew) == true, TimeSpan.FromSeconds(3)), t.Sim.TraceText());
        Assert.True(t.Sim.Now - at < TimeSpan.FromMilliseconds(200), $"moved after {(t.Sim.Now - at).TotalMilliseconds} ms");
        Assert.Equal(1, t.A.Host.Counters.PeerAddressChanges);
        Assert.Equal(AssociationState.Established, t.A.Host.GetState(t.B.Host.LocalHit));
        Assert.Equal(spis, InfoA(t).SaPairs.Select(s => (s.InboundSpi, s.OutboundSpi)).ToList());
    }

    /// <summary>
    /// Emulates the data plane of both hosts: every 10 ms each sends ESP, and each hears the other while the path
    /// it uses really leads to the peer (as the data plane reports received ESP to the core).
    /// </summary>
    private static void PumpTraffic(RelayTopology t, Func<bool> pathWorks, TimeSpan duration)
    {
        var end = t.Sim.Now + duration;
        void Tick()
        {
            bool works = pathWorks();
            t.A.Invoke((h, now) =>
            {
                h.NoteTraffic(t.B.Host.LocalHit, now, sent: true);
                if (works)
                {
                    h.NoteTraffic(t.B.Host.LocalHit, now, sent: false);
                }
            });
            t.B.Invoke((h, now) =>
            {
                h.NoteTraffic(t.A.Host.LocalHit, now, sent: true);
                if (works)
                {
                    h.NoteTraffic(t.A.Host.LocalHit, now, sent: false);
                }
            });
            if (t.Sim.Now < end)
            {
                t.Sim.ScheduleAfter(TimeSpan.FromMilliseconds(10), Tick);
            }
        }

        t.Sim.ScheduleAfter(TimeSpan.Zero, Tick);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void WhenThePeersNatIsRenumberedBehindFilteringNatsSilenceLeadsBothBackToADirectPath(long seed)
    {
        // Both NATs filter (port-restricted): B's packets from its new public address are dropped at A's NAT and
        // A's go to an address that no longer exists. Neither host sees a local change; both notice the silence.
        var t = Associated(NatBehavior.PortRestrictedCone, NatBehavior.PortRestrictedCone, seed: seed);
        var natBNew = IPAddress.Parse("203.0.113.21");
        bool renumbered = false;
        PumpTraffic(t, () => !renumbered || (InfoA(t).PeerAddress?.Address.Equals(natBNew) == true && InfoB(t).PeerAddress?.Address.Equals(RelayTopology.NatAPublic) == true), TimeSpan.FromSeconds(10));
        t.Sim.RunFor(TimeSpan.FromSeconds(1));
        var at = t.Sim.Now;
        t.NatB.Renumber(natBNew);
        renumbered = true;

        Assert.True(t.Sim.RunUntil(() => InfoA(t).PeerAddress?.Address.Equals(natBNew) == true, TimeSpan.FromSeconds(5)), t.Sim.TraceText());
        var took = t.Sim.Now - at;
        Assert.True(took < TimeSpan.FromSeconds(1), $"direct again after {took.TotalMilliseconds} ms; A: {InfoA(t).LastHandover}; B: {InfoB(t).LastHandover}");
        Assert.True(t.B.Host.Counters.PathsSuspected >= 1);
        Assert.Equal(AssociationState.Established, t.A.Host.GetState(t.B.Host.LocalHit));
        Assert.Equal(AssociationState.Established, t.B.Host.GetState(t.A.Host.LocalHit));
        Assert.Equal(natBNew, t.Relay.Host.GetRegisteredClient(t.B.Host.LocalHit)!.ClientAddress.Address);
    }

    [Fact]
    public void AnUnverifiedNewAddressIsNotUsed()
    {
        // A forged ESP source (nothing answers the signed echo there) never becomes the path.
        var t = Associated(NatBehavior.PortRestrictedCone, NatBehavior.PortRestrictedCone);
        var before = InfoA(t).PeerAddress;
        t.A.Invoke((h, now) => h.NotePeerAddress(t.B.Host.LocalHit, InfoA(t).LocalAddress!.Value, TransportAddress.Udp(IPAddress.Parse("203.0.113.99"), 4444), now));
        t.Sim.RunFor(TimeSpan.FromSeconds(30));
        Assert.Equal(before, InfoA(t).PeerAddress);
        Assert.Equal(0, t.A.Host.Counters.PeerAddressChanges);
        Assert.Equal(AssociationState.Established, t.A.Host.GetState(t.B.Host.LocalHit));
    }

    [Fact]
    public void DoubleJumpBothHostsMoveAtOnceAndMeetThroughTheRelay()
    {
        var t = Associated(NatBehavior.PortRestrictedCone, NatBehavior.PortRestrictedCone);
        var lanD = t.Sim.AddRealm("lanD", "198.18.4.0/24", LinkProfile.WithDelay(TimeSpan.FromMilliseconds(1)));
        var natDPublic = IPAddress.Parse("203.0.113.40");
        t.Sim.AddNat("natD", lanD, t.Public, NatBehavior.PortRestrictedCone, natDPublic);
        var at = t.Sim.Now;
        MoveA(t, NatBehavior.PortRestrictedCone);
        t.Sim.RunFor(TimeSpan.FromMilliseconds(50));
        var bMoved = IPAddress.Parse("198.18.4.10");
        t.Sim.MoveAddress(t.Sim.Hosts.First(h => h.Name == "B"), RelayTopology.HostBAddress, lanD, bMoved);
        t.B.Invoke((h, now) => h.SetLocalLocators([TransportAddress.Udp(bMoved, 10500)], now));

        Assert.True(t.Sim.RunUntil(
            () => InfoA(t).PeerAddress?.Address.Equals(natDPublic) == true && InfoB(t).PeerAddress?.Address.Equals(NatCPublic) == true,
            TimeSpan.FromSeconds(10)), t.Sim.TraceText());
        Assert.True(t.Sim.Now - at < TimeSpan.FromSeconds(2), $"direct again after {(t.Sim.Now - at).TotalMilliseconds} ms");
        Assert.Equal(AssociationState.Established, t.A.Host.GetState(t.B.Host.LocalHit));
        Assert.Equal(AssociationState.Established, t.B.Host.GetState(t.A.Host.LocalHit));
    }

    [Fact]
    public void TheCorrespondentStartsItsChecksOnlyAfterTheMobileHostAnsweredTheSignedEcho()
    {
        // RFC 9028 §4.9: the peer host restarts the checks only after step 6 (the mobile host's ECHO_RESPONSE_SIGNED),
        // because the UPDATE carrying the locators could be a replay. Until then its new checklist sends nothing.
        var t = Associated(NatBehavior.PortRestrictedCone, NatBehavior.PortRestrictedCone);
        var at = t.Sim.Now;
        MoveA(t, NatBehavior.PortRestrictedCone);
        Assert.True(t.Sim.RunUntil(() => t.B.Host.GetIceSession(t.A.Host.LocalHit) is { IsRestart: true }, TimeSpan.FromSeconds(5)), t.Sim.TraceText());
        var held = t.B.Host.GetIceSession(t.A.Host.LocalHit)!;
        Assert.True(held.HeldForEcho);
        Assert.Equal(0, held.CheckList.ChecksSent);

        Assert.True(t.Sim.RunUntil(() => InfoB(t).PeerAddress?.Address.Equals(NatCPublic) == true && InfoA(t).PeerAddress?.Address.Equals(RelayTopology.NatBPublic) == true,
            TimeSpan.FromSeconds(5)), t.Sim.TraceText());
        Assert.False(held.HeldForEcho);
        var steps = InfoB(t).LastHandover!.Steps.Select(x => x.Step).ToList();
        int wait = steps.IndexOf("checklist ready, checks wait for the signed echo");
        int echo = steps.IndexOf("the peer answered the signed echo");
        int start = steps.IndexOf("checks restarted (the peer answered the signed echo)");
        Assert.True(wait >= 0 && echo > wait && start > echo, string.Join(", ", steps));
        Assert.True(t.Sim.Now - at < TimeSpan.FromSeconds(1), $"direct again after {(t.Sim.Now - at).TotalMilliseconds} ms");
    }

    [Fact]
    public void MakeBeforeBreakMovesToTheNewUplinkAndTheOldPairKeepsWorkingUntilThen()
    {
        var t = Associated(NatBehavior.PortRestrictedCone, NatBehavior.PortRestrictedCone);
        var lanC = t.Sim.AddRealm("lanC", "198.18.3.0/24", LinkProfile.WithDelay(TimeSpan.FromMilliseconds(1)));
        t.Sim.AddNat("natC", lanC, t.Public, NatBehavior.PortRestrictedCone, NatCPublic);
        var simA = t.Sim.Hosts.First(h => h.Name == "A");
        bool oldGone = false;
        bool everBroken = false;
        var aAddr = RelayTopology.HostAAddress;

        // The old path works until its address is removed; from then on only a path through natC does.
        PumpTraffic(t, () =>
        {
            var a = InfoA(t);
            var b = InfoB(t);
            bool works = !oldGone ? a.PeerAddress?.Address.Equals(RelayTopology.NatBPublic) == true
                : a.LocalAddress?.Address.Equals(HostAMoved) == true && b.PeerAddress?.Address.Equals(NatCPublic) == true;
            everBroken |= !works && oldGone;
            return works;
        }, TimeSpan.FromSeconds(8));
        t.Sim.RunFor(TimeSpan.FromSeconds(1));
        t.Sim.AddAddress(simA, lanC, HostAMoved);
        t.A.Invoke((h, now) => h.SetLocalLocators([TransportAddress.Udp(aAddr, 10500), TransportAddress.Udp(HostAMoved, 10500)], now));
        t.Sim.RunFor(TimeSpan.FromSeconds(1));

        // Both uplinks work: the association kept (or re-selected) a working direct pair.
        Assert.Equal(AssociationState.Established, t.A.Host.GetState(t.B.Host.LocalHit));
        Assert.False(InfoA(t).Pairs.Single(p => p.Local == InfoA(t).LocalAddress && p.Peer == InfoA(t).PeerAddress).RelayedTo is not null);

        // The old address goes; the move must already be possible at once (ICE knows the new host candidate).
        var removedAt = t.Sim.Now;
        t.Sim.RemoveAddress(simA, aAddr);
        oldGone = true;
        t.A.Invoke((h, now) => h.SetLocalLocators([TransportAddress.Udp(HostAMoved, 10500)], now));
        Assert.True(t.Sim.RunUntil(() => InfoB(t).PeerAddress?.Address.Equals(NatCPublic) == true && InfoA(t).LocalAddress?.Address.Equals(HostAMoved) == true,
            TimeSpan.FromSeconds(5)), t.Sim.TraceText());
        Assert.True(t.Sim.Now - removedAt < TimeSpan.FromMilliseconds(500), $"moved {(t.Sim.Now - removedAt).TotalMilliseconds} ms after the old address went");
        Assert.Equal(AssociationState.Established, t.B.Host.GetState(t.A.Host.LocalHit));
    }

    [Fact]
    public void WithoutIceInUdpEncapsulationModeTheMoveIsVerifiedByReturnRoutability()
    {
        // Draft §5.1.3: UDP-ENCAPSULATION mode; the mobile host's UPDATE reaches the peer through the relay and each
        // new locator is verified with a signed echo before use (RFC 8046 §5.4).
        var t = Associated(NatBehavior.FullCone, NatBehavior.PortRestrictedCone, modes: [NatTraversalMode.UdpEncapsulation]);
        Assert.Null(t.A.Host.GetIceSession(t.B.Host.LocalHit));
        Assert.True(t.Sim.RunUntil(() => InfoA(t).PeerAddress?.Address.Equals(RelayTopology.NatBPublic) == true, TimeSpan.FromSeconds(10)),
            "the relayed exchange moved to a direct path");
        var spis = InfoA(t).SaPairs.Select(s => (s.InboundSpi, s.OutboundSpi)).ToList();
        var at = t.Sim.Now;
        MoveA(t, NatBehavior.FullCone);

        Assert.True(t.Sim.RunUntil(() => InfoB(t).PeerAddress?.Address.Equals(NatCPublic) == true && InfoA(t).PeerAddress?.Address.Equals(RelayTopology.NatBPublic) == true,
            TimeSpan.FromSeconds(5)), t.Sim.TraceText());
        Assert.True(t.Sim.Now - at < TimeSpan.FromSeconds(1), $"direct again after {(t.Sim.Now - at).TotalMilliseconds} ms");
        Assert.Equal(spis, InfoA(t).SaPairs.Select(s => (s.InboundSpi, s.OutboundSpi)).ToList());
        Assert.True(t.B.Host.Counters.ProbesSent > 0 || t.A.Host.Counters.ProbesSent > 0);
        Assert.Null(t.B.Host.GetIceSession(t.A.Host.LocalHit));
    }

    [Fact]
    public void ThePeersNewAddressCarriesDataWithinCreditUntilItsEchoIsAnswered()
    {
        // RFC 8046 §5.6: the mobile host's packets arrive straight from its new address, and its LOCATOR_SET
        // withdraws the address of the active path: with no ACTIVE address left, the correspondent sends to the new
        // one at once, within the credit the peer's traffic earned, and without limit once the signed echo is
        // answered (held up here for 300 ms: the correspondent's first answers are lost).
        var t = Associated(NatBehavior.FullCone, NatBehavior.FullCone, modes: [NatTraversalMode.UdpEncapsulation]);
        Assert.True(t.Sim.RunUntil(() => InfoA(t).PeerAddress?.Address.Equals(RelayTopology.NatBPublic) == true, TimeSpan.FromSeconds(10)));
        var at = t.Sim.Now;
        t.B.SendFilter = (ctx, from, to, payload) => to.Address.Equals(NatCPublic) && ctx.Now < at + TimeSpan.FromMilliseconds(300); // dropped
        MoveA(t, NatBehavior.FullCone);
        Assert.True(t.Sim.RunUntil(() => t.B.Events.OfType<ActivePathChanged>().Any(e => e.At > at && e.Verified && e.To.Address.Equals(NatCPublic)),
            TimeSpan.FromSeconds(5)), t.Sim.TraceText());

        var changes = t.B.Events.OfType<ActivePathChanged>().Where(e => e.At > at).ToList();
        var unverified = Assert.Single(changes, e => !e.Verified);
        Assert.True(unverified.To.Address.Equals(NatCPublic), unverified.ToString());
        Assert.True(unverified.At < at + TimeSpan.FromMilliseconds(300), unverified.ToString());
        var verified = changes.First(e => e.Verified && e.To == unverified.To);
        Assert.True(verified.At >= at + TimeSpan.FromMilliseconds(300), verified.ToString());
        Assert.True(t.B.Host.Counters.CreditLimitedPaths >= 1);
        Assert.False(InfoB(t).Pairs.Single(p => p.State == LocatorPairState.Active).CreditLimited);
        Assert.Equal(AssociationState.Established, t.A.Host.GetState(t.B.Host.LocalHit));
    }

    [Fact]
    public void AnAddressUsedWithinCreditThatNeverAnswersGivesWayToTheRelay()
    {
        // The peer's new address does not answer its signed echo (its packets get out, nothing gets back in):
        // the credit-limited path is dropped for the relay when the probes run out (RFC 8046 §5.4).
        var t = Associated(NatBehavior.FullCone, NatBehavior.FullCone, modes: [NatTraversalMode.UdpEncapsulation]);
        Assert.True(t.Sim.RunUntil(() => InfoA(t).PeerAddress?.Address.Equals(RelayTopology.NatBPublic) == true, TimeSpan.FromSeconds(10)));
        var at = t.Sim.Now;
        t.B.SendFilter = (ctx, from, to, payload) => to.Address.Equals(NatCPublic); // dropped
        MoveA(t, NatBehavior.FullCone);
        Assert.True(t.Sim.RunUntil(() => t.B.Events.OfType<ActivePathChanged>().Any(e => e.At > at && !e.Verified), TimeSpan.FromSeconds(5)), t.Sim.TraceText());
        Assert.True(t.Sim.RunUntil(() => InfoB(t).Pairs.Single(p => p.State == LocatorPairState.Active).RelayedTo is not null, TimeSpan.FromSeconds(60)),
            string.Join("\n", InfoB(t).Pairs));
        Assert.Equal(AssociationState.Established, t.B.Host.GetState(t.A.Host.LocalHit));
    }

    [Fact]
    public void WithoutIceAMultihomedHostVerifiesEveryPairAndFailsOverToAStandby()
    {
        // Draft §4 fault tolerance in UDP-ENCAPSULATION mode: A gains a second address; every (local, peer) pair is
        // verified with a signed echo, the ones not in use are standbys, and when A's first NAT drops everything the
        // standby from the second address takes over (HipHost.Failover).
        var t = Associated(NatBehavior.FullCone, NatBehavior.FullCone, modes: [NatTraversalMode.UdpEncapsulation]);
        Assert.True(t.Sim.RunUntil(() => InfoA(t).PeerAddress?.Address.Equals(RelayTopology.NatBPublic) == true, TimeSpan.FromSeconds(10)));
        var lanC = t.Sim.AddRealm("lanC", "198.18.3.0/24", LinkProfile.WithDelay(TimeSpan.FromMilliseconds(1)));
        t.Sim.AddNat("natC", lanC, t.Public, NatBehavior.FullCone, NatCPublic);
        t.Sim.AddAddress(t.Sim.Hosts.First(h => h.Name == "A"), lanC, HostAMoved);
        t.A.Invoke((h, now) => h.SetLocalLocators([TransportAddress.Udp(RelayTopology.HostAAddress, 10500), TransportAddress.Udp(HostAMoved, 10500)], now));
        Assert.True(t.Sim.RunUntil(() => InfoA(t).Pairs.Any(p => p.State == LocatorPairState.Standby && p.Local.Address.Equals(HostAMoved) && p.RelayedTo is null),
            TimeSpan.FromSeconds(5)), string.Join("\n", InfoA(t).Pairs));
        var activeLocal = InfoA(t).LocalAddress!.Value.Address;
        Assert.Single(InfoA(t).Pairs, p => p.State == LocatorPairState.Active);

        t.Sim.Nats.First(n => n.Name == (activeLocal.Equals(HostAMoved) ? "natC" : "natA")).Profile = new LinkProfile { Loss = 1.0 };
        PumpTraffic(t, () => !InfoA(t).LocalAddress!.Value.Address.Equals(activeLocal), TimeSpan.FromSeconds(5));
        Assert.True(t.Sim.RunUntil(() => !InfoA(t).LocalAddress!.Value.Address.Equals(activeLocal), TimeSpan.FromSeconds(5)), string.Join("\n", InfoA(t).Pairs));
        Assert.True(t.A.Host.Counters.Failovers >= 1);
        Assert.Equal(AssociationState.Established, t.A.Host.GetState(t.B.Host.LocalHit));
    }

    [Fact]
    public void AQuietPathIsNotSuspectedAndItsLivenessCheckEnds()
    {
        // One packet heard, then silence with nothing sent: an idle association, left to keepalives. (The check
        // once re-armed itself for the same instant and the timer loop never returned.)
        var t = Associated(NatBehavior.PortRestrictedCone, NatBehavior.PortRestrictedCone);
        t.A.Invoke((h, now) => h.NoteTraffic(t.B.Host.LocalHit, now, sent: false));
        t.Sim.RunFor(TimeSpan.FromSeconds(5));
        Assert.Equal(0, t.A.Host.Counters.PathsSuspected);
        Assert.Equal(AssociationState.Established, t.A.Host.GetState(t.B.Host.LocalHit));
    }

    [Fact]
    public void WhenTheRepliersNatIsRenumberedTheReplierNoticesTheSilenceToo()
    {
        // As ping over hip0 does it: A sends every 10 ms, B answers only what it receives. After B's NAT is
        // renumbered B sends nothing at all; only the silence tells it.
        var t = Associated(NatBehavior.PortRestrictedCone, NatBehavior.PortRestrictedCone);
        var natBNew = IPAddress.Parse("203.0.113.21");
        bool renumbered = false;
        bool Works() => !renumbered || (InfoA(t).PeerAddress?.Address.Equals(natBNew) == true && InfoB(t).PeerAddress?.Address.Equals(RelayTopology.NatAPublic) == true);
        var end = t.Sim.Now + TimeSpan.FromSeconds(8);
        void Tick()
        {
            bool works = Works();
            t.A.Invoke((h, now) => h.NoteTraffic(t.B.Host.LocalHit, now, sent: true));
            if (works)
            {
                t.B.Invoke((h, now) =>
                {
                    h.NoteTraffic(t.A.Host.LocalHit, now, sent: false);
                    h.NoteTraffic(t.A.Host.LocalHit, now, sent: true);
                });
                t.A.Invoke((h, now) => h.NoteTraffic(t.B.Host.LocalHit, now, sent: false));
            }

            if (t.Sim.Now < end)
            {
                t.Sim.ScheduleAfter(TimeSpan.FromMilliseconds(50), Tick);
            }
        }

        t.Sim.ScheduleAfter(TimeSpan.Zero, Tick);
        t.Sim.RunFor(TimeSpan.FromSeconds(2));
        var at = t.Sim.Now;
        t.NatB.Renumber(natBNew);
        renumbered = true;
        Assert.True(t.Sim.RunUntil(Works, TimeSpan.FromSeconds(5)), $"A: {InfoA(t).LastHandover}; B: {InfoB(t).LastHandover}\n{t.Sim.TraceText()}");
        Assert.True(t.Sim.Now - at < TimeSpan.FromSeconds(1), $"after {(t.Sim.Now - at).TotalMilliseconds} ms");
        Assert.True(t.B.Host.Counters.PathsSuspected >= 1);
    }

    [Fact]
    public void WhenDirectChecksFailedAtFirstTheyAreRetriedLaterAndTrafficLeavesTheDataRelay()
    {
        // Something between A and B drops their direct packets for the first 20 s (a NAT that remembered an early
        // unanswered check, a filter): ICE selects the data relay. Once it passes, the retried checks find the
        // direct pair and the controlling side moves the traffic there.
        var registrar = new RegistrarOptions { AllowAnyone = true, Services = [RegistrationType.RelayUdpHip, RegistrationType.RelayUdpEsp] };
        var t = new RelayTopology(NatBehavior.PortRestrictedCone, NatBehavior.PortRestrictedCone, 1, registrar);
        Assert.True(t.Register(t.B, TimeSpan.FromMinutes(10), RegistrationType.RelayUdpHip, RegistrationType.RelayUdpEsp));
        Assert.True(t.Register(t.A, TimeSpan.FromMinutes(10), RegistrationType.RelayUdpHip, RegistrationType.RelayUdpEsp));
        var blockedUntil = t.Sim.Now + TimeSpan.FromSeconds(20);
        bool Direct(SimEndpoint to) => to.Address.Equals(RelayTopology.NatAPublic) || to.Address.Equals(RelayTopology.NatBPublic);
        t.A.SendFilter = (ctx, from, to, payload) => ctx.Now < blockedUntil && Direct(to);
        t.B.SendFilter = (ctx, from, to, payload) => ctx.Now < blockedUntil && Direct(to);
        t.A.Host.AddPeerLocator(t.B.Host.LocalHit, TransportAddress.Udp(RelayTopology.RelayAddress, 10500));
        t.A.Invoke((h, now) => h.Connect(t.B.Host.LocalHit, now));
        Assert.True(t.Sim.RunUntil(() => t.A.Host.GetIceSession(t.B.Host.LocalHit)?.Selected is { IsRelayed: true }, TimeSpan.FromSeconds(15)), t.Sim.TraceText());

        Assert.True(t.Sim.RunUntil(() => t.A.Host.GetIceSession(t.B.Host.LocalHit)?.Selected is { IsRelayed: false }
            && t.B.Host.GetIceSession(t.A.Host.LocalHit)?.Selected is { IsRelayed: false }, TimeSpan.FromSeconds(120)), t.Sim.TraceText());
        var ice = t.A.Host.GetIceSession(t.B.Host.LocalHit)!;
        Assert.True(ice.DirectRetries >= 1);
        Assert.True(t.Sim.Now < blockedUntil + TimeSpan.FromSeconds(60), $"direct only at {t.Sim.Now}");
        Assert.Equal(RelayTopology.NatBPublic, InfoA(t).PeerAddress!.Value.Address);
    }
}
