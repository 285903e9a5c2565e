using static Hipnat.Simulator.Tests.Net;

namespace Hipnat.Simulator.Tests;

/// <summary>
/// <see cref="NatBehavior.KeepsUnsolicitedState"/>: a bare Linux MASQUERADE host remembers unsolicited inbound flows
/// (conntrack, 30 s unreplied UDP timeout), and an outbound flow whose translated tuple collides with one gets
/// another external port (RFC 4787 §4.1 port preservation then fails for that one destination).
/// </summary>
public class UnsolicitedStateTests
{
    private static readonly SimEndpoint Public5000 = Ep("198.51.100.1:5000");

    /// <summary>A talks to S1:7000 and gets an answer, so its mapping on port 5000 is alive and answered.</summary>
    private static NatLab WithAnsweredMapping(NatBehavior behavior)
    {
        var lab = new NatLab(behavior);
        lab.SendFromA(lab.S1.Endpoint(7000));
        Assert.Equal(Public5000, Assert.Single(lab.S1Node.Received).Remote);
        lab.SendFrom(lab.S1, 7000, Public5000);
        Assert.Single(lab.ANode.Received);
        return lab;
    }

    private static SimEndpoint LastSeenBy(RecordingNode node) => node.Received[^1].Remote;

    [Fact]
    public void A_flow_towards_an_endpoint_that_sent_unsolicited_gets_another_port_for_that_destination_only()
    {
        var lab = WithAnsweredMapping(NatBehavior.BareLinux);

        lab.SendFrom(lab.S2, 9000, Public5000, tag: 1); // filtered: A never sent to S2:9000
        Assert.DoesNotContain(lab.ANode.Received, r => r.Payload[0] == 1);
        Assert.True(lab.Nat.HasUnsolicitedEntry(lab.S2.Endpoint(9000), Public5000));
        Assert.Equal(1, lab.Nat.Statistics.UnsolicitedEntries);

        lab.SendFromA(lab.S2.Endpoint(9000));
        var moved = LastSeenBy(lab.S2Node);
        Assert.NotEqual(Public5000, moved);
        Assert.Equal(Public5000.Address, moved.Address);
        Assert.Equal(1, lab.Nat.Statistics.PortCollisions);
        var flow = lab.Nat.FindMapping(lab.AEp, lab.S2.Endpoint(9000));
        Assert.NotNull(flow);
        Assert.True(flow.IsSingleFlow);
        Assert.Equal(moved, flow.External);

        // The same flow keeps its new port; other destinations keep the original one.
        lab.SendFromA(lab.S2.Endpoint(9000));
        Assert.Equal(moved, LastSeenBy(lab.S2Node));
        lab.SendFromA(lab.S2.Endpoint(9001));
        Assert.Equal(Public5000, LastSeenBy(lab.S2Node));
        lab.SendFromA(lab.S1.Endpoint(7000));
        Assert.Equal(Public5000, LastSeenBy(lab.S1Node));

        // The moved flow answers S2:9000 only; S2:9000 writing to the original port still hits its own entry.
        int before = lab.ANode.Received.Count;
        lab.SendFrom(lab.S2, 9000, moved, tag: 2);
        lab.SendFrom(lab.S2, 9001, moved, tag: 3);
        lab.SendFrom(lab.S2, 9000, Public5000, tag: 4);
        Assert.Equal([(byte)2], lab.ANode.Received.Skip(before).Select(r => r.Payload[0]));
    }

    [Fact]
    public void An_unsolicited_packet_to_an_unmapped_port_also_leaves_an_entry()
    {
        var lab = new NatLab(NatBehavior.BareLinux);
        lab.SendFrom(lab.S2, 9000, Public5000); // no mapping at all yet
        Assert.Equal(1, lab.Nat.Statistics.DroppedNoMapping);
        Assert.Equal(1, lab.Nat.ActiveUnsolicitedCount);

        lab.SendFromA(lab.S2.Endpoint(9000));
        Assert.NotEqual(Public5000, LastSeenBy(lab.S2Node));
        lab.SendFromA(lab.S1.Endpoint(7000));
        Assert.Equal(Public5000, LastSeenBy(lab.S1Node));
    }

    [Fact]
    public void The_entry_expires_after_the_unsolicited_timeout_and_the_port_is_preserved_again()
    {
        var lab = WithAnsweredMapping(NatBehavior.BareLinux);
        lab.SendFrom(lab.S2, 9000, Public5000);

        lab.Sim.Run(S(29));
        Assert.True(lab.Nat.HasUnsolicitedEntry(lab.S2.Endpoint(9000), Public5000));
        lab.Sim.Run(S(31));
        Assert.False(lab.Nat.HasUnsolicitedEntry(lab.S2.Endpoint(9000), Public5000));
        Assert.Equal(0, lab.Nat.ActiveUnsolicitedCount);

        lab.SendFromA(lab.S2.Endpoint(9000));
        Assert.Equal(Public5000, LastSeenBy(lab.S2Node));
        Assert.Equal(0, lab.Nat.Statistics.PortCollisions);
        lab.SendFrom(lab.S2, 9000, Public5000, tag: 7);
        Assert.Equal(7, lab.ANode.Received[^1].Payload[0]);
    }

