using static Hipnat.Simulator.Tests.Net;

namespace Hipnat.Simulator.Tests;

public class MobilityTests
{
    [Fact]
    public void Moving_an_address_redirects_traffic_and_drops_packets_in_flight_to_the_old_one()
    {
        var sim = new Simulation(1);
        var internet = sim.AddRealm("internet", defaultProfile: LinkProfile.WithDelay(Ms(10)));
        var mobileNode = new RecordingNode();
        var mobile = sim.AddHost("mobile", mobileNode, internet, Ip("192.0.2.1"));
        var peer = sim.AddHost("peer", new RecordingNode(), internet, Ip("192.0.2.2"));

        peer.Context.Send(peer.Endpoint(1), Ep("192.0.2.1:1"), [1]); // in flight during the move
        sim.RunFor(Ms(5));
        var moved = sim.MoveAddress(mobile, Ip("192.0.2.1"), Ip("192.0.2.50"));
        sim.RunFor(S(1));
        Assert.Empty(mobileNode.Received);
        Assert.Equal(1, sim.Statistics.DroppedBy(DropReason.AddressGone));

        peer.Context.Send(peer.Endpoint(1), Ep("192.0.2.1:1"), [2]);
        peer.Context.Send(peer.Endpoint(1), Ep("192.0.2.50:1"), [3]);
        mobile.Context.Send(Ep("192.0.2.1:1"), peer.Endpoint(1), [4]);
        sim.RunFor(S(1));

        Assert.Equal([3], Assert.Single(mobileNode.Received).Payload);
        Assert.Equal(1, sim.Statistics.DroppedBy(DropReason.NoRoute));
        Assert.Equal(1, sim.Statistics.DroppedBy(DropReason.SourceNotOwned));
        Assert.Same(moved, Assert.Single(mobile.Interfaces));
        Assert.Equal(Ms(10), moved.EffectiveProfile.Delay);
    }

    [Fact]
    public void A_host_can_move_from_behind_a_nat_to_the_public_realm()
    {
        var lab = new NatLab(NatBehavior.FullCone);
        lab.SendFromA(lab.S1.Endpoint(7000));
        Assert.Equal(Ip("198.51.100.1"), lab.S1Node.Received[^1].Remote.Address);

        lab.Sim.MoveAddress(lab.A, Ip("10.0.0.2"), lab.Internet, Ip("192.0.2.77"));
        lab.A.Context.Send(Ep("192.0.2.77:5000"), lab.S1.Endpoint(7000), [1]);
        lab.Sim.RunFor(Ms(10));
        Assert.Equal(Ep("192.0.2.77:5000"), lab.S1Node.Received[^1].Remote);
        Assert.False(lab.Lan.Contains(Ip("10.0.0.2")));
    }

    [Fact]
    public void Multihomed_host_sends_into_the_realm_of_the_source_address()
    {
        var lab = new NatLab(NatBehavior.FullCone);
        var wifi = lab.Sim.AddAddress(lab.A, lab.Internet, Ip("192.0.2.9"), LinkProfile.WithDelay(Ms(7)));
        lab.A.Context.Send(wifi.Endpoint(1), lab.S1.Endpoint(7000), [1]);
        lab.A.Context.Send(lab.AEp, lab.S1.Endpoint(7000), [2]);
        lab.Sim.RunFor(S(1));

        var byTag = lab.S1Node.Received.ToDictionary(r => r.Payload[0]);
        Assert.Equal(Ep("192.0.2.9:1"), byTag[1].Remote);
        Assert.Equal(Ms(7), byTag[1].Time);
        Assert.Equal(Ip("198.51.100.1"), byTag[2].Remote.Address);
        Assert.Equal(2, lab.A.Interfaces.Count);

        Assert.True(lab.Sim.RemoveAddress(lab.A, Ip("192.0.2.9")));
        Assert.False(lab.Sim.RemoveAddress(lab.A, Ip("192.0.2.9")));
        Assert.Single(lab.A.Interfaces);
    }

    [Fact]
    public void Removed_host_gets_no_more_callbacks()
    {
        var lab = new NatLab(NatBehavior.FullCone);
        lab.S1.Context.SetTimer(S(1));
        lab.SendFromA(lab.S1.Endpoint(7000));
        lab.A.Context.Send(lab.AEp, lab.S1.Endpoint(7000), [1]);
        lab.Sim.RemoveHost(lab.S1);
        lab.Sim.RunFor(S(5));

        Assert.Single(lab.S1Node.Received);
        Assert.Empty(lab.S1Node.TimerFirings);
        Assert.True(lab.S1.IsRemoved);
        Assert.Equal(1, lab.Sim.Statistics.DroppedBy(DropReason.AddressGone) + lab.Sim.Statistics.DroppedBy(DropReason.NoRoute));
    }
}
