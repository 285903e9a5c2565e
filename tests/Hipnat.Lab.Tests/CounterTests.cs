using System.Net;

namespace Hipnat.Lab.Tests;

public class CounterTests
{
    [Fact]
    public void InterfaceCountersCountWhatCrossed()
    {
        LabRequirement.Root();
        using var lab = NetworkLab.Create();
        var pub = lab.AddSegment("public", "203.0.113.0/24");
        var a = lab.AddHost("a", pub);
        var b = lab.AddHost("b", pub);
        Assert.True(a.Ping(b.Address, 1).AllReceived);
        var before = b.PrimaryInterface.GetCounters();

        Assert.True(a.Ping(b.Address, 5).AllReceived);
        var delta = b.PrimaryInterface.GetCounters().Since(before);

        Assert.Equal("eth0", delta.Interface);
        Assert.InRange(delta.RxPackets, 5, 7); // five echo requests (plus perhaps an ARP probe)
        Assert.InRange(delta.TxPackets, 5, 7);
        Assert.True(delta.RxBytes >= 5 * 60);
        Assert.Contains(b.GetAllInterfaceCounters(), c => c.Interface == "lo");
    }

    [Fact]
    public void NamedCounterProvesWhetherPacketsCrossARelay()
    {
        LabRequirement.Root();
        using var lab = NetworkLab.Create();
        var west = lab.AddSegment("west", "192.0.2.0/24");
        var east = lab.AddSegment("east", "198.51.100.0/24");
        var w = lab.AddHost("w", west);
        var w2 = lab.AddHost("w2", west);
        var relay = lab.AddRouter("relay", west, east);
        var e = lab.AddHost("e", east);
        relay.AddCounter("relayed-udp", "filter", "FORWARD", "-p", "udp");

        using var rx = e.OpenUdpSocket(7200);
        using var tx = w.OpenUdpSocket();
        using var direct = w2.OpenUdpSocket(7200);
        for (var i = 0; i < 3; i++)
        {
            tx.SendTo(new byte[10], new IPEndPoint(w2.Address, 7200)); // same segment: never reaches the relay
        }

        Assert.Equal(3, Udp.Drain(direct, TimeSpan.FromMilliseconds(300)));
        Assert.Equal(0, relay.ReadCounter("relayed-udp").Packets);

        for (var i = 0; i < 4; i++)
        {
            tx.SendTo(new byte[10], new IPEndPoint(e.Address, 7200));
        }

        Assert.Equal(4, Udp.Drain(rx, TimeSpan.FromMilliseconds(300)));
        var counter = relay.ReadCounter("relayed-udp");
        Assert.Equal(4, counter.Packets);
        Assert.Equal(4 * (20 + 8 + 10), counter.Bytes);
        Assert.Equal("FORWARD", counter.Chain);
        Assert.Equal(1, counter.Index);
    }

    [Fact]
    public void NatRuleCountersAreReadable()
    {
        LabRequirement.Root();
        using var lab = NetworkLab.Create();
        var pub = lab.AddSegment("public", "203.0.113.0/24");
        var server = lab.AddHost("server", pub);
        var nat = lab.AddNat("nat", pub, "198.18.1.0/24");
        var inside = nat.AddHost("inside");
        using var rx = server.OpenUdpSocket(7300);
        using var tx = inside.OpenUdpSocket();
        for (var i = 0; i < 5; i++)
        {
            tx.SendTo(new byte[8], new IPEndPoint(server.Address, 7300));
        }

        Assert.Equal(5, Udp.Drain(rx, TimeSpan.FromMilliseconds(300)));
        var masquerade = Assert.Single(nat.GetIptablesCounters("nat"), c => c.Rule.Contains("MASQUERADE", StringComparison.Ordinal));
        var policy = Assert.Single(nat.GetIptablesCounters("filter"), c => c.Chain == "FORWARD" && c.Index == 0);

        Assert.Equal("HN-POST", masquerade.Chain);
        Assert.Equal(1, masquerade.Packets); // five datagrams, one flow: only its first packet traverses the nat table
        Assert.Equal("-P FORWARD ACCEPT", policy.Rule);
    }
}
