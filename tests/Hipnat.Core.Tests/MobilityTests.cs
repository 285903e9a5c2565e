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
}
