using static Hipnat.Simulator.Tests.Net;

namespace Hipnat.Simulator.Tests;

public class NatTimeoutTests
{
    [Fact]
    public void Mapping_expires_after_the_timeout_and_inbound_is_then_dropped()
    {
        var lab = new NatLab(NatBehavior.FullCone); // default 120 s timeout
        lab.SendFromA(lab.S1.Endpoint(7000));
        var external = Assert.Single(lab.S1Node.Received).Remote;

        lab.Sim.Run(S(119));
        lab.SendFrom(lab.S1, 7000, external, tag: 1);
        Assert.Single(lab.ANode.Received); // inbound does not refresh by default

        lab.Sim.Run(S(121));
        lab.SendFrom(lab.S1, 7000, external, tag: 2);
        Assert.Single(lab.ANode.Received);
        Assert.Equal(1, lab.Sim.Statistics.DroppedBy(DropReason.NoMapping));
        Assert.Equal(0, lab.Nat.ActiveMappingCount);
        Assert.Equal(1, lab.Nat.Statistics.MappingsExpired);
    }

    [Fact]
    public void Outbound_traffic_refreshes_the_mapping_and_keeps_its_port()
    {
        var lab = new NatLab(NatBehavior.FullCone with { PortPreservation = false });
        foreach (var t in new[] { 0, 60, 120, 180 })
        {
            lab.Sim.Run(S(t));
            lab.SendFromA(lab.S1.Endpoint(7000));
        }

        Assert.Single(lab.S1Node.Received.Select(r => r.Remote).Distinct());
        lab.Sim.Run(S(290));
        lab.SendFrom(lab.S1, 7000, lab.S1Node.Received[0].Remote);
        Assert.Single(lab.ANode.Received);
        Assert.Equal(1, lab.Nat.Statistics.MappingsCreated);
        Assert.Equal(0, lab.Nat.Statistics.MappingsExpired);
    }

    [Fact]
    public void After_expiry_a_new_mapping_is_created_on_a_new_port()
    {
        var lab = new NatLab(NatBehavior.FullCone with { PortPreservation = false, MappingTimeout = S(30) });
        lab.SendFromA(lab.S1.Endpoint(7000));
        lab.Sim.Run(S(31));
        lab.SendFromA(lab.S1.Endpoint(7000));

        var remotes = lab.S1Node.Received.Select(r => r.Remote).ToList();
        Assert.Equal(2, remotes.Count);
        Assert.NotEqual(remotes[0], remotes[1]);
        Assert.Equal(2, lab.Nat.Statistics.MappingsCreated);
        Assert.Equal(1, lab.Nat.Statistics.MappingsExpired);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Inbound_refresh_is_optional(bool inboundRefresh)
    {
        var lab = new NatLab(NatBehavior.FullCone with { InboundRefresh = inboundRefresh });
        lab.SendFromA(lab.S1.Endpoint(7000));
        var external = Assert.Single(lab.S1Node.Received).Remote;

        lab.Sim.Run(S(100));
        lab.SendFrom(lab.S1, 7000, external, tag: 1);
        lab.Sim.Run(S(200));
        lab.SendFrom(lab.S1, 7000, external, tag: 2);

        Assert.Equal(inboundRefresh ? 2 : 1, lab.ANode.Received.Count);
    }
}
