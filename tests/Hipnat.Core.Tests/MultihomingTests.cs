using System.Net;
using Hipnat.Core.Association;
using Hipnat.Core.Host;
using Hipnat.Core.Registration;
using Hipnat.Core.Transport;
using Hipnat.Simulator;
using Hipnat.Simulator.Hip;
using Hipnat.Wire.Parameters;

namespace Hipnat.Core.Tests;

/// <summary>
/// Simultaneous multihoming in the simulator (RFC 8047 §4.2.4; draft-melen-hip-nat-mm §3.2.1, §4): a host with two
/// uplinks behind two NATs gets one SA pair per interface, each opened by an UPDATE with ESP_INFO Old SPI 0 on its
/// own path and bound to that locator pair on both sides.
/// </summary>
public class MultihomingTests
{
    private static readonly IPAddress NatCPublic = IPAddress.Parse("203.0.113.30");
    private static readonly IPAddress SecondAddress = IPAddress.Parse("198.18.3.10");

    /// <summary>Two hosts behind NATs registered with the relay; the multihomed one (A, or B when
    /// <paramref name="bMultihomed"/>) has a second uplink behind natC (port-restricted) before the association
    /// starts. The first two NATs filter endpoint-independently: the second interface has no server-reflexive
    /// candidate the peer could open its own NAT towards, so its checks must get through the peer's NAT unasked.</summary>
    private static RelayTopology Associated(MultihomingPolicy policy, bool bMultihomed = false, long seed = 1)
    {
        var registrar = new RegistrarOptions { AllowAnyone = true, Services = [RegistrationType.RelayUdpHip] };
        var t = new RelayTopology(NatBehavior.FullCone, NatBehavior.FullCone, seed, registrar, multihoming: policy);
        var lanC = t.Sim.AddRealm("lanC", "198.18.3.0/24", LinkProfile.WithDelay(TimeSpan.FromMilliseconds(1)));
        t.Sim.AddNat("natC", lanC, t.Public, NatBehavior.PortRestrictedCone, NatCPublic);
        var node = bMultihomed ? t.B : t.A;
        var first = bMultihomed ? RelayTopology.HostBAddress : RelayTopology.HostAAddress;
        t.Sim.AddAddress(t.Sim.Hosts.First(h => h.Name == (bMultihomed ? "B" : "A")), lanC, SecondAddress);
        node.Invoke((h, now) => h.SetLocalLocators([TransportAddress.Udp(first, 10500), TransportAddress.Udp(SecondAddress, 10500)], now));
        t.Sim.RunFor(TimeSpan.FromSeconds(2));
        Assert.True(t.Register(t.B, TimeSpan.FromMinutes(10), RegistrationType.RelayUdpHip));
        Assert.True(t.Register(t.A, TimeSpan.FromMinutes(10), RegistrationType.RelayUdpHip));
        t.A.Host.AddPeerLocator(t.B.Host.LocalHit, TransportAddress.Udp(RelayTopology.RelayAddress, 10500));
        t.A.Invoke((h, now) => h.Connect(t.B.Host.LocalHit, now));
        Assert.True(t.Sim.RunUntil(
            () => t.A.Host.GetState(t.B.Host.LocalHit) == AssociationState.Established && t.B.Host.GetState(t.A.Host.LocalHit) == AssociationState.Established,
            TimeSpan.FromSeconds(10)), t.Sim.TraceText());
        t.Sim.RunFor(TimeSpan.FromSeconds(10));
        return t;
    }

    private static AssociationInfo InfoA(RelayTopology t) => t.A.Host.GetAssociation(t.B.Host.LocalHit)!;

    private static AssociationInfo InfoB(RelayTopology t) => t.B.Host.GetAssociation(t.A.Host.LocalHit)!;

    [Theory]
    [InlineData(MultihomingPolicy.LoadBalance, false)]
    [InlineData(MultihomingPolicy.HotStandby, false)]
    [InlineData(MultihomingPolicy.LoadBalance, true)]
    public void ASecondInterfaceGetsItsOwnSaPairBoundToItsPathOnBothSides(MultihomingPolicy policy, bool bMultihomed)
    {
        var t = Associated(policy, bMultihomed);
        var (mh, other) = bMultihomed ? (t.B, t.A) : (t.A, t.B);
        var mhInfo = mh.Host.GetAssociation(other.Host.LocalHit)!;
        var otherInfo = other.Host.GetAssociation(mh.Host.LocalHit)!;
        Assert.True(mhInfo.SaPairs.Count == 2, $"{mhInfo.SaPairs.Count} SA pairs; pairs {string.Join("; ", mh.Host.GetIceSession(other.Host.LocalHit)?.CheckList.Pairs.Select(p => p.ToString()) ?? [])}\nactive {mhInfo.LocalAddress} -> {mhInfo.PeerAddress}");
        Assert.Equal(2, otherInfo.SaPairs.Count);

        // m + n (draft §4): each host conveys each interface's locators once; the first interface of each rode in
        // the base exchange (I2, R2), the further one costs one UPDATE with ESP_INFO Old SPI 0, answered by the
        // peer's own ESP_INFO Old SPI 0.
        const int m = 2, n = 1;
        Assert.Equal(1, mh.Host.Counters.MultihomingUpdatesSent);
        Assert.Equal(0, other.Host.Counters.MultihomingUpdatesSent);
        Assert.Equal(1, other.Host.Counters.MultihomingUpdatesAnswered);
        Assert.Equal(m + n, 2 + mh.Host.Counters.MultihomingUpdatesSent + other.Host.Counters.MultihomingUpdatesSent);

        // The primary pair follows the active pair; the new one is bound to the other interface's path.
        var primary = mhInfo.SaPairs[0];
        var bound = mhInfo.SaPairs[1];
        Assert.Null(primary.BoundLocal);
        Assert.NotNull(bound.BoundLocal);
        Assert.NotEqual(mhInfo.LocalAddress!.Value.Address, bound.BoundLocal!.Value.Address);
        Assert.Equal(LocatorPairState.Standby, bound.BoundState);

        // Old SPI 0 accepted by the peer: the SPIs match crosswise, and its pair is bound to where the UPDATE came
        // from (the NAT of the second interface) and arrived (its own address).
        var peerBound = otherInfo.SaPairs.Single(s => s.InboundSpi == bound.OutboundSpi);
        Assert.Equal(bound.InboundSpi, peerBound.OutboundSpi);
        var secondNat = bound.BoundLocal.Value.Address.Equals(SecondAddress) ? NatCPublic : (bMultihomed ? RelayTopology.NatBPublic : RelayTopology.NatAPublic);
        Assert.Equal(secondNat, peerBound.BoundPeer!.Value.Address);
        Assert.Equal(bMultihomed ? RelayTopology.HostAAddress : RelayTopology.HostBAddress, peerBound.BoundLocal!.Value.Address);
        Assert.Equal(bound.BoundPeer!.Value.Address, bMultihomed ? RelayTopology.NatAPublic : RelayTopology.NatBPublic);

        // Four distinct SPIs, and the UPDATE on the second path did not move the peer's active pair there.
        Assert.Equal(4, new[] { primary.InboundSpi, primary.OutboundSpi, bound.InboundSpi, bound.OutboundSpi }.Distinct().Count());
        Assert.NotEqual(secondNat, otherInfo.PeerAddress!.Value.Address);
        Assert.Equal(AssociationState.Established, mh.Host.GetState(other.Host.LocalHit));
    }

