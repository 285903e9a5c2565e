using System.Net;

namespace Hipnat.Lab.Tests;

/// <summary>
/// <see cref="NatOptions.InputFirewall"/>: a router drops unsolicited packets to itself before conntrack confirms
/// them; a bare Linux host answers port unreachable and keeps a conntrack entry that later pushes the inside host's
/// mapping of the same 5-tuple onto another external port.
/// </summary>
public class NatInputFirewallTests
{
    private const int PeerPort = 7000;
    private const int InsidePort = 4000;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void EarlyInboundPacketMovesTheMappingOffItsPortOnlyWithoutInputFirewall(bool inputFirewall)
    {
        LabRequirement.Root();
        using var lab = NetworkLab.Create();
        var pub = lab.AddSegment("public", "203.0.113.0/24");
        var peer = lab.AddHost("peer", pub);
        var nat = lab.AddNat("nat", pub, "198.18.1.0/24", NatOptions.PortRestrictedCone with { InputFirewall = inputFirewall });
        var inside = nat.AddHost("inside");
        using var peerSocket = peer.OpenUdpSocket(PeerPort);
        using var client = inside.OpenUdpSocket(InsidePort);

        // P:7000 -> NAT:4000 before the inside host has sent anything (a hole-punching peer that is too early).
        peerSocket.SendTo("early"u8.ToArray(), new IPEndPoint(nat.PublicAddress, InsidePort));
        Assert.Null(Udp.Receive(client, TimeSpan.FromMilliseconds(300)));
        var early = nat.GetConntrackEntries().Where(e => e.Protocol == "udp" && e.Original.DestinationPort == InsidePort).ToList();

        // H:4000 -> P:7000: MASQUERADE wants NAT:4000 -> P:7000, whose reply tuple is the early flow's original one.
        client.SendTo("punch"u8.ToArray(), new IPEndPoint(peer.Address, PeerPort));
        var from = ReceiveFrom(peerSocket);

        Assert.Equal(nat.PublicAddress, from.Address);
        if (inputFirewall)
        {
            Assert.Empty(early); // dropped in INPUT before conntrack confirmed it
            Assert.Equal(InsidePort, from.Port);
        }
        else
        {
            var entry = Assert.Single(early); // delivered to the NAT's stack, answered with port unreachable, kept
            Assert.Equal(peer.Address, entry.Original.Source);
            Assert.True(entry.Unreplied);
            Assert.NotEqual(InsidePort, from.Port);
            Assert.Contains(nat.GetMappings(), m => m.Original.SourcePort == InsidePort && m.MappedEndpoint.Port == from.Port);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void RandomFullyCombinesWithEitherInputPolicy(bool inputFirewall)
    {
        LabRequirement.Root();
        using var lab = NetworkLab.Create();
        var pub = lab.AddSegment("public", "203.0.113.0/24");
        var peer = lab.AddHost("peer", pub);
        var nat = lab.AddNat("nat", pub, "198.18.1.0/24", NatOptions.Symmetric with { InputFirewall = inputFirewall });
        var inside = nat.AddHost("inside");
        using var peerSocket = peer.OpenUdpSocket(PeerPort);
        using var client = inside.OpenUdpSocket(InsidePort);

        var input = nat.Run("iptables", "-S", "HN-IN").EnsureSuccess().StandardOutput;
        var postrouting = nat.Run("iptables", "-t", "nat", "-S", "HN-POST").EnsureSuccess().StandardOutput;
        peerSocket.SendTo("early"u8.ToArray(), new IPEndPoint(nat.PublicAddress, InsidePort));
        Thread.Sleep(200);
        client.SendTo("punch"u8.ToArray(), new IPEndPoint(peer.Address, PeerPort));
        var from = ReceiveFrom(peerSocket);

        Assert.Contains("--random-fully", postrouting, StringComparison.Ordinal);
        Assert.Equal(inputFirewall, input.Contains("-i wan0 -j DROP", StringComparison.Ordinal));
        Assert.Equal(nat.PublicAddress, from.Address);
        Assert.Equal(!inputFirewall, nat.GetConntrackEntries().Any(e => e.Protocol == "udp" && e.Original.Source.Equals(peer.Address) && e.Original.DestinationPort == InsidePort));
    }

    [Fact]
    public void WithoutInputFirewallTheNatAnswersPortUnreachable()
    {
        LabRequirement.Root();
        using var lab = NetworkLab.Create();
        var pub = lab.AddSegment("public", "203.0.113.0/24");
        var peer = lab.AddHost("peer", pub);
        var bare = lab.AddNat("bare", pub, "198.18.1.0/24", NatOptions.PortRestrictedCone with { InputFirewall = false });
        var router = lab.AddNat("router", pub, "198.18.2.0/24");
        using var toBare = peer.OpenUdpSocket(PeerPort);
        using var toRouter = peer.OpenUdpSocket(PeerPort + 1);

        // A connected UDP socket reports an ICMP port unreachable as ECONNREFUSED on the next receive.
        Assert.True(Refused(toBare, bare.PublicAddress));
        Assert.False(Refused(toRouter, router.PublicAddress));
    }

    private static bool Refused(System.Net.Sockets.Socket socket, IPAddress target)
    {
        socket.Connect(new IPEndPoint(target, InsidePort));
        socket.Send("probe"u8.ToArray());
        socket.ReceiveTimeout = 500;
        try
        {
            socket.Receive(new byte[64]);
            return false;
        }
        catch (System.Net.Sockets.SocketException e) when (e.SocketErrorCode == System.Net.Sockets.SocketError.ConnectionReset || e.SocketErrorCode == System.Net.Sockets.SocketError.ConnectionRefused)
        {
            return true;
        }
        catch (System.Net.Sockets.SocketException e) when (e.SocketErrorCode is System.Net.Sockets.SocketError.TimedOut or System.Net.Sockets.SocketError.WouldBlock)
        {
            return false;
        }
    }

    private static IPEndPoint ReceiveFrom(System.Net.Sockets.Socket socket)
    {
        var buffer = new byte[64];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        socket.ReceiveTimeout = 2000;
        socket.ReceiveFrom(buffer, ref from);
        return (IPEndPoint)from;
    }
}
