using System.Net;

namespace Hipnat.Lab.Tests;

public class TopologyTests
{
    [Fact]
    public void TwoHostsOnOneSegmentPingBothWays()
    {
        LabRequirement.Root();
        using var lab = NetworkLab.Create();
        var pub = lab.AddSegment("public", "203.0.113.0/24");
        var a = lab.AddHost("a", pub);
        var b = lab.AddHost("b", pub);

        Assert.Equal(IPAddress.Parse("203.0.113.10"), a.Address);
        Assert.Equal(IPAddress.Parse("203.0.113.11"), b.Address);
        Assert.True(a.Ping(b.Address).AllReceived);
        Assert.True(b.Ping(a.Address).AllReceived);
    }

    [Fact]
    public void EachHostSeesOnlyItsOwnInterfaces()
    {
        LabRequirement.Root();
        using var lab = NetworkLab.Create();
        var pub = lab.AddSegment("public", "198.51.100.0/24");
        var a = lab.AddHost("a", pub, IPAddress.Parse("198.51.100.77"));

        var links = a.Run("ip", "-br", "addr").EnsureSuccess().StandardOutput;

        Assert.Contains("198.51.100.77/24", links, StringComparison.Ordinal);
        var names = links.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')[0].Split('@')[0]).Order().ToArray();
        Assert.Equal(["eth0", "lo"], names);
        Assert.Equal("hn-" + lab.Id + "-a", a.Namespace);
    }

    [Fact]
    public void RouterJoinsTwoPublicSegmentsAndBecomesTheirGateway()
    {
        LabRequirement.Root();
        using var lab = NetworkLab.Create();
        var west = lab.AddSegment("west", "192.0.2.0/24");
        var east = lab.AddSegment("east", "198.51.100.0/24");
        var w = lab.AddHost("w", west);
        var router = lab.AddRouter("r", west, east);
        var e = lab.AddHost("e", east);

        Assert.Equal(IPAddress.Parse("192.0.2.1"), west.Gateway);
        Assert.Equal(IPAddress.Parse("198.51.100.1"), east.Gateway);
        Assert.Equal(west.Gateway, w.DefaultGateway);
        Assert.Equal(east.Gateway, e.DefaultGateway);
        Assert.Equal("1", router.ReadSysctl("net.ipv4.ip_forward"));
        Assert.True(w.Ping(e.Address).AllReceived);
    }

    [Fact]
    public void MultihomedHostHasOneInterfacePerSegment()
    {
        LabRequirement.Root();
        using var lab = NetworkLab.Create();
        var one = lab.AddSegment("one", "203.0.113.0/24");
        var two = lab.AddSegment("two", "198.51.100.0/24");
        var host = lab.AddHost("multi", one);
        var second = host.AddInterface(two);
        var peer = lab.AddHost("peer", two);

        Assert.Equal("eth1", second.Name);
        Assert.Same(second, host.InterfaceOn(two));
        Assert.True(peer.Ping(second.Address).AllReceived);
    }

    [Fact]
    public void DeclarativeTopologyBuildsPublicRelayAndTwoNats()
    {
        LabRequirement.Root();
        var topology = new LabTopology()
            .Segment("public", "203.0.113.0/24")
            .Host("relay", "public")
            .Nat("nat1", "public", "198.18.1.0/24")
            .Nat("nat2", "public", "198.18.2.0/24", NatOptions.Symmetric)
            .Host("alice", "nat1")
            .Host("bob", "nat2-lan", "198.18.2.50");

        using var lab = topology.Build();

        Assert.Equal(["alice", "bob", "nat1", "nat2", "relay"], lab.Hosts.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(["nat1-lan", "nat2-lan", "public"], lab.Segments.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(IPAddress.Parse("198.18.1.1"), lab["alice"].DefaultGateway);
        Assert.Equal(IPAddress.Parse("198.18.2.50"), lab["bob"].Address);
        Assert.Same(lab["alice"], lab.Nat("nat1").ExposedHost);
        Assert.Equal(NatMapping.AddressAndPortDependent, lab.Nat("nat2").Options.Mapping);
        Assert.True(lab["alice"].Ping(lab["relay"].Address).AllReceived);
        Assert.True(lab["bob"].Ping(lab["relay"].Address).AllReceived);
    }

    [Fact]
    public void AddressesOutsideTheDocumentationAndBenchmarkRangesAreRefused()
    {
        LabRequirement.Root();
        using var lab = NetworkLab.Create();

        Assert.Throws<ArgumentException>(() => lab.AddSegment("bad", "10.0.0.0/24"));
        Assert.Throws<ArgumentException>(() => lab.AddSegment("bad", "192.168.1.0/24"));
        Assert.Throws<ArgumentException>(() => lab.AddSegment("bad", "203.0.112.0/23"));
        var ok = lab.AddSegment("ok", "198.19.255.0/24");
        Assert.Throws<ArgumentException>(() => lab.AddHost("h", ok, IPAddress.Parse("203.0.113.5")));
    }
}