    [Fact]
    public void EachBasesReflexiveAddressComesFromTheRegistrarAndEndsWithItsAssociation()
    {
        // draft-melen-hip-nat-mm §3.2.1, §5.1 step 3: the registrar answers a STUN Binding request from each base;
        // the answers describe NAT mappings that the registrar's traffic keeps, so they end with that association.
        var t = Associated(MultihomingPolicy.HotStandby);
        var relay = t.Relay.Host.LocalHit;
        Assert.Contains(t.A.Host.GatherCandidates(),
            c => c.Type == CandidateKind.ServerReflexive && c.Base.Address.Equals(SecondAddress) && c.Address.Address.Equals(NatCPublic));

        // The queries were answered: neither they nor the STUN client that sent them are kept.
        Assert.Equal(0, t.A.Host.TableEntries.Single(e => e.Table == "reflexive queries").Entries);
        Assert.Equal(0, t.A.Host.TableEntries.Single(e => e.Table == "reflexive STUN clients").Entries);

        t.A.Invoke((h, now) => h.Close(relay, now));
        t.Sim.RunFor(TimeSpan.FromMinutes(2));
        Assert.Equal(AssociationState.Unassociated, t.A.Host.GetState(relay));
        Assert.DoesNotContain(t.A.Host.GatherCandidates(), c => c.Type == CandidateKind.ServerReflexive);
    }

    [Fact]
    public void UnderLoadBalanceASilentlyFailedLaneIsSeenWithinSecondsAndComesBack()
    {
        // A bound SA pair's path carries flows of its own: under load-balance it is asked every second (a signed
        // echo), so when its NAT drops everything the lane is failed on both sides within a few seconds (its weight
        // goes to 0 and its flows move, docs/multihoming.md) — not after the 15 s keepalive — and is a standby again
        // once the NAT forwards again.
        var t = Associated(MultihomingPolicy.LoadBalance);
        var bound = InfoA(t).SaPairs.Single(s => s.BoundLocal is not null);
        var peerBound = InfoB(t).SaPairs.Single(s => s.InboundSpi == bound.OutboundSpi);
        Assert.Equal(LocatorPairState.Standby, bound.BoundState);
        Assert.Equal(LocatorPairState.Standby, peerBound.BoundState);
        var nat = t.Sim.Nats.Single(n => n.Name == (bound.BoundLocal!.Value.Address.Equals(SecondAddress) ? "natC" : "natA"));
        var profile = nat.Profile;
        nat.Profile = profile with { Loss = 1.0 };

        LocatorPairState? StateA() => InfoA(t).SaPairs.Single(s => s.InboundSpi == bound.InboundSpi).BoundState;
        LocatorPairState? StateB() => InfoB(t).SaPairs.Single(s => s.InboundSpi == peerBound.InboundSpi).BoundState;
        Assert.True(t.Sim.RunUntil(() => StateA() == LocatorPairState.Failed && StateB() == LocatorPairState.Failed, TimeSpan.FromSeconds(5)),
            $"after 5 s: A {StateA()}, B {StateB()}");
        Assert.Equal(AssociationState.Established, t.A.Host.GetState(t.B.Host.LocalHit));

        nat.Profile = profile;
        Assert.True(t.Sim.RunUntil(() => StateA() == LocatorPairState.Standby, TimeSpan.FromSeconds(3)), $"after the NAT came back: A {StateA()}, B {StateB()}");
    }

    [Fact]
    public void FailoverKeepsOneSaPairAndSendsNoMultihomingUpdate()
    {
        var t = Associated(MultihomingPolicy.Failover);
        Assert.Single(InfoA(t).SaPairs);
        Assert.Single(InfoB(t).SaPairs);
        Assert.Equal(0, t.A.Host.Counters.MultihomingUpdatesSent);
        Assert.Equal(0, t.B.Host.Counters.MultihomingUpdatesAnswered);
    }
}
