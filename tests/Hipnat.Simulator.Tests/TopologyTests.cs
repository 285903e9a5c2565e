using static Hipnat.Simulator.Tests.Net;

namespace Hipnat.Simulator.Tests;

public class TopologyTests
{
    [Fact]
    public void Realm_allocates_sequential_addresses_and_skips_used_ones()
    {
        var sim = new Simulation();
        var lan = sim.AddRealm("lan", "10.0.0.0/30");
        sim.AddHost("x", new EchoNode(), lan, Ip("10.0.0.2"));
        Assert.Equal(Ip("10.0.0.1"), lan.AllocateAddress()); // .0 is the network, .2 is taken, .3 is broadcast
        Assert.Throws<InvalidOperationException>(lan.AllocateAddress);
    }

    [Fact]
    public void Realm_allocation_carries_across_bytes_and_works_for_ipv6()
    {
        var sim = new Simulation();
        var v4 = sim.AddRealm("v4", "10.0.0.0/16");
        for (int i = 0; i < 255; i++)
        {
            v4.AllocateAddress();
        }

        Assert.Equal(Ip("10.0.1.0"), v4.AllocateAddress());
        var v6 = sim.AddRealm("v6", "2001:db8::/64");
        Assert.Equal(Ip("2001:db8::1"), v6.AllocateAddress());
        Assert.Equal(Ip("2001:db8::2"), v6.AllocateAddress());
    }

    [Fact]
    public void Duplicate_addresses_are_rejected()
    {
        var sim = new Simulation();
        var internet = sim.AddRealm("internet");
        var lan = sim.AddRealm("lan");
        sim.AddHost("a", new EchoNode(), internet, Ip("192.0.2.1"));
        Assert.Throws<InvalidOperationException>(() => sim.AddHost("b", new EchoNode(), internet, Ip("192.0.2.1")));
        Assert.Throws<InvalidOperationException>(() => sim.AddNat("nat", lan, internet, NatBehavior.FullCone, Ip("192.0.2.1")));
        sim.AddHost("c", new EchoNode(), lan, Ip("192.0.2.1")); // another realm is another address space
        Assert.Throws<ArgumentException>(() => sim.AddHost("d", new EchoNode(), internet, Ip("192.0.2.5"), Ip("192.0.2.5")));
    }

    [Fact]
    public void Ipv6_endpoints_route_and_print_with_brackets()
    {
        var sim = new Simulation();
        var net = sim.AddRealm("v6");
        var node = new RecordingNode();
        var a = sim.AddHost("a", new EchoNode(), net, Ip("2001:db8::1"));
        sim.AddHost("b", node, net, Ip("2001:db8::2"));
        a.Context.Send(a.Endpoint(10), Ep("[2001:db8::2]:20"), [1]);
        sim.RunFor(Ms(1));
        Assert.Equal("[2001:db8::1]:10", Assert.Single(node.Received).Remote.ToString());
    }
}
