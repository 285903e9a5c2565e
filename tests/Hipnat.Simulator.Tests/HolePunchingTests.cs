using static Hipnat.Simulator.Tests.Net;

namespace Hipnat.Simulator.Tests;

public class HolePunchingTests
{
    /// <summary>
    /// Two peers in different private realms learn their reflexive addresses from a public reflector, then send to each
    /// other's reflexive address a few times. Returns what each peer received from the other.
    /// </summary>
    private static (List<ReceivedDatagram> AtA, List<ReceivedDatagram> AtB, SimEndpoint ReflexiveA, SimEndpoint ReflexiveB) Punch(NatBehavior natA, NatBehavior natB)
    {
        var sim = new Simulation(11);
        var internet = sim.AddRealm("internet", defaultProfile: LinkProfile.WithDelay(Ms(20)));
        var lanA = sim.AddRealm("lan-a", "10.1.0.0/16");
        var lanB = sim.AddRealm("lan-b", "10.2.0.0/16");
        sim.AddNat("nat-a", lanA, internet, natA, Ip("198.51.100.1"));
        sim.AddNat("nat-b", lanB, internet, natB, Ip("198.51.100.2"));
        var reflector = sim.AddHost("reflector", new ReflectorNode(), internet, Ip("203.0.113.1"));
        var aNode = new RecordingNode();
        var bNode = new RecordingNode();
        var a = sim.AddHost("a", aNode, lanA, lanA.AllocateAddress());
        var b = sim.AddHost("b", bNode, lanB, lanB.AllocateAddress());

        a.Context.Send(a.Endpoint(5000), reflector.Endpoint(3478), [0]);
        b.Context.Send(b.Endpoint(5000), reflector.Endpoint(3478), [0]);
        sim.RunFor(S(1));
        var reflexiveA = ReflectorNode.Decode(Assert.Single(aNode.Received).Payload);
        var reflexiveB = ReflectorNode.Decode(Assert.Single(bNode.Received).Payload);

        for (int round = 0; round < 3; round++)
        {
            a.Context.Send(a.Endpoint(5000), reflexiveB, [1]);
            b.Context.Send(b.Endpoint(5000), reflexiveA, [2]);
            sim.RunFor(Ms(100));
        }

        sim.RunFor(S(1));
        return (aNode.Received.Where(r => r.Payload[0] == 2).ToList(), bNode.Received.Where(r => r.Payload[0] == 1).ToList(), reflexiveA, reflexiveB);
    }

    [Theory]
    [InlineData(FilteringBehavior.EndpointIndependent)]
    [InlineData(FilteringBehavior.AddressDependent)]
    [InlineData(FilteringBehavior.AddressAndPortDependent)]
    public void Peers_behind_endpoint_independent_mapping_nats_reach_each_other(FilteringBehavior filtering)
    {
        var behavior = new NatBehavior { Filtering = filtering };
        var (atA, atB, reflexiveA, reflexiveB) = Punch(behavior, behavior);

        Assert.NotEmpty(atA);
        Assert.NotEmpty(atB);
        Assert.All(atA, r => Assert.Equal(reflexiveB, r.Remote));
        Assert.All(atB, r => Assert.Equal(reflexiveA, r.Remote));
        if (filtering == FilteringBehavior.EndpointIndependent)
        {
            Assert.Equal(3, atA.Count); // nothing is filtered, every punch arrives
            Assert.Equal(3, atB.Count);
        }
    }

    [Fact]
    public void Peers_behind_symmetric_nats_cannot_punch_through()
    {
        var (atA, atB, _, _) = Punch(NatBehavior.Symmetric, NatBehavior.Symmetric);
        Assert.Empty(atA);
        Assert.Empty(atB);
    }
}
