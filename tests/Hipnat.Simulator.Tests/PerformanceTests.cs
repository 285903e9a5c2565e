using System.Diagnostics;
using static Hipnat.Simulator.Tests.Net;

namespace Hipnat.Simulator.Tests;

public class PerformanceTests
{
    /// <summary>Sends a ping to its server on a timer, then a new ping per pong until it has had <see cref="Rounds"/> pongs.</summary>
    private sealed class PingNode(SimEndpoint server) : ISimNode
    {
        public const int Rounds = 10;

        private readonly byte[] _payload = new byte[64];

        public int Pongs { get; private set; }

        public void OnDatagram(SimContext ctx, SimEndpoint local, SimEndpoint remote, ReadOnlySpan<byte> payload)
        {
            if (++Pongs < Rounds)
            {
                ctx.Send(local, server, _payload);
            }
        }

        public void OnTimer(SimContext ctx) => ctx.Send(ctx.Host.Endpoint(4000), server, _payload);
    }

    [Fact]
    public void Twenty_thousand_nodes_ping_pong_in_a_few_seconds()
    {
        var stopwatch = Stopwatch.StartNew();
        var sim = new Simulation(2024);
        var internet = sim.AddRealm("internet", "1.0.0.0/8", new LinkProfile { Delay = Ms(5), Jitter = Ms(2) });
        var clients = new List<PingNode>();
        for (int lanIndex = 0; lanIndex < 100; lanIndex++)
        {
            var lan = sim.AddRealm($"lan{lanIndex}", "10.0.0.0/16", LinkProfile.WithDelay(Ms(1)));
            sim.AddNat($"nat{lanIndex}", lan, internet, NatBehavior.PortRestrictedCone, internet.AllocateAddress());
            for (int i = 0; i < 100; i++)
            {
                var serverHost = sim.AddHost($"server{lanIndex}.{i}", new EchoNode(), internet, internet.AllocateAddress());
                var client = new PingNode(serverHost.Endpoint(7));
                clients.Add(client);
                var clientHost = sim.AddHost($"client{lanIndex}.{i}", client, lan, lan.AllocateAddress());
                clientHost.Context.SetTimer(sim.Random.NextTimeSpan(S(1)));
            }
        }

        Assert.Equal(20_000, sim.Hosts.Count);
        sim.Run(S(60));
        stopwatch.Stop();

        Assert.All(clients, c => Assert.Equal(PingNode.Rounds, c.Pongs));
        Assert.Equal(200_000, sim.Statistics.Delivered);
        Assert.Equal(0, sim.Statistics.Dropped);
        Assert.Equal(10_000, sim.Nats.Sum(n => n.ActiveMappingCount));
        Assert.True(stopwatch.Elapsed < S(20), $"took {stopwatch.Elapsed}");
    }
}
