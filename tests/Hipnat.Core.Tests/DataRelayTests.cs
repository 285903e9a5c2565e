using System.Buffers.Binary;
using Hipnat.Core.Association;
using Hipnat.Core.Host;
using Hipnat.Core.Registration;
using Hipnat.Core.Transport;
using Hipnat.Simulator;
using Hipnat.Simulator.Hip;
using Hipnat.Wire.Parameters;
using DropReason = Hipnat.Core.Host.DropReason;

namespace Hipnat.Core.Tests;

public class DataRelayTests
{
    /// <summary>Counts ESP datagrams that reach a host (there is no data plane in the core).</summary>
    private sealed class EspTap(HipSimNode inner) : ISimNode
    {
        public List<(SimEndpoint From, uint Spi, int Length)> Esp { get; } = [];

        public void OnDatagram(SimContext ctx, SimEndpoint local, SimEndpoint remote, ReadOnlySpan<byte> payload)
        {
            if (payload.Length >= 8 && BinaryPrimitives.ReadUInt32BigEndian(payload) != 0)
            {
                Esp.Add((remote, BinaryPrimitives.ReadUInt32BigEndian(payload), payload.Length));
                return;
            }

            inner.OnDatagram(ctx, local, remote, payload);
        }

        public void OnTimer(SimContext ctx) => inner.OnTimer(ctx);
    }

