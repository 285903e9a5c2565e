using System.Diagnostics;
using System.Net;

namespace Hipnat.Lab.Tests;

/// <summary>The moves a mobile host makes in the lab: link events, make-before-break, break-before-make, NAT renumbering.</summary>
public class MobilityLabTests
{
    private const int EchoPort = 7200;

    [Fact]
    public void HostSideDownIsALinkEventThatDropsRoutesSwitchSideDownOnlyCarrierAndSilentCutNothing()
    {
        LabRequirement.Root();
        using var lab = NetworkLab.Create();
        var pub = lab.AddSegment("public", "203.0.113.0/24");
        var server = lab.AddHost("server", pub);
        var nat = lab.AddNat("nat", pub, "198.18.1.0/24");
        var mobile = nat.AddHost("mobile");
        var eth0 = mobile.PrimaryInterface;
        using var monitor = mobile.Start("ip", "-o", "monitor", "link");
        Thread.Sleep(300); // ip monitor prints nothing when it is ready

        var before = monitor.LineCount;
        eth0.SetLoss(1);
        Assert.False(mobile.Ping(server.Address, 1, TimeSpan.FromMilliseconds(300)).Reachable);
        Thread.Sleep(200);
        var afterSilentCut = monitor.LineCount;
        eth0.SetLoss(0);

        eth0.SetLinkDown();
        monitor.WaitForOutput("eth0.*NO-CARRIER", TimeSpan.FromSeconds(5), afterSilentCut);
        var routeWithoutCarrier = DefaultRoute(mobile);
        eth0.SetLinkUp();

        var beforeAdminDown = monitor.LineCount;
        eth0.SetAdminDown();
        monitor.WaitForOutput(@"eth0(?:@\S+)?: <(?![^>]*\bUP\b)[^>]*>.*state DOWN", TimeSpan.FromSeconds(5), beforeAdminDown);
        var routeWhileAdminDown = DefaultRoute(mobile);
        var linkWhileAdminDown = mobile.Run("ip", "-br", "link", "show", "eth0").StandardOutput;
        var unreachable = Assert.Throws<System.Net.NetworkInformation.PingException>(() => mobile.Ping(server.Address, 1)); // no route at all
        eth0.SetAdminUp();

        Assert.Equal(before, afterSilentCut); // the silent cut: no event on the host
        Assert.Contains($"default via {nat.Inside.Address} dev eth0", routeWithoutCarrier, StringComparison.Ordinal); // kept, marked linkdown
        Assert.Contains("linkdown", routeWithoutCarrier, StringComparison.Ordinal);
        Assert.Equal(string.Empty, routeWhileAdminDown); // the host's kernel dropped it
        Assert.Contains("DOWN", linkWhileAdminDown, StringComparison.Ordinal);
        Assert.Contains("unreachable", unreachable.InnerException?.Message ?? string.Empty, StringComparison.OrdinalIgnoreCase);
        Assert.True(eth0.IsAdminUp);
        Assert.Contains($"default via {nat.Inside.Address} dev eth0", DefaultRoute(mobile), StringComparison.Ordinal);
        Assert.True(mobile.Ping(server.Address, 2).AllReceived);
    }

    [Fact]
    public void SecondUplinkThenRemovingTheFirstIsAMakeBeforeBreakHandover()
    {
        LabRequirement.Root();
        using var lab = NetworkLab.Create();
        var pub = lab.AddSegment("public", "203.0.113.0/24");
        var server = lab.AddHost("server", pub);
        var nat1 = lab.AddNat("nat1", pub, "198.18.1.0/24");
        var nat2 = lab.AddNat("nat2", pub, "198.18.2.0/24");
        var mobile = nat1.AddHost("mobile");
        using var echo = UdpEcho.Start(server, EchoPort);
        using var client = mobile.OpenUdpSocket(40200);
        Assert.Equal(nat1.PublicAddress, Udp.Probe(client, echo.Endpoint)?.Address);
        var first = mobile.PrimaryInterface;

        var second = mobile.AddInterface(nat2.InsideSegment);
        mobile.SetDefaultRoute(nat2.InsideSegment.Gateway!);
        var viaSecondWhileBothUp = Udp.Probe(client, echo.Endpoint);
        mobile.RemoveInterface(first);
        var viaSecondAlone = Udp.Probe(client, echo.Endpoint);

        Assert.Equal(new IPEndPoint(nat2.PublicAddress, 40200), viaSecondWhileBothUp);
        Assert.Equal(new IPEndPoint(nat2.PublicAddress, 40200), viaSecondAlone);
        Assert.Same(second, mobile.PrimaryInterface);
        Assert.Equal(["eth1"], mobile.Interfaces.Select(i => i.Name));
        Assert.DoesNotContain(first, nat1.InsideSegment.Interfaces);
        var addresses = mobile.Run("ip", "-br", "-4", "addr").EnsureSuccess().StandardOutput;
        Assert.DoesNotContain("eth0", addresses, StringComparison.Ordinal);
        Assert.Contains($"{second.Address}/24", addresses, StringComparison.Ordinal);
        Assert.Contains($"default via {nat2.Inside.Address} dev eth1", DefaultRoute(mobile), StringComparison.Ordinal);
        Assert.Same(mobile, nat2.ExposedHost);
    }

