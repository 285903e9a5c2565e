using static Hipnat.Simulator.Tests.Net;

namespace Hipnat.Simulator.Tests;

public class NatFilteringTests
{
    [Theory]
    [InlineData(FilteringBehavior.EndpointIndependent, true, true)]
    [InlineData(FilteringBehavior.AddressDependent, true, false)]
    [InlineData(FilteringBehavior.AddressAndPortDependent, false, false)]
    public void Inbound_from_other_endpoints_follows_the_filtering_behavior(FilteringBehavior filtering, bool otherPortSameAddress, bool otherAddress)
    {
        var lab = new NatLab(new NatBehavior { Filtering = filtering });
        lab.SendFromA(lab.S1.Endpoint(7000));
        var external = Assert.Single(lab.S1Node.Received).Remote;

        lab.SendFrom(lab.S1, 7000, external, tag: 1); // the contacted endpoint itself: always allowed
        lab.SendFrom(lab.S1, 7001, external, tag: 2); // same address, other port
        lab.SendFrom(lab.S2, 7000, external, tag: 3); // other address

        var tags = lab.ANode.Received.Select(r => r.Payload[0]).ToHashSet();
        Assert.Contains((byte)1, tags);
        Assert.Equal(otherPortSameAddress, tags.Contains(2));
        Assert.Equal(otherAddress, tags.Contains(3));
        long filtered = (otherPortSameAddress ? 0 : 1) + (otherAddress ? 0 : 1);
        Assert.Equal(filtered, lab.Sim.Statistics.DroppedBy(DropReason.Filtered));
        Assert.Equal(filtered, lab.Nat.Statistics.DroppedFiltered);
    }

    [Fact]
    public void Address_dependent_filtering_opens_once_the_inside_host_contacts_that_address()
    {
        var lab = new NatLab(NatBehavior.RestrictedCone);
        lab.SendFromA(lab.S1.Endpoint(7000));
        var external = Assert.Single(lab.S1Node.Received).Remote;
        lab.SendFrom(lab.S2, 7000, external, tag: 1);
        Assert.Empty(lab.ANode.Received);

        lab.SendFromA(lab.S2.Endpoint(9)); // any port on S2
        lab.SendFrom(lab.S2, 7000, external, tag: 2);
        Assert.Equal([2], Assert.Single(lab.ANode.Received).Payload);
    }

    [Fact]
    public void Unsolicited_inbound_without_a_mapping_is_dropped()
    {
        var lab = new NatLab(NatBehavior.FullCone);
        lab.SendFrom(lab.S1, 7000, Ep("198.51.100.1:5000"));
        Assert.Empty(lab.ANode.Received);
        Assert.Equal(1, lab.Sim.Statistics.DroppedBy(DropReason.NoMapping));
        Assert.Equal(1, lab.Nat.Statistics.DroppedNoMapping);
    }
}
