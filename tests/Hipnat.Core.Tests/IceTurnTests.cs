using System.Buffers.Binary;
using System.Net;
using Hipnat.Core.Association;
using Hipnat.Core.Host;
using Hipnat.Core.Registration;
using Hipnat.Core.Transport;
using Hipnat.Simulator;
using Hipnat.Simulator.Hip;
using Hipnat.Wire.Parameters;

namespace Hipnat.Core.Tests;

/// <summary>
/// A relayed candidate the driver holds at a TURN-like server (RFC 8656): the core sends from the relayed address and
/// the driver relays. Here a test driver wraps such transmits as [peer address, port, data] to a minimal relay node,
/// which sends the data from the relayed address and wraps what arrives there the same way.
/// </summary>
public class IceTurnTests
{
    private static readonly IPAddress TurnAddress = IPAddress.Parse("203.0.113.5");
    private const ushort TurnPort = 3478;
    private const ushort RelayedPort = 50000;

    /// <summary>The relay: client traffic on 3478 leaves from RelayedPort; traffic to RelayedPort goes to the client.</summary>
    private sealed class TurnEmu : ISimNode
    {
        public SimEndpoint? Client { get; private set; }

        public int Forwarded { get; private set; }

        public void OnDatagram(SimContext ctx, SimEndpoint local, SimEndpoint remote, ReadOnlySpan<byte> payload)
        {
            if (local.Port == TurnPort && payload.Length >= 6)
            {
                Client = remote;
                var peer = new SimEndpoint(new IPAddress(payload[..4]), BinaryPrimitives.ReadUInt16BigEndian(payload[4..]));
                ctx.Send(new SimEndpoint(TurnAddress, RelayedPort), peer, payload[6..].ToArray());
                Forwarded++;
            }
            else if (local.Port == RelayedPort && Client is { } client)
            {
                var wrapped = new byte[payload.Length + 6];
                remote.Address.GetAddressBytes().CopyTo(wrapped, 0);
                BinaryPrimitives.WriteUInt16BigEndian(wrapped.AsSpan(4), (ushort)remote.Port);
                payload.CopyTo(wrapped.AsSpan(6));
                ctx.Send(new SimEndpoint(TurnAddress, TurnPort), client, wrapped);
                Forwarded++;
            }
        }

        public void OnTimer(SimContext ctx)
        {
        }
    }

    /// <summary>A driver like the daemon's: transmits from the relayed address are wrapped for the relay, and
    /// wrapped datagrams from the relay are handed to the core as arriving on the relayed address.</summary>
    private sealed class TurnDriver(HipSimNode inner, TransportAddress relayed) : ISimNode
    {
        public void OnDatagram(SimContext ctx, SimEndpoint local, SimEndpoint remote, ReadOnlySpan<byte> payload)
        {
            if (remote.Address.Equals(TurnAddress) && remote.Port == TurnPort && payload.Length >= 6)
            {
                var peer = new SimEndpoint(new IPAddress(payload[..4]), BinaryPrimitives.ReadUInt16BigEndian(payload[4..]));
                inner.OnDatagram(ctx, new SimEndpoint(relayed.Address, relayed.Port), peer, payload[6..]);
                return;
            }

            inner.OnDatagram(ctx, local, remote, payload);
        }

        public void OnTimer(SimContext ctx) => inner.OnTimer(ctx);
    }

    /// <summary>The driver's outbound half: transmits from the relayed address go wrapped to the relay.</summary>
    private static Func<SimContext, SimEndpoint, SimEndpoint, byte[], bool> WrapForTurn(IPAddress hostAddress) => (ctx, from, to, payload) =>
    {
        if (!from.Address.Equals(TurnAddress))
        {
            return false;
        }

        var wrapped = new byte[payload.Length + 6];
        to.Address.GetAddressBytes().CopyTo(wrapped, 0);
        BinaryPrimitives.WriteUInt16BigEndian(wrapped.AsSpan(4), (ushort)to.Port);
        payload.CopyTo(wrapped.AsSpan(6));
        ctx.Send(new SimEndpoint(hostAddress, 10500), new SimEndpoint(TurnAddress, TurnPort), wrapped);
        return true;
    };

