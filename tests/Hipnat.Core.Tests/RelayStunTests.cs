using System.Net;
using Hipnat.Nat.Stun;
using Hipnat.Simulator;

namespace Hipnat.Core.Tests;

public class RelayStunTests
{
    /// <summary>A STUN client node behind a NAT asking the relay for its reflexive address.</summary>
    private sealed class StunNode : ISimNode
    {
        public StunBindingClient Client { get; } = new();

        public List<StunBindingResult> Results { get; } = [];

        public void OnDatagram(SimContext ctx, SimEndpoint local, SimEndpoint remote, ReadOnlySpan<byte> payload)
        {
            Client.HandleDatagram(new IPEndPoint(remote.Address, remote.Port), payload, ctx.Now);
            Flush(ctx);
        }

        public void OnTimer(SimContext ctx)
        {
            Client.HandleTimeout(ctx.Now);
            Flush(ctx);
        }

        public void Flush(SimContext ctx)
        {
            while (Client.TryPollTransmit(out var t))
            {
                ctx.Send(new SimEndpoint(ctx.Address, 5555), new SimEndpoint(t.Destination.Address, t.Destination.Port), t.Payload);
            }

            while (Client.TryPollResult(out var r))
            {
                Results.Add(r);
            }

            if (Client.NextTimeout is TimeSpan due)
            {
                ctx.SetTimer(due);
            }
        }
    }

    [Fact]
    public void RelayAnswersStunBindingWithTheNatsPublicAddress()
    {
        var t = new RelayTopology();
        var node = new StunNode();
        var host = t.Sim.AddHost("stun-client", node, t.LanA, IPAddress.Parse("198.18.1.50"));
        node.Client.Start(new IPEndPoint(RelayTopology.RelayAddress, 10500), t.Sim.Now);
        node.Flush(host.Context);
        Assert.True(t.Sim.RunUntil(() => node.Results.Count > 0, TimeSpan.FromSeconds(5)));
        var r = node.Results[0];
        Assert.True(r.Succeeded, r.ToString());
        Assert.Equal(RelayTopology.NatAPublic, r.MappedAddress!.Address);
        Assert.Equal(1, t.Relay.Host.Counters.StunAnswered);
    }
}
