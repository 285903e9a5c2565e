using System.Net;
using static Hipnat.Simulator.Tests.Net;

namespace Hipnat.Simulator.Tests;

/// <summary>Paired address pooling (RFC 4787 REQ-2) on a NAT with two public addresses.</summary>
public class NatPairingTests
{
    private readonly Simulation _sim = new(1);
    private readonly Realm _lan;
    private readonly NatBox _nat;
    private readonly SimHost _a;
    private readonly SimHost _b;
    private readonly SimHost _s1;
    private readonly SimHost _s2;
    private readonly RecordingNode _s1Node = new();
    private readonly RecordingNode _s2Node = new();

    public NatPairingTests()
    {
        var internet = _sim.AddRealm("internet");
        _lan = _sim.AddRealm("lan", "10.0.0.0/16");
        _nat = _sim.AddNat("nat", _lan, internet, NatBehavior.Symmetric, Ip("198.51.100.1"), Ip("198.51.100.2"));
        _a = _sim.AddHost("a", new RecordingNode(), _lan, Ip("10.0.0.2"));
        _b = _sim.AddHost("b", new RecordingNode(), _lan, Ip("10.0.0.3"));
        _s1 = _sim.AddHost("s1", _s1Node, internet, Ip("203.0.113.10"));
        _s2 = _sim.AddHost("s2", _s2Node, internet, Ip("203.0.113.20"));
    }

    [Fact]
    public void An_inside_address_keeps_its_public_address_while_it_has_mappings()
    {
        Send(_a, Ip("10.0.0.2"), _s1);
        Send(_b, Ip("10.0.0.3"), _s1);
        Send(_a, Ip("10.0.0.2"), _s2); // a new mapping (symmetric NAT), on A's public address

        var a1 = _s1Node.Received[0].Remote.Address;
        var b1 = _s1Node.Received[1].Remote.Address;
        Assert.NotEqual(a1, b1);
        Assert.Equal(a1, Assert.Single(_s2Node.Received).Remote.Address);
        Assert.Equal(2, _nat.PairedAddressCount);
        Assert.Equal(3, _nat.ActiveMappingCount);
    }

    [Fact]
    public void The_pairing_goes_with_the_last_mapping_of_the_inside_address()
    {
        // A host that keeps moving to new addresses at the site, as a soak's hosts do: each address sends once.
        var address = Ip("10.0.0.2");
        for (int i = 0; i < 50; i++)
        {
            Send(_a, address, _s1);
            var next = new IPAddress([10, 0, 1, (byte)i]);
            _sim.MoveAddress(_a, address, next);
            address = next;
            Assert.True(_nat.PairedAddressCount <= i + 1);
        }

        Send(_b, Ip("10.0.0.3"), _s1);
        _sim.RunFor(S(100));
        Send(_b, Ip("10.0.0.3"), _s2); // B's first mapping is 100 s old: still alive, still paired
        Assert.Equal(_s1Node.Received[^1].Remote.Address, _s2Node.Received[^1].Remote.Address);

        _sim.RunFor(S(30)); // A's 50 mappings and B's first are past the 120 s timeout, B's second is not
        Assert.Equal(1, _nat.ActiveMappingCount);
        Assert.Equal(1, _nat.PairedAddressCount);

        _sim.RunFor(S(120));
        Assert.Equal(0, _nat.ActiveMappingCount);
        Assert.Equal(0, _nat.PairedAddressCount);
    }

    private void Send(SimHost from, IPAddress address, SimHost to)
    {
        from.Context.Send(new SimEndpoint(address, 5000), to.Endpoint(7000), [1]);
        _sim.RunFor(Ms(10));
    }
}
