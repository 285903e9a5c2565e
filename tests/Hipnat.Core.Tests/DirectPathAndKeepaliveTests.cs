using Hipnat.Wire.Parameters;
using Hipnat.Core.Association;
using Hipnat.Core.Host;
using Hipnat.Core.Transport;
using Hipnat.Simulator;

namespace Hipnat.Core.Tests;

public class DirectPathAndKeepaliveTests
{
    private static RelayTopology ConnectedThroughRelay(NatBehavior natA, NatBehavior natB)
    {
        var t = new RelayTopology(natA, natB);
        Assert.True(t.Register(t.B, TimeSpan.FromMinutes(10)));
        t.A.Host.AddPeerLocator(t.B.Host.LocalHit, TransportAddress.Udp(RelayTopology.RelayAddress, 10500));
        t.A.Invoke((h, now) => h.Connect(t.B.Host.LocalHit, now));
        Assert.True(t.Sim.RunUntil(() => t.A.Host.GetState(t.B.Host.LocalHit) == AssociationState.Established, TimeSpan.FromSeconds(10)));
        return t;
    }

    public static TheoryData<string, string> Punchable => new()
    {
        { "FullCone", "FullCone" },
        { "PortRestrictedCone", "PortRestrictedCone" },
        { "RestrictedCone", "PortRestrictedCone" },
        { "Symmetric", "FullCone" },
    };

    private static NatBehavior Nat(string name) => name switch
    {
        "FullCone" => NatBehavior.FullCone,
        "RestrictedCone" => NatBehavior.RestrictedCone,
        "PortRestrictedCone" => NatBehavior.PortRestrictedCone,
        _ => NatBehavior.Symmetric,
    };

    [Theory]
    [MemberData(nameof(Punchable))]
    public void AfterARelayedExchangeBothSidesMoveToTheDirectPath(string natA, string natB)
    {
        var t = ConnectedThroughRelay(Nat(natA), Nat(natB));
        Assert.True(t.Sim.RunUntil(
            () => t.A.Events.Any(e => e is ActivePathChanged { Direct: true }) && t.B.Events.Any(e => e is ActivePathChanged { Direct: true }),
            TimeSpan.FromSeconds(10)), t.Sim.TraceText());

        var atA = t.A.Host.GetAssociation(t.B.Host.LocalHit)!;
        var atB = t.B.Host.GetAssociation(t.A.Host.LocalHit)!;
        Assert.Equal(RelayTopology.NatBPublic, atA.PeerAddress!.Value.Address);
        Assert.Equal(RelayTopology.NatAPublic, atB.PeerAddress!.Value.Address);

        // From now on the relay carries nothing of this association: a rekey goes direct.
        long relayed = t.Relay.Host.Counters.Relayed;
        t.A.Invoke((h, now) => h.Rekey(t.B.Host.LocalHit, now));
        Assert.True(t.Sim.RunUntil(() => t.A.Events.Any(e => e is UpdateCompleted), TimeSpan.FromSeconds(5)));
        Assert.Equal(relayed, t.Relay.Host.Counters.Relayed);
    }

    [Fact]
    public void BehindTwoSymmetricNatsTheAssociationStaysOnTheRelayAndWorks()
    {
        var t = ConnectedThroughRelay(NatBehavior.Symmetric, NatBehavior.Symmetric);
        t.Sim.RunFor(TimeSpan.FromSeconds(40));
        Assert.DoesNotContain(t.A.Events, e => e is ActivePathChanged);
        Assert.DoesNotContain(t.B.Events, e => e is ActivePathChanged);

        // ICE checked every pair, each failed, and CONNECTIVITY_CHECKS_FAILED went both ways (RFC 9028 §4.6.3).
        Assert.True(t.A.Host.Counters.IceChecksSent > 0);
        Assert.Contains(t.A.Events, e => e is IceChecksFailed);
        Assert.Contains(t.B.Events, e => e is NotifyReceived { MessageType: (ushort)NotifyMessageType.ConnectivityChecksFailed });

        long relayed = t.Relay.Host.Counters.Relayed;
        t.B.Invoke((h, now) => h.Rekey(t.A.Host.LocalHit, now));
        Assert.True(t.Sim.RunUntil(() => t.B.Events.Any(e => e is UpdateCompleted), TimeSpan.FromSeconds(5)));
        Assert.True(t.Relay.Host.Counters.Relayed > relayed);
    }

    [Fact]
    public void KeepalivesFlowWhileIdleAndAreSkippedWhileOtherTrafficFlows()
    {
        var p = new SimPair(1, null, id => new HipHostOptions { Identity = id, KeepaliveInterval = TimeSpan.FromSeconds(20) });
        p.Connect(p.A, p.B);
        Assert.True(p.RunUntilEstablished(TimeSpan.FromSeconds(5)));
        p.Sim.RunFor(TimeSpan.FromSeconds(101));
        long idle = p.A.Host.Counters.KeepalivesSent;
        Assert.InRange(idle, 4, 6); // one per 20 s

        // Other traffic every 5 s: no keepalives needed.
        for (int i = 0; i < 20; i++)
        {
            p.A.Invoke((h, now) => h.NoteTraffic(p.B.Host.LocalHit, now, sent: true));
            p.Sim.RunFor(TimeSpan.FromSeconds(5));
        }

        Assert.Equal(idle, p.A.Host.Counters.KeepalivesSent);
        Assert.Equal(0, p.B.Host.Counters.DroppedTotal);
    }
}