    [Fact]
    public void Further_unsolicited_packets_refresh_the_entry()
    {
        var lab = WithAnsweredMapping(NatBehavior.BareLinux);
        lab.SendFrom(lab.S2, 9000, Public5000);
        lab.Sim.Run(S(20));
        lab.SendFrom(lab.S2, 9000, Public5000);
        Assert.Equal(1, lab.Nat.Statistics.UnsolicitedEntries); // refreshed, not a second entry

        lab.Sim.Run(S(45)); // 45 s after the first packet, 25 s after the second
        lab.SendFromA(lab.S2.Endpoint(9000));
        Assert.NotEqual(Public5000, LastSeenBy(lab.S2Node));

        lab.Sim.Run(S(51)); // the entry is gone; the moved flow is not (A just used it)
        Assert.False(lab.Nat.HasUnsolicitedEntry(lab.S2.Endpoint(9000), Public5000));
        lab.SendFromA(lab.S2.Endpoint(9000));
        Assert.NotEqual(Public5000, LastSeenBy(lab.S2Node));

        lab.Sim.Run(S(90)); // the moved flow, never answered, expired 30 s after its last packet
        lab.SendFromA(lab.S2.Endpoint(9000));
        Assert.Equal(Public5000, LastSeenBy(lab.S2Node));
    }

    [Fact]
    public void Unreplied_mappings_expire_after_the_unsolicited_timeout_answered_ones_after_the_mapping_timeout()
    {
        var lab = new NatLab(NatBehavior.BareLinux);
        lab.SendFromA(lab.S1.Endpoint(7000));
        var mapping = Assert.Single(lab.Nat.Mappings);
        Assert.False(mapping.Replied);
        Assert.Equal(S(30), mapping.ExpiresAt - mapping.LastRefreshed);

        lab.SendFrom(lab.S1, 7000, Public5000);
        Assert.True(mapping.Replied);
        Assert.Equal(S(120), mapping.ExpiresAt - mapping.LastRefreshed);
        lab.Sim.Run(S(100));
        Assert.Equal(1, lab.Nat.ActiveMappingCount);
    }

    [Fact]
    public void A_per_destination_mapping_is_allocated_around_the_entry()
    {
        var lab = new NatLab(NatBehavior.BareLinux with { Mapping = MappingBehavior.AddressAndPortDependent });
        lab.SendFrom(lab.S2, 9000, Public5000);
        lab.SendFromA(lab.S1.Endpoint(7000)); // another destination: port preserved
        Assert.Equal(Public5000, LastSeenBy(lab.S1Node));
        lab.Nat.ClearMappings();

        lab.SendFrom(lab.S2, 9000, Public5000);
        lab.SendFromA(lab.S2.Endpoint(9000));
        Assert.NotEqual(Public5000, LastSeenBy(lab.S2Node));
        Assert.Equal(0, lab.Nat.Statistics.PortCollisions); // avoided at allocation, not split afterwards
    }

    [Fact]
    public void A_router_drops_unsolicited_packets_without_state()
    {
        var lab = WithAnsweredMapping(NatBehavior.PortRestrictedCone);
        lab.SendFrom(lab.S2, 9000, Public5000);
        Assert.Equal(1, lab.Nat.Statistics.DroppedFiltered);
        Assert.Equal(0, lab.Nat.ActiveUnsolicitedCount);
        Assert.Equal(0, lab.Nat.Statistics.UnsolicitedEntries);

        lab.SendFromA(lab.S2.Endpoint(9000));
        Assert.Equal(Public5000, LastSeenBy(lab.S2Node));
        lab.SendFrom(lab.S2, 9000, Public5000, tag: 5);
        Assert.Equal(5, lab.ANode.Received[^1].Payload[0]);
        Assert.Equal(0, lab.Nat.Statistics.PortCollisions);
        Assert.True(Assert.Single(lab.Nat.Mappings).Replied);
    }

    [Fact]
    public void Hairpinned_packets_leave_no_entry()
    {
        var lab = new NatLab(NatBehavior.BareLinux);
        lab.B.Context.Send(lab.B.Endpoint(6000), Public5000, [0]); // B hairpins to an unmapped port
        lab.Sim.RunFor(Ms(10));
        Assert.Equal(0, lab.Nat.ActiveUnsolicitedCount);
    }
}
