using static Hipnat.Simulator.Tests.Net;

namespace Hipnat.Simulator.Tests;

public class NatMappingTests
{
    [Theory]
    [InlineData(MappingBehavior.EndpointIndependent, true, true)]
    [InlineData(MappingBehavior.AddressDependent, true, false)]
    [InlineData(MappingBehavior.AddressAndPortDependent, false, false)]
    public void External_port_reuse_depends_on_mapping_behavior(MappingBehavior mapping, bool samePortForOtherPortSameAddress, bool sameForOtherAddress)
    {
        var lab = new NatLab(new NatBehavior { Mapping = mapping });
        lab.SendFromA(lab.S1.Endpoint(7000));
        lab.SendFromA(lab.S1.Endpoint(7001));
        lab.SendFromA(lab.S2.Endpoint(7000));

        var toS1 = lab.S1Node.Received.Select(r => r.Remote).ToList();
        var toS2 = Assert.Single(lab.S2Node.Received).Remote;
        Assert.Equal(2, toS1.Count);
        Assert.All(toS1.Append(toS2), e => Assert.Equal(Ip("198.51.100.1"), e.Address));

        // Port preservation: the first mapping keeps the internal port.
        Assert.Equal(5000, toS1[0].Port);
        Assert.Equal(samePortForOtherPortSameAddress, toS1[0] == toS1[1]);
        Assert.Equal(sameForOtherAddress, toS1[0] == toS2);

        int expectedMappings = 1 + (samePortForOtherPortSameAddress ? 0 : 1) + (sameForOtherAddress ? 0 : 1);
        Assert.Equal(expectedMappings, lab.Nat.ActiveMappingCount);
        Assert.Equal(expectedMappings, lab.Nat.Statistics.MappingsCreated);
        Assert.Equal(3, lab.Nat.Statistics.OutboundTranslated);
    }

    [Fact]
    public void Replies_reach_the_inside_host_with_the_original_endpoints()
    {
        var lab = new NatLab(NatBehavior.FullCone);
        lab.SendFromA(lab.S1.Endpoint(7000), tag: 1);
        var external = Assert.Single(lab.S1Node.Received).Remote;
        lab.SendFrom(lab.S1, 7000, external, tag: 2);

        var got = Assert.Single(lab.ANode.Received);
        Assert.Equal(lab.AEp, got.Local);
        Assert.Equal(lab.S1.Endpoint(7000), got.Remote);
        Assert.Equal([2], got.Payload);
        Assert.Equal(1, lab.Nat.Statistics.InboundTranslated);
    }

    [Fact]
    public void Port_preservation_yields_to_an_existing_mapping()
    {
        var lab = new NatLab(NatBehavior.FullCone);
        lab.A.Context.Send(lab.A.Endpoint(5000), lab.S1.Endpoint(7000), [1]);
        lab.B.Context.Send(lab.B.Endpoint(5000), lab.S1.Endpoint(7000), [2]);
        lab.Sim.RunFor(Ms(10));

        var ports = lab.S1Node.Received.Select(r => r.Remote.Port).ToList();
        Assert.Equal(5000, ports[0]);
        Assert.Equal(1024, ports[1]); // sequential fallback starts at the bottom of the range
    }

    [Fact]
    public void Sequential_allocation_without_port_preservation_counts_up_from_the_range_start()
    {
        var lab = new NatLab(NatBehavior.Symmetric with { PortPreservation = false, PortRangeStart = 40000 });
        for (int port = 7000; port < 7003; port++)
        {
            lab.SendFromA(lab.S1.Endpoint(port));
        }

        Assert.Equal([40000, 40001, 40002], lab.S1Node.Received.Select(r => r.Remote.Port));
    }

