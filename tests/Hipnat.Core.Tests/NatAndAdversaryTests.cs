using System.Net;
using Hipnat.Core.Association;
using Hipnat.Core.Host;
using Hipnat.Core.Transport;
using Hipnat.Simulator;
using Hipnat.Simulator.Hip;
using DropReason = Hipnat.Core.Host.DropReason;

namespace Hipnat.Core.Tests;

public class NatAndAdversaryTests
{
    public static TheoryData<string> NatKinds => new() { "FullCone", "RestrictedCone", "PortRestrictedCone", "Symmetric" };

    private static NatBehavior Behavior(string kind) => kind switch
    {
        "FullCone" => NatBehavior.FullCone,
        "RestrictedCone" => NatBehavior.RestrictedCone,
        "PortRestrictedCone" => NatBehavior.PortRestrictedCone,
        _ => NatBehavior.Symmetric,
    };

    [Theory]
    [MemberData(nameof(NatKinds))]
    public void InitiatorBehindEachNatTypeReachesAPublicResponder(string kind)
    {
        var sim = new Simulation(5);
        var net = sim.AddRealm("public", "203.0.113.0/24", LinkProfile.WithDelay(TimeSpan.FromMilliseconds(10)));
        var lan = sim.AddRealm("lan", "198.18.0.0/24", LinkProfile.WithDelay(TimeSpan.FromMilliseconds(1)));
        var nat = sim.AddNat("nat", lan, net, Behavior(kind), IPAddress.Parse("203.0.113.1"));
        var a = new HipSimNode(new HipHost(new HipHostOptions { Identity = SimPair.IdentityA }));
        var b = new HipSimNode(new HipHost(new HipHostOptions { Identity = SimPair.IdentityB }));
        a.Attach(sim.AddHost("A", a, lan, IPAddress.Parse("198.18.0.10")));
        b.Attach(sim.AddHost("B", b, net, IPAddress.Parse("203.0.113.20")));
        a.Host.AddPeerLocator(b.Host.LocalHit, TransportAddress.Udp(IPAddress.Parse("203.0.113.20"), 10500));
        a.Invoke((h, now) => h.Connect(b.Host.LocalHit, now));
        Assert.True(sim.RunUntil(() => a.Host.GetState(b.Host.LocalHit) == AssociationState.Established, TimeSpan.FromSeconds(10)));

        // The responder sees the NAT's public address as the initiator's locator.
        var seen = b.Host.GetAssociation(a.Host.LocalHit)!;
        Assert.Equal(IPAddress.Parse("203.0.113.1"), seen.PeerAddress!.Value.Address);
        Assert.True(nat.Statistics.MappingsCreated >= 1);
    }

    /// <summary>Flips one octet of the first I2 on the wire; the responder must drop it without creating state.</summary>
    [Theory]
    [InlineData("signature")]
    [InlineData("mac")]
    [InlineData("solution")]
    [InlineData("hostid")]
    public void TamperedI2IsDroppedBeforeAnyState(string where)
    {
        var p = new SimPair(9, null, id => new HipHostOptions { Identity = id, I2RetriesMax = 0 });
        var tamper = new TamperingNode(p.B, where);
        p.Sim.RemoveHost(p.Sim.Hosts[1]);
        tamper.Node.Attach(p.Sim.AddHost("B'", tamper, p.Net, p.AddrB));
        p.Connect(p.A, p.B);
        p.Sim.RunFor(TimeSpan.FromSeconds(5));
        Assert.Equal(AssociationState.Unassociated, p.B.Host.GetState(p.A.Host.LocalHit));
        Assert.Equal(0, p.B.Host.AssociationCount);
        var expected = where switch
        {
            "signature" => DropReason.BadSignature,
            "mac" => DropReason.BadMac,
            "solution" => DropReason.BadPuzzle,
            _ => DropReason.HitMismatch,
        };

        // A flipped HOST_ID octet is either an invalid key (BadHostId) or a key whose HIT is not the sender's.
        long count = p.B.Host.Counters.Dropped(expected) + (where == "hostid" ? p.B.Host.Counters.Dropped(DropReason.BadHostId) : 0);
        Assert.Equal(1, count);
    }

    [Fact]
    public void GarbageNeverThrowsAndIsCounted()
    {
        var host = new HipHost(new HipHostOptions { Identity = SimPair.IdentityA });
        var rnd = new Random(1);
        var from = TransportAddress.Udp(IPAddress.Parse("203.0.113.9"), 10500);
        var local = TransportAddress.Udp(IPAddress.Parse("203.0.113.10"), 10500);
        for (int i = 0; i < 20_000; i++)
        {
            var buf = new byte[rnd.Next(0, 300)];
            rnd.NextBytes(buf);
            if (buf.Length > 44 && i % 2 == 0)
            {
                // Plausible framing and header so the parser goes deeper.
                buf[0] = buf[1] = buf[2] = buf[3] = 0;
                buf[4] = 59;
                buf[5] = (byte)((buf.Length - 4) / 8 - 1);
                buf[6] = (byte)(1 + (i % 4));
                buf[7] = 0x21;
                buf[8] = buf[9] = 0;
            }

            host.HandleDatagram(local, from, buf, TimeSpan.FromMilliseconds(i));
        }

        Assert.Equal(20_000, host.Counters.PacketsIn);
        Assert.Equal(20_000, host.Counters.DroppedTotal + host.Counters.PacketsOut);
        Assert.Equal(0, host.AssociationCount);
    }

    /// <summary>Wraps a node and corrupts one field of the first I2 it receives.</summary>
    private sealed class TamperingNode(HipSimNode inner, string where) : ISimNode
    {
        private bool _done;

        public HipSimNode Node => inner;

        public void OnDatagram(SimContext ctx, SimEndpoint local, SimEndpoint remote, ReadOnlySpan<byte> payload)
        {
            var copy = payload.ToArray();
            if (!_done && copy.Length > 44 && copy[4 + 2] == 3)
            {
                _done = true;
                int offset = Find(copy, where switch
                {
                    "signature" => Wire.Parameters.ParameterType.HipSignature,
                    "mac" => Wire.Parameters.ParameterType.HipMac,
                    "solution" => Wire.Parameters.ParameterType.Solution,
                    _ => Wire.Parameters.ParameterType.HostId,
                });
                copy[offset + 4 + (where == "hostid" ? 20 : 10)] ^= 0x40;
            }

            inner.OnDatagram(ctx, local, remote, copy);
        }

        public void OnTimer(SimContext ctx) => inner.OnTimer(ctx);

        private static int Find(byte[] udp, ushort type)
        {
            int pos = 4 + 40;
            while (pos + 4 <= udp.Length)
            {
                int t = (udp[pos] << 8) | udp[pos + 1];
                int len = (udp[pos + 2] << 8) | udp[pos + 3];
                if (t == type)
                {
                    return pos;
                }

                pos += 11 + len - ((len + 3) % 8);
            }

            throw new InvalidOperationException($"parameter {type} not found");
        }
    }
}