    private static byte[] FakeEsp(uint spi, int length)
    {
        var b = new byte[length];
        BinaryPrimitives.WriteUInt32BigEndian(b, spi);
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(4), 1);
        return b;
    }

    [Fact]
    public void EspBetweenTwoSymmetricNatsFlowsThroughTheRelayedAddressOnlyWithPermission()
    {
        var registrar = new RegistrarOptions
        {
            AllowAnyone = true,
            Services = [RegistrationType.RelayUdpHip, RegistrationType.RelayUdpEsp],
        };
        // Plain UDP encapsulation: no ICE installs permissions on its own, so the permission rules show alone.
        var t = new RelayTopology(NatBehavior.Symmetric, NatBehavior.Symmetric, registrar: registrar, hostModes: [NatTraversalMode.UdpEncapsulation]);
        var tapA = new EspTap(t.A);
        var tapB = new EspTap(t.B);
        t.Sim.RemoveHost(t.Sim.Hosts.First(h => h.Name == "A"));
        t.Sim.RemoveHost(t.Sim.Hosts.First(h => h.Name == "B"));
        t.A.Attach(t.Sim.AddHost("A'", tapA, t.LanA, RelayTopology.HostAAddress));
        t.B.Attach(t.Sim.AddHost("B'", tapB, t.LanB, RelayTopology.HostBAddress));

        Assert.True(t.Register(t.B, TimeSpan.FromMinutes(10), RegistrationType.RelayUdpHip, RegistrationType.RelayUdpEsp));
        var esp = t.B.Events.OfType<RegistrationGranted>().Single(g => g.Type == RegistrationType.RelayUdpEsp);
        var relayed = Assert.NotNull(esp.Relayed);
        Assert.Equal(RelayTopology.RelayAddress, relayed.Address);
        Assert.InRange(relayed.Port, 40000, 49999);
        Assert.Contains(t.Relay.Events, e => e is RelayedPortChanged { Open: true });

        t.A.Host.AddPeerLocator(t.B.Host.LocalHit, TransportAddress.Udp(RelayTopology.RelayAddress, 10500));
        t.A.Invoke((h, now) => h.Connect(t.B.Host.LocalHit, now));
        Assert.True(t.Sim.RunUntil(() => t.B.Host.GetState(t.A.Host.LocalHit) == AssociationState.Established, TimeSpan.FromSeconds(10)));
        var atB = t.B.Host.GetAssociation(t.A.Host.LocalHit)!;
        var atA = t.A.Host.GetAssociation(t.B.Host.LocalHit)!;
        uint aToB = atA.SaPairs[0].OutboundSpi; // = B's inbound
        uint bToA = atB.SaPairs[0].OutboundSpi; // = A's inbound

        // Before any permission: ESP to the relayed address is dropped at the relay.
        var relaySim = t.Sim.Hosts.First(h => h.Name == "relay");
        t.Sim.Hosts.First(h => h.Name == "A'").Context.Send(new SimEndpoint(RelayTopology.HostAAddress, 10500), new SimEndpoint(relayed.Address, relayed.Port), FakeEsp(aToB, 100));
        t.Sim.RunFor(TimeSpan.FromSeconds(1));
        Assert.Empty(tapB.Esp);
        Assert.Equal(1, t.Relay.Host.Counters.Dropped(DropReason.NoPermission));

        // B installs a permission for A (A's address as the relay saw it) and the SPIs of the SA pair.
        var aSeen = atB.Pairs.First(p => p.RelayedTo is not null).RelayedTo!.Value;
        bool asked = false;
        t.B.Invoke((h, now) => asked = h.RequestPeerPermission(t.Relay.Host.LocalHit, aSeen, bToA, aToB, now));
        Assert.True(asked);
        t.Sim.RunFor(TimeSpan.FromSeconds(1));
        var perm = Assert.Single(t.Relay.Host.GetRegisteredClient(t.B.Host.LocalHit)!.ByOutboundSpi.Values);
        Assert.Equal(aToB, perm.InboundSpi);

        // A -> relayed address -> B, and B -> relay -> A (from the relayed address).
        var hostA = t.Sim.Hosts.First(h => h.Name == "A'");
        for (int i = 0; i < 5; i++)
        {
            hostA.Context.Send(new SimEndpoint(RelayTopology.HostAAddress, 10500), new SimEndpoint(relayed.Address, relayed.Port), FakeEsp(aToB, 200));
        }

        t.Sim.RunFor(TimeSpan.FromSeconds(1));
        Assert.Equal(5, tapB.Esp.Count(e => e.Spi == aToB && e.Length == 200));
        Assert.All(tapB.Esp, e => Assert.Equal(RelayTopology.RelayAddress, e.From.Address));

        var hostB = t.Sim.Hosts.First(h => h.Name == "B'");
        for (int i = 0; i < 3; i++)
        {
            hostB.Context.Send(new SimEndpoint(RelayTopology.HostBAddress, 10500), new SimEndpoint(RelayTopology.RelayAddress, 10500), FakeEsp(bToA, 300));
        }

        t.Sim.RunFor(TimeSpan.FromSeconds(1));
        Assert.Equal(3, tapA.Esp.Count(e => e.Spi == bToA));
        Assert.All(tapA.Esp, e => Assert.Equal(relayed.Port, e.From.Port));
        Assert.Equal(8, t.Relay.Host.Counters.EspRelayed);

        // An unknown SPI from B is not forwarded.
        hostB.Context.Send(new SimEndpoint(RelayTopology.HostBAddress, 10500), new SimEndpoint(RelayTopology.RelayAddress, 10500), FakeEsp(0xdeadbeef, 300));
        t.Sim.RunFor(TimeSpan.FromSeconds(1));
        Assert.Equal(3, tapA.Esp.Count);
        Assert.Equal(2, t.Relay.Host.Counters.Dropped(DropReason.NoPermission));

        // RFC 9028 §4.12.1: a permission per peer address. B also permits another address of A (a second uplink):
        // both are permitted for the SPI pair, B's ESP goes to the newest, and ESP from the first still reaches B.
        var second = TransportAddress.Udp(System.Net.IPAddress.Parse("203.0.113.30"), 10500);
        t.B.Invoke((h, now) => asked = h.RequestPeerPermission(t.Relay.Host.LocalHit, second, bToA, aToB, now));
        Assert.True(asked);
        t.Sim.RunFor(TimeSpan.FromSeconds(1));
        perm = Assert.Single(t.Relay.Host.GetRegisteredClient(t.B.Host.LocalHit)!.ByOutboundSpi.Values);
        Assert.Equal(second, perm.Peer);
        Assert.True(perm.Permits(aSeen.Address, t.Sim.Now));
        Assert.True(perm.Permits(second.Address, t.Sim.Now));
        hostA.Context.Send(new SimEndpoint(RelayTopology.HostAAddress, 10500), new SimEndpoint(relayed.Address, relayed.Port), FakeEsp(aToB, 210));
        t.Sim.RunFor(TimeSpan.FromSeconds(1));
        Assert.Equal(1, tapB.Esp.Count(e => e.Length == 210));
        Assert.Equal(aSeen.Address, perm.Peer.Address); // the peer's ESP came from its first address: B's goes there again

        // A's NAT maps A anew towards the relayed address (endpoint-dependent mapping) and A sends nothing (a peer that
        // only answers, whose answers wait for B's ESP): B names the new port, and B's ESP goes there at once.
        var latched = perm.Peer;
        var remapped = TransportAddress.Udp(aSeen.Address, (ushort)(latched.Port == 61000 || aSeen.Port == 61000 ? 61001 : 61000));
        t.B.Invoke((h, now) => asked = h.RequestPeerPermission(t.Relay.Host.LocalHit, remapped, bToA, aToB, now));
        Assert.True(asked);
        t.Sim.RunFor(TimeSpan.FromSeconds(0.5));
        Assert.Equal(remapped, perm.Peer);
        var bReg = t.B.Host.FindAssociation(t.Relay.Host.LocalHit)!.ClientRegistrations.Single(r => r.Type == RegistrationType.RelayUdpEsp);
        Assert.Equal(remapped, Assert.Single(bReg.Permissions, p => p.Peer.Address.Equals(aSeen.Address)).Peer); // one per address: the latest port

        // While A's ESP comes in, it shows where A is reachable from the relayed port: B naming another port of A's
        // address does not move B's ESP away from it.
        for (int i = 0; i < 3; i++)
        {
            hostA.Context.Send(new SimEndpoint(RelayTopology.HostAAddress, 10500), new SimEndpoint(relayed.Address, relayed.Port), FakeEsp(aToB, 220));
        }

        t.B.Invoke((h, now) => asked = h.RequestPeerPermission(t.Relay.Host.LocalHit, aSeen, bToA, aToB, now));
        t.Sim.RunFor(TimeSpan.FromSeconds(0.2));
        Assert.Equal(3, tapB.Esp.Count(e => e.Length == 220));
        Assert.Equal(latched, perm.Peer);
        _ = relaySim;
    }

    [Fact]
    public void PermissionFromAClientWithoutDataRelayRegistrationIsRefused()
    {
        var t = new RelayTopology();
        Assert.True(t.Register(t.B, TimeSpan.FromMinutes(10)));
        bool asked = true;
        t.B.Invoke((h, now) => asked = h.RequestPeerPermission(t.Relay.Host.LocalHit, TransportAddress.Udp(RelayTopology.NatAPublic, 1), 1000, 2000, now));
        Assert.False(asked); // no RELAY_UDP_ESP registration on our side
    }
}