    [Fact]
    public void Random_allocation_is_seeded_and_within_range()
    {
        static List<int> Ports(long seed)
        {
            var lab = new NatLab(NatBehavior.Symmetric with { PortPreservation = false, PortAllocation = PortAllocation.Random, PortRangeStart = 20000, PortRangeEnd = 29999 }, seed);
            for (int port = 7000; port < 7010; port++)
            {
                lab.SendFromA(lab.S1.Endpoint(port));
            }

            return lab.S1Node.Received.Select(r => r.Remote.Port).ToList();
        }

        var first = Ports(1);
        Assert.Equal(10, first.Distinct().Count());
        Assert.All(first, p => Assert.InRange(p, 20000, 29999));
        Assert.Equal(first, Ports(1));
        Assert.NotEqual(first, Ports(2));
        Assert.NotEqual(first.Order(), first); // not sequential
    }

    [Fact]
    public void Exhausted_port_range_drops_new_flows()
    {
        var lab = new NatLab(NatBehavior.Symmetric with { PortPreservation = false, PortRangeStart = 2000, PortRangeEnd = 2001 });
        for (int port = 7000; port < 7003; port++)
        {
            lab.SendFromA(lab.S1.Endpoint(port));
        }

        Assert.Equal(2, lab.S1Node.Received.Count);
        Assert.Equal(1, lab.Sim.Statistics.DroppedBy(DropReason.PortExhausted));
        Assert.Equal(1, lab.Nat.Statistics.DroppedPortExhausted);
    }

    [Fact]
    public void Several_public_addresses_are_paired_per_internal_address()
    {
        var sim = new Simulation(1);
        var internet = sim.AddRealm("internet");
        var lan = sim.AddRealm("lan", "10.0.0.0/24");
        var nat = sim.AddNat("nat", lan, internet, NatBehavior.Symmetric, Ip("198.51.100.1"), Ip("198.51.100.2"));
        var server = new RecordingNode();
        var s = sim.AddHost("s", server, internet, Ip("203.0.113.10"));
        var a = sim.AddHost("a", new RecordingNode(), lan, lan.AllocateAddress());
        var b = sim.AddHost("b", new RecordingNode(), lan, lan.AllocateAddress());
        foreach (var port in new[] { 1, 2, 3 })
        {
            a.Context.Send(a.Endpoint(5000), s.Endpoint(port), [1]);
            b.Context.Send(b.Endpoint(5000), s.Endpoint(port), [2]);
        }

        sim.RunFor(S(1));
        var fromA = server.Received.Where(r => r.Payload[0] == 1).Select(r => r.Remote.Address).Distinct().ToList();
        var fromB = server.Received.Where(r => r.Payload[0] == 2).Select(r => r.Remote.Address).Distinct().ToList();
        Assert.Equal(Ip("198.51.100.1"), Assert.Single(fromA));
        Assert.Equal(Ip("198.51.100.2"), Assert.Single(fromB));
        Assert.Equal(6, nat.ActiveMappingCount);
    }

    [Fact]
    public void Mapping_table_is_observable()
    {
        var lab = new NatLab(new NatBehavior { Mapping = MappingBehavior.AddressDependent });
        lab.SendFromA(lab.S1.Endpoint(7000));
        lab.SendFromA(lab.S2.Endpoint(7000));

        var mappings = lab.Nat.Mappings;
        Assert.Equal(2, mappings.Count);
        Assert.All(mappings, m => Assert.Equal(lab.AEp, m.Internal));
        Assert.Equal(lab.S1.Address, mappings[0].RemoteAddress);
        Assert.Null(mappings[0].RemotePort);
        Assert.Same(mappings[1], lab.Nat.FindMapping(lab.AEp, lab.S2.Endpoint(9999)));
        Assert.Same(mappings[0], lab.Nat.FindByExternal(mappings[0].External));
        Assert.Equal(S(120) + mappings[0].LastRefreshed, mappings[0].ExpiresAt);

        lab.Nat.ClearMappings();
        Assert.Equal(0, lab.Nat.ActiveMappingCount);
    }
}
