using System.Net;

namespace Hipnat.Lab.Tests;

public class ImpairmentTests
{
    private const int Port = 7100;

    [Fact]
    public void LossDropsAMeasurableShareOfPacketsAndCanBeRemovedAtRunTime()
    {
        LabRequirement.Root();
        using var lab = NetworkLab.Create();
        var pub = lab.AddSegment("public", "203.0.113.0/24");
        var sender = lab.AddHost("sender", pub);
        var receiver = lab.AddHost("receiver", pub);
        using var rx = receiver.OpenUdpSocket(Port);
        using var tx = sender.OpenUdpSocket();
        var target = new IPEndPoint(receiver.Address, Port);
        Assert.True(sender.Ping(receiver.Address, 1).AllReceived); // ARP settled, so only the loss rule drops

        sender.PrimaryInterface.SetLoss(0.5);
        var lossy = SendAndCount(tx, rx, target, 400);
        sender.PrimaryInterface.SetLoss(0);
        var clean = SendAndCount(tx, rx, target, 200);

        Assert.InRange(lossy, 120, 280); // binomial(400, 0.5): mean 200, sd 10
        Assert.Equal(200, clean);
        Assert.Equal(LinkImpairment.None, sender.PrimaryInterface.Impairment);
    }

    [Fact]
    public void LossTowardsTheHostIsIndependentOfLossFromIt()
    {
        LabRequirement.Root();
        using var lab = NetworkLab.Create();
        var pub = lab.AddSegment("public", "203.0.113.0/24");
        var a = lab.AddHost("a", pub);
        var b = lab.AddHost("b", pub);
        using var atB = b.OpenUdpSocket(Port);
        using var atA = a.OpenUdpSocket(Port);
        Assert.True(a.Ping(b.Address, 1).AllReceived);

        b.PrimaryInterface.SetImpairment(new LinkImpairment(LossToHost: 1, LossFromHost: 0));

        Assert.Equal(0, SendAndCount(atA, atB, new IPEndPoint(b.Address, Port), 50));
        Assert.Equal(50, SendAndCount(atB, atA, new IPEndPoint(a.Address, Port), 50));
    }

    [Fact]
    public void RateLimitCapsThroughput()
    {
        LabRequirement.Root();
        using var lab = NetworkLab.Create();
        var pub = lab.AddSegment("public", "203.0.113.0/24");
        var sender = lab.AddHost("sender", pub);
        var receiver = lab.AddHost("receiver", pub);
        using var rx = receiver.OpenUdpSocket(Port);
        using var tx = sender.OpenUdpSocket();
        Assert.True(sender.Ping(receiver.Address, 1).AllReceived);

        sender.PrimaryInterface.SetRate(1_000_000);
        Assert.Contains("tbf", sender.Run("tc", "qdisc", "show", "dev", "eth0").StandardOutput, StringComparison.Ordinal);

        // 1000 datagrams of 1000 bytes at once: 8 Mbit against a 1 Mbit/s bucket that queues 200 ms.
        var payload = new byte[1000];
        var target = new IPEndPoint(receiver.Address, Port);
        for (var i = 0; i < 1000; i++)
        {
            tx.SendTo(payload, target);
        }

        var received = Udp.Drain(rx, TimeSpan.FromMilliseconds(600));
        Assert.InRange(received, 1, 500);

        sender.PrimaryInterface.SetRate(null);
        Assert.DoesNotContain("tbf", sender.Run("tc", "qdisc", "show", "dev", "eth0").StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public void LinkDownCutsTrafficAndLinkUpRestoresIt()
    {
        LabRequirement.Root();
        using var lab = NetworkLab.Create();
        var pub = lab.AddSegment("public", "203.0.113.0/24");
        var a = lab.AddHost("a", pub);
        var b = lab.AddHost("b", pub);

        a.PrimaryInterface.SetLinkDown();
        Assert.False(a.PrimaryInterface.IsLinkUp);
        Assert.False(a.Ping(b.Address, 2, TimeSpan.FromMilliseconds(300)).Reachable);
        Assert.Contains("NO-CARRIER", a.Run("ip", "link", "show", "eth0").StandardOutput, StringComparison.Ordinal);

        a.PrimaryInterface.SetLinkUp();
        Assert.True(WaitUntil(() => a.Ping(b.Address, 1).AllReceived, TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public void MovingAnInterfaceToAnotherNatIsAHandover()
    {
        LabRequirement.Root();
        using var lab = NetworkLab.Create();
        var pub = lab.AddSegment("public", "203.0.113.0/24");
        var server = lab.AddHost("server", pub);
        var nat1 = lab.AddNat("nat1", pub, "198.18.1.0/24");
        var nat2 = lab.AddNat("nat2", pub, "198.18.2.0/24");
        var mobile = nat1.AddHost("mobile");
        using var echo = UdpEcho.Start(server, Port);
        using var client = mobile.OpenUdpSocket(40100);
        Assert.Equal(nat1.PublicAddress, Udp.Probe(client, echo.Endpoint)?.Address);

        mobile.PrimaryInterface.MoveTo(nat2.InsideSegment);

        Assert.True(nat2.InsideSegment.Contains(mobile.Address));
        Assert.Equal(nat2.Inside.Address, mobile.DefaultGateway);
        Assert.Same(nat2.InsideSegment, mobile.PrimaryInterface.Segment);
        Assert.Equal(nat2.PublicAddress, Udp.Probe(client, echo.Endpoint)?.Address);
    }

    [Fact]
    public void RenumberingKeepsTheDefaultRoute()
    {
        LabRequirement.Root();
        using var lab = NetworkLab.Create();
        var pub = lab.AddSegment("public", "203.0.113.0/24");
        var server = lab.AddHost("server", pub);
        var nat = lab.AddNat("nat", pub, "198.18.1.0/24");
        var host = nat.AddHost("host");

        host.PrimaryInterface.SetAddress(IPAddress.Parse("198.18.1.200"));

        Assert.Equal(IPAddress.Parse("198.18.1.200"), host.Address);
        Assert.Equal(nat.Inside.Address, host.DefaultGateway);
        Assert.True(host.Ping(server.Address).AllReceived);
    }

    private static int SendAndCount(System.Net.Sockets.Socket tx, System.Net.Sockets.Socket rx, IPEndPoint target, int count)
    {
        // Count on another thread while sending, so the receive buffer never overflows.
        var counting = Task.Factory.StartNew(() => Udp.Drain(rx, TimeSpan.FromMilliseconds(600)), TaskCreationOptions.LongRunning);
        var payload = new byte[64];
        for (var i = 0; i < count; i++)
        {
            tx.SendTo(payload, target);
            if (i % 20 == 19)
            {
                Thread.Sleep(2);
            }
        }

        return counting.GetAwaiter().GetResult();
    }

    private static bool WaitUntil(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (condition())
            {
                return true;
            }

            Thread.Sleep(100);
        }

        return false;
    }
}