    [Fact]
    public void MoveToAnotherNatWithAnOutageIsABreakBeforeMakeHandover()
    {
        LabRequirement.Root();
        using var lab = NetworkLab.Create();
        var pub = lab.AddSegment("public", "203.0.113.0/24");
        var server = lab.AddHost("server", pub);
        var nat1 = lab.AddNat("nat1", pub, "198.18.1.0/24");
        var nat2 = lab.AddNat("nat2", pub, "198.18.2.0/24");
        var mobile = nat1.AddHost("mobile");
        using var echo = UdpEcho.Start(server, EchoPort);
        using var client = mobile.OpenUdpSocket(40300);
        Assert.Equal(nat1.PublicAddress, Udp.Probe(client, echo.Endpoint)?.Address);
        var oldAddress = mobile.Address;

        var clock = Stopwatch.StartNew();
        var moved = mobile.MoveTo(nat2.InsideSegment, TimeSpan.FromMilliseconds(400));
        var took = clock.Elapsed;

        Assert.True(took >= TimeSpan.FromMilliseconds(400), took.ToString());
        Assert.Equal("eth0", moved.Name);
        Assert.True(moved.IsLinkUp);
        Assert.True(nat2.InsideSegment.Contains(mobile.Address));
        Assert.NotEqual(oldAddress, mobile.Address);
        Assert.Equal(nat2.Inside.Address, mobile.DefaultGateway);
        Assert.Equal(new IPEndPoint(nat2.PublicAddress, 40300), Udp.Probe(client, echo.Endpoint));
        Assert.Contains(echo.Seen, e => e.Address.Equals(nat2.PublicAddress));
    }

    [Fact]
    public void NatRenumberingChangesThePublicAddressAndForgetsMappingsWithoutAnyChangeInside()
    {
        LabRequirement.Root();
        using var lab = NetworkLab.Create();
        var pub = lab.AddSegment("public", "203.0.113.0/24");
        var server = lab.AddHost("server", pub);
        var nat = lab.AddNat("nat", pub, "198.18.1.0/24");
        var inside = nat.AddHost("inside");
        using var echo = UdpEcho.Start(server, EchoPort);
        using var client = inside.OpenUdpSocket(40400);
        var oldPublic = nat.PublicAddress;
        Assert.Equal(new IPEndPoint(oldPublic, 40400), Udp.Probe(client, echo.Endpoint));
        var insideBefore = inside.Run("ip", "-br", "-4", "addr").EnsureSuccess().StandardOutput + DefaultRoute(inside);

        var newPublic = nat.Renumber(IPAddress.Parse("203.0.113.77"));
        var mappingsAfterRenumber = nat.GetMappings();
        var seen = Udp.Probe(client, echo.Endpoint);

        Assert.Equal(IPAddress.Parse("203.0.113.77"), newPublic);
        Assert.Equal(newPublic, nat.PublicAddress);
        Assert.Empty(mappingsAfterRenumber);
        Assert.Equal(new IPEndPoint(newPublic, 40400), seen);
        Assert.Equal(insideBefore, inside.Run("ip", "-br", "-4", "addr").EnsureSuccess().StandardOutput + DefaultRoute(inside));
        Assert.DoesNotContain(oldPublic.ToString(), nat.Run("ip", "-br", "-4", "addr").StandardOutput, StringComparison.Ordinal);
        Assert.Contains($"{newPublic}/32", nat.Run("iptables-save", "-t", "filter").StandardOutput, StringComparison.Ordinal); // rules follow
        Assert.NotEqual(newPublic, nat.Renumber()); // a free address by default
    }

    private static string DefaultRoute(LabHost host) => host.Run("ip", "route", "show", "default").EnsureSuccess().StandardOutput.Trim();
}
