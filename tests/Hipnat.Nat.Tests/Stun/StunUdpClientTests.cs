using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Hipnat.Nat.Stun;

namespace Hipnat.Nat.Tests.Stun;

/// <summary>The real-socket driver, against the sans-IO <see cref="StunServer"/> on a loopback socket.</summary>
public class StunUdpClientTests
{
    [Fact]
    public async Task BindsAgainstALoopbackResponder()
    {
        using var serverSocket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        serverSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var serverEndPoint = (IPEndPoint)serverSocket.LocalEndPoint!;
        var responder = Task.Run(() =>
        {
            // Answer exactly one request with the sans-IO responder.
            var buffer = new byte[1500];
            EndPoint remote = new IPEndPoint(IPAddress.Any, 0);
            serverSocket.ReceiveTimeout = 10_000;
            int n = serverSocket.ReceiveFrom(buffer, ref remote);
            var result = new StunServer().Handle((IPEndPoint)remote, buffer.AsSpan(0, n));
            serverSocket.SendTo(result.Response!, remote);
        }, TestContext.Current.CancellationToken);

        using var client = new StunUdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var bound = client.Bind(serverEndPoint, TimeSpan.FromSeconds(10));
        await responder;
        Assert.True(bound.Succeeded, bound.ToString());
        Assert.Equal(client.LocalEndPoint, bound.MappedAddress);
        Assert.Equal(serverEndPoint, bound.Server);
        Assert.Equal(1, bound.Transmissions);
    }

    [Fact]
    public void SilentServerTimesOutWithinTheGivenTime()
    {
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        silent.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var options = new StunBindingClientOptions
        {
            Retransmission = new StunRetransmissionOptions { InitialRto = TimeSpan.FromMilliseconds(50), Rc = 3, Rm = 2 },
        };
        using var client = new StunUdpClient(new IPEndPoint(IPAddress.Loopback, 0), options);
        var watch = Stopwatch.StartNew();
        var results = client.BindAll([(IPEndPoint)silent.LocalEndPoint!, (IPEndPoint)silent.LocalEndPoint!], TimeSpan.FromSeconds(5));
        Assert.All(results, r => Assert.Equal(StunBindingOutcome.Timeout, r.Outcome));
        Assert.All(results, r => Assert.Equal(3, r.Transmissions)); // the sans-IO schedule: 0, 50, 150 ms, failure at 250 ms
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(4), $"took {watch.Elapsed}");
        Assert.Equal(0, client.Binding.PendingCount);
    }

    [Fact]
    public void OverallTimeoutCutsALongSchedule()
    {
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        silent.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var client = new StunUdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var result = client.Bind((IPEndPoint)silent.LocalEndPoint!, TimeSpan.FromMilliseconds(300));
        Assert.Equal(StunBindingOutcome.Timeout, result.Outcome);
        Assert.Equal(0, client.Binding.PendingCount);
    }
}