    [Fact]
    public void BetweenTwoSymmetricNatsAPairThroughTheTurnRelayedCandidateIsSelected()
    {
        var registrar = new RegistrarOptions { AllowAnyone = true };
        var t = new RelayTopology(NatBehavior.Symmetric, NatBehavior.Symmetric, seed: 3, registrar: registrar);
        Assert.True(t.Register(t.B, TimeSpan.FromMinutes(10)));
        var turn = new TurnEmu();
        t.Sim.AddHost("turn", turn, t.Public, TurnAddress);

        var relayed = TransportAddress.Udp(TurnAddress, RelayedPort);
        var driver = new TurnDriver(t.A, relayed);
        t.Sim.RemoveHost(t.Sim.Hosts.First(h => h.Name == "A"));
        var hostA = t.Sim.AddHost("A'", driver, t.LanA, RelayTopology.HostAAddress);
        t.A.Attach(hostA);
        t.A.Host.AddLocalCandidate(relayed, relayed, CandidateKind.Relayed);

        t.A.SendFilter = WrapForTurn(RelayTopology.HostAAddress);

        t.A.Host.AddPeerLocator(t.B.Host.LocalHit, TransportAddress.Udp(RelayTopology.RelayAddress, 10500));
        t.A.Invoke((h, now) => h.Connect(t.B.Host.LocalHit, now));
        Assert.True(t.Sim.RunUntil(() => t.A.Events.Any(e => e is IceCompleted), TimeSpan.FromSeconds(15)), t.Sim.TraceText());
        var done = t.A.Events.OfType<IceCompleted>().Single();
        Assert.True(done.Relayed, done.Pair);
        var iceA = t.A.Host.GetIceSession(t.B.Host.LocalHit)!;
        Assert.Equal(relayed, iceA.Selected!.Local.Address);
        Assert.True(turn.Forwarded > 0);

        // Control traffic now flows through the TURN relay, not the HIP relay.
        t.Sim.RunFor(TimeSpan.FromSeconds(1));
        long viaHipRelay = t.Relay.Host.Counters.Relayed;
        int viaTurn = turn.Forwarded;
        t.B.Invoke((h, now) => h.Rekey(t.A.Host.LocalHit, now));
        Assert.True(t.Sim.RunUntil(() => t.B.Events.Any(e => e is UpdateCompleted), TimeSpan.FromSeconds(5)), t.Sim.TraceText());
        Assert.Equal(viaHipRelay, t.Relay.Host.Counters.Relayed);
        Assert.True(turn.Forwarded > viaTurn);
        Assert.Equal(AssociationState.Established, t.B.Host.GetState(t.A.Host.LocalHit));
    }

    [Fact]
    public void ATurnCandidateGainedAfterTheBaseExchangeIsOfferedByUpdateAndSelected()
    {
        var registrar = new RegistrarOptions { AllowAnyone = true };
        var t = new RelayTopology(NatBehavior.Symmetric, NatBehavior.Symmetric, seed: 4, registrar: registrar);
        Assert.True(t.Register(t.B, TimeSpan.FromMinutes(10)));
        var turn = new TurnEmu();
        t.Sim.AddHost("turn", turn, t.Public, TurnAddress);
        var relayed = TransportAddress.Udp(TurnAddress, RelayedPort);
        var driver = new TurnDriver(t.B, relayed);
        t.Sim.RemoveHost(t.Sim.Hosts.First(h => h.Name == "B"));
        var hostB = t.Sim.AddHost("B'", driver, t.LanB, RelayTopology.HostBAddress);
        t.B.Attach(hostB);
        t.B.SendFilter = WrapForTurn(RelayTopology.HostBAddress);

        // No relayed candidate yet: between two symmetric NATs nothing can work.
        t.A.Host.AddPeerLocator(t.B.Host.LocalHit, TransportAddress.Udp(RelayTopology.RelayAddress, 10500));
        t.A.Invoke((h, now) => h.Connect(t.B.Host.LocalHit, now));
        Assert.True(t.Sim.RunUntil(() => t.B.Host.GetState(t.A.Host.LocalHit) == AssociationState.Established, TimeSpan.FromSeconds(5)));
        t.Sim.RunFor(TimeSpan.FromSeconds(3));
        Assert.DoesNotContain(t.A.Events, e => e is IceCompleted);

        // The responder's TURN allocation completes now: it is offered in an UPDATE and the initiator nominates it.
        t.B.Invoke((h, now) => h.AddLocalCandidate(relayed, relayed, CandidateKind.Relayed, now));
        Assert.True(t.Sim.RunUntil(() => t.A.Events.Any(e => e is IceCompleted), TimeSpan.FromSeconds(10)), t.Sim.TraceText());
        var iceA = t.A.Host.GetIceSession(t.B.Host.LocalHit)!;
        Assert.Equal(relayed, iceA.Selected!.Remote.Address);
        Assert.Contains(iceA.CheckList.RemoteCandidates, c => c.Address == relayed && c.Type == CandidateKind.Relayed);
        Assert.True(turn.Forwarded > 0);

        // Control traffic now goes through the TURN relay.
        long viaHipRelay = t.Relay.Host.Counters.Relayed;
        t.A.Invoke((h, now) => h.Rekey(t.B.Host.LocalHit, now));
        Assert.True(t.Sim.RunUntil(() => t.A.Events.Any(e => e is UpdateCompleted { Rekeyed: true }), TimeSpan.FromSeconds(5)), t.Sim.TraceText());
        Assert.Equal(viaHipRelay, t.Relay.Host.Counters.Relayed);
    }
}
