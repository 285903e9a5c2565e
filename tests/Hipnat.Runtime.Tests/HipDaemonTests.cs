using System.Net;
using System.Net.Sockets;
using Hipnat.Core.Transport;
using Hipnat.Runtime.Control;
using Hipnat.Runtime.Tests.Support;

namespace Hipnat.Runtime.Tests;

/// <summary>The daemon's driver loop with a real core, in this process.</summary>
public sealed class HipDaemonTests
{
    [Fact]
    public async Task ConnectRepliesWhenEstablishedWithTheElapsedTime()
    {
        using var a = new InProcessDaemon();
        using var b = new InProcessDaemon();
        a.Daemon.AddPeerLocator(b.Daemon.LocalHit, b.Address);
        a.Daemon.Start();
        b.Daemon.Start();

        var r = await a.RequestAsync(new ControlRequest { Command = ControlRequest.Connect, Hit = b.Hit, TimeoutSeconds = 10 });
        Assert.True(r.Ok, r.Error);
        Assert.Equal(b.Hit, r.Connect!.Hit);
        Assert.Equal(b.Address.ToString(), r.Connect.PeerAddress);
        Assert.False(r.Connect.AlreadyEstablished);
        Assert.InRange(r.Connect.ElapsedMs, 0.001, 10_000);

        var status = await a.StatusAsync();
        Assert.Equal("ESTABLISHED", Assert.Single(status.Associations).State);
        Assert.Equal(a.Hit, status.LocalHit);
        Assert.Equal("udp", status.Transport);
        Assert.True(status.Counters.PacketsIn >= 2);
        Assert.True(status.Counters.TransportSent >= 2);
    }

    [Fact]
    public async Task GarbageNeverStopsTheDaemon()
    {
        using var a = new InProcessDaemon();
        using var b = new InProcessDaemon();
        a.Daemon.AddPeerLocator(b.Daemon.LocalHit, b.Address);
        a.Daemon.Start();
        b.Daemon.Start();

        // Random datagrams, HIP-framed random bytes, truncated and oversized headers, all at B.
        using var attacker = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        var target = new IPEndPoint(IPAddress.Loopback, b.Address.Port);
        var random = new Random(1234);
        for (int i = 0; i < 3000; i++)
        {
            var packet = new byte[random.Next(0, 1400)];
            random.NextBytes(packet);
            if (i % 3 == 0 && packet.Length >= 8)
            {
                packet.AsSpan(0, 4).Clear(); // RFC 9028 HIP control marker
                packet[5] = (byte)random.Next(0, 200); // header length
                packet[6] = (byte)random.Next(1, 20);  // packet type
                packet[7] = 0x21;                       // version 2
            }

            attacker.SendTo(packet, target);
            if (i % 100 == 99)
            {
                // Pace the flood so the socket buffer never overflows: every datagram must reach the daemon.
                var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
                while (b.Transport.Counters.Received < i + 1 - 100 && DateTime.UtcNow < deadline)
                {
                    Thread.Sleep(1);
                }
            }
        }

        // B keeps answering and still completes a base exchange.
        await EndToEndTests.WaitUntilAsync(async () => (await b.StatusAsync()).Counters.TransportReceived >= 2900, TimeSpan.FromSeconds(20));
        var r = await a.RequestAsync(new ControlRequest { Command = ControlRequest.Connect, Hit = b.Hit, TimeoutSeconds = 10 });
        Assert.True(r.Ok, r.Error);
        var status = await b.StatusAsync();
        Assert.True(status.Counters.Dropped >= 2500, $"dropped {status.Counters.Dropped}");
        Assert.NotEmpty(status.Counters.Drops);
        Assert.False(b.Daemon.Completion.IsCompleted);
    }

    [Fact]
    public async Task RequestsAreValidatedBeforeTheyReachTheCore()
    {
        using var a = new InProcessDaemon();
        a.Daemon.Start();
        var badHit = await a.RequestAsync(new ControlRequest { Command = ControlRequest.Connect, Hit = "192.0.2.1" });
        Assert.False(badHit.Ok);
        Assert.Contains("'192.0.2.1' is not a HIT", badHit.Error, StringComparison.Ordinal);

        var badTimeout = await a.RequestAsync(new ControlRequest { Command = ControlRequest.Connect, Hit = "2001:20::1", TimeoutSeconds = 0 });
        Assert.False(badTimeout.Ok);
        Assert.Contains("timeoutSeconds 0 is out of range", badTimeout.Error, StringComparison.Ordinal);

        var unknown = await a.RequestAsync(new ControlRequest { Command = "reboot" });
        Assert.False(unknown.Ok);
        Assert.Equal("unknown command 'reboot'; expected one of status, connect, close, peers-add, resolve", unknown.Error);

        var noLocators = await a.RequestAsync(new ControlRequest { Command = ControlRequest.PeersAdd, Hit = "2001:20::1" });
        Assert.False(noLocators.Ok);

        var badLocator = await a.RequestAsync(new ControlRequest { Command = ControlRequest.PeersAdd, Hit = "2001:20::1", Locators = ["nowhere"] });
        Assert.False(badLocator.Ok);
        Assert.Contains("'nowhere' is not an IP address", badLocator.Error, StringComparison.Ordinal);

        var closeNothing = await a.RequestAsync(new ControlRequest { Command = ControlRequest.Close, Hit = "2001:20::1" });
        Assert.False(closeNothing.Ok);
        Assert.Contains("no association with 2001:20::1", closeNothing.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StoppingAnswersPendingConnectsAndClosesAssociations()
    {
        using var a = new InProcessDaemon();
        using var b = new InProcessDaemon();
        a.Daemon.AddPeerLocator(b.Daemon.LocalHit, b.Address);
        var silent = TransportAddress.Udp(IPAddress.Loopback, (ushort)Ports.FreeUdpPort());
        a.Daemon.AddPeerLocator(Hipnat.Wire.Hit.Parse("2001:20::77"), silent);
        a.Daemon.Start();
        b.Daemon.Start();
        Assert.True((await a.RequestAsync(new ControlRequest { Command = ControlRequest.Connect, Hit = b.Hit })).Ok);

        var pending = a.RequestAsync(new ControlRequest { Command = ControlRequest.Connect, Hit = "2001:20::77", TimeoutSeconds = 60 });
        await Task.Delay(200, TestContext.Current.CancellationToken);
        a.Daemon.Stop(TimeSpan.FromSeconds(1));
        var r = await pending;
        Assert.False(r.Ok);
        Assert.Equal("the daemon is stopping", r.Error);
        Assert.True(a.Daemon.Completion.IsCompletedSuccessfully);

        // B saw the CLOSE sent at shutdown.
        await EndToEndTests.WaitUntilAsync(async () => (await b.StatusAsync()).Associations.All(x => x.State != "ESTABLISHED"), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task InvokeRunsOnTheDriverThread()
    {
        using var a = new InProcessDaemon();
        a.Daemon.Start();
        var name = await a.Daemon.InvokeAsync(_ => Thread.CurrentThread.Name);
        Assert.Equal("hipnat-driver", name);
        await Assert.ThrowsAsync<InvalidOperationException>(() => a.Daemon.InvokeAsync<int>(_ => throw new InvalidOperationException("x")));
        Assert.Equal("hipnat-driver", await a.Daemon.InvokeAsync(_ => Thread.CurrentThread.Name));
    }
}
