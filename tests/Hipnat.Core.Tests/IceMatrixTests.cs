using System.Net;
using Hipnat.Core.Host;
using Hipnat.Core.Registration;
using Hipnat.Core.Transport;
using Hipnat.Crypto;
using Hipnat.Simulator;
using Hipnat.Simulator.Hip;
using Hipnat.Wire.Parameters;

namespace Hipnat.Core.Tests;

/// <summary>
/// ICE across every RFC 4787 mapping × filtering behaviour on both sides (the fast form of the NAT matrix in
/// docs/nat-matrix.md, which `scripts/nat-matrix.sh` regenerates with 20 seeds per cell): a relay offering
/// RELAY_UDP_HIP and RELAY_UDP_ESP, both hosts registered for both, so every cell has relayed candidates to fall
/// back on. A pair is always selected; direct when both mappings are endpoint-independent; relayed when both NATs
/// are address-and-port-dependent in mapping and filtering; after a direct selection the relay carries nothing of
/// the association.
/// </summary>
public class IceMatrixTests
{
    private static readonly MappingBehavior[] Mappings = [MappingBehavior.EndpointIndependent, MappingBehavior.AddressDependent, MappingBehavior.AddressAndPortDependent];
    private static readonly FilteringBehavior[] Filterings = [FilteringBehavior.EndpointIndependent, FilteringBehavior.AddressDependent, FilteringBehavior.AddressAndPortDependent];

    private static readonly IPAddress RelayAddress = IPAddress.Parse("203.0.113.1");
    private static readonly IPAddress NatAPublic = IPAddress.Parse("203.0.113.10");
    private static readonly IPAddress NatBPublic = IPAddress.Parse("203.0.113.20");
    private static readonly IPAddress PrivateA = IPAddress.Parse("198.18.1.10");
    private static readonly IPAddress PrivateB = IPAddress.Parse("198.18.2.10");

    public static TheoryData<int, int> Cells()
    {
        var d = new TheoryData<int, int>();
        for (int a = 0; a < 9; a++)
        {
            for (int b = 0; b < 9; b++)
            {
                d.Add(a, b);
            }
        }

        return d;
    }

    private static NatBehavior Behavior(int i) => new() { Mapping = Mappings[i / 3], Filtering = Filterings[i % 3] };

    private static string Label(NatBehavior? n) => n is null ? "no NAT" : $"{n.Mapping}/{n.Filtering}";

    /// <summary>The relay and the two hosts, registered, before the base exchange.</summary>
    private sealed class World
    {
        public World(NatBehavior? natA, NatBehavior? natB, long seed, bool jitter = true)
        {
            var j = jitter ? TimeSpan.FromMilliseconds(5) : TimeSpan.Zero;
            Sim = new Simulation(seed) { TraceEnabled = true };
            var pub = Sim.AddRealm("public", "203.0.113.0/24", new LinkProfile { Delay = TimeSpan.FromMilliseconds(5), Jitter = j });
            Relay = new HipSimNode(new HipHost(new HipHostOptions
            {
                Identity = RelayIdentity.Value,
                RandomSeed = (int)seed,
                Registrar = new RegistrarOptions { AllowAnyone = true, Services = [RegistrationType.RelayUdpHip, RegistrationType.RelayUdpEsp] },
            }));
            Relay.Attach(Sim.AddHost("relay", Relay, pub, RelayAddress));
            A = Side("A", natA, SimPair.IdentityA, PrivateA, NatAPublic, pub, j, (int)seed + 1);
            B = Side("B", natB, SimPair.IdentityB, PrivateB, NatBPublic, pub, j, (int)seed + 2);
        }

        private static readonly Lazy<HostIdentity> RelayIdentity = new(() => HostIdentity.Generate(HostIdentityKind.EcdsaP256));

        public Simulation Sim { get; }

        public HipSimNode Relay { get; }

        public HipSimNode A { get; }

        public HipSimNode B { get; }

        public long RelayForwarded => Relay.Host.Counters.Relayed + Relay.Host.Counters.EspRelayed;

        private HipSimNode Side(string name, NatBehavior? nat, HostIdentity id, IPAddress priv, IPAddress pubAddr, Realm pub, TimeSpan jitter, int seed)
        {
            Realm realm = pub;
            var addr = pubAddr;
            if (nat is not null)
            {
                addr = priv;
                realm = Sim.AddRealm("lan" + name, name == "A" ? "198.18.1.0/24" : "198.18.2.0/24", new LinkProfile { Delay = TimeSpan.FromMilliseconds(1), Jitter = jitter });
                var box = Sim.AddNat("nat" + name, realm, pub, nat, pubAddr);
                box.Profile = new LinkProfile { Delay = TimeSpan.FromMilliseconds(20), Jitter = jitter };
            }

            var node = new HipSimNode(new HipHost(new HipHostOptions { Identity = id, RandomSeed = seed, LocalLocators = [TransportAddress.Udp(addr, 10500)] }));
            node.Attach(Sim.AddHost(name, node, realm, addr));
            node.Host.AddPeerLocator(Relay.Host.LocalHit, TransportAddress.Udp(RelayAddress, 10500));
            return node;
        }

        public void RegisterBoth()
        {
            foreach (var n in new[] { A, B })
            {
                n.Invoke((h, now) => h.Register(Relay.Host.LocalHit, [RegistrationType.RelayUdpHip, RegistrationType.RelayUdpEsp], TimeSpan.FromMinutes(10), now));
            }

            Assert.True(Sim.RunUntil(() => A.Events.Count(e => e is RegistrationGranted) >= 2 && B.Events.Count(e => e is RegistrationGranted) >= 2, TimeSpan.FromSeconds(10)));
            Sim.RunFor(TimeSpan.FromSeconds(1));
            Sim.ClearTrace();
        }

        /// <summary>A opens a base exchange with B through the relay; runs until A's nomination is answered (both
        /// sides selected a pair) or <paramref name="timeout"/>. Returns the time of the first I1.</summary>
        public TimeSpan ConnectAndSelect(TimeSpan timeout)
        {
            A.Host.AddPeerLocator(B.Host.LocalHit, TransportAddress.Udp(RelayAddress, 10500));
            var i1 = Sim.Now;
            A.Invoke((h, now) => h.Connect(B.Host.LocalHit, now));
            Sim.RunUntil(() => A.Host.GetIceSession(B.Host.LocalHit) is { Concluded: true, Selected: not null } && B.Host.GetIceSession(A.Host.LocalHit)?.Selected is not null, timeout);
            return i1;
        }

        /// <summary>A former core problem, kept as a regression check: B's R2, forwarded by the relay from B's relayed port (because B's
        /// PEER_PERMISSION for A reached the relay first), is filtered by A's NAT, so A never completes the exchange.</summary>
        public bool R2FilteredFromRelayedPort() =>
            !A.Events.Any(e => e is AssociationEstablished x && x.Peer == B.Host.LocalHit) && Sim.Trace.Any(r => r is { Kind: TraceKind.Dropped, Reason: Simulator.DropReason.Filtered, Where: "natA" }
                && r.Source.Address.Equals(RelayAddress) && r.Source.Port is >= 40000 and <= 49999);
    }

    private const string R2BugNote =
        "the relay must forward a data-relay client's R2 (and anything but its ICE checks) from its own port, not from the client's relayed port, "
        + "even when the client's PEER_PERMISSION for the initiator reached the relay first; A's address-and-port-dependent filter would drop it";

    [Theory]
    [MemberData(nameof(Cells))]
    public void EveryCellSelectsAPairDirectWhereTheMappingsAllowIt(int a, int b)
    {
        var natA = Behavior(a);
        var natB = Behavior(b);
        // Two seeds per cell; every one must complete the base exchange (the R2 must not leave from a relayed port).
        int checkedSeeds = 0;
        for (long s = 1; s <= 2; s++)
        {
            long seed = (((a * 9) + b) * 10) + s;
            var w = new World(natA, natB, seed);
            w.RegisterBoth();
            w.ConnectAndSelect(TimeSpan.FromSeconds(8));
            string cell = $"A {Label(natA)}, B {Label(natB)}, seed {seed}";
            Assert.False(w.R2FilteredFromRelayedPort(), $"{cell}: {R2BugNote}");

            checkedSeeds++;
            var iceA = w.A.Host.GetIceSession(w.B.Host.LocalHit);
            var iceB = w.B.Host.GetIceSession(w.A.Host.LocalHit);
            Assert.True(iceA?.Selected is not null && iceB?.Selected is not null, $"{cell}: no pair selected (A {iceA?.Selected}, B {iceB?.Selected})");
            var pairA = iceA!.Selected!;
            var pairB = iceB!.Selected!;
            Assert.True(iceA.Concluded, cell);
            Assert.True(pairA.IsRelayed == pairB.IsRelayed, $"{cell}: A selected {pairA}, B selected {pairB}");

            bool eim = natA.Mapping == MappingBehavior.EndpointIndependent && natB.Mapping == MappingBehavior.EndpointIndependent;
            if (eim)
            {
                Assert.False(pairA.IsRelayed, $"{cell}: both mappings endpoint-independent, yet relayed: {pairA}");
            }

            static bool Symmetric(NatBehavior n) => n.Mapping == MappingBehavior.AddressAndPortDependent && n.Filtering == FilteringBehavior.AddressAndPortDependent;
            if (Symmetric(natA) && Symmetric(natB))
            {
                Assert.True(pairA.IsRelayed, $"{cell}: both NATs port-dependent in mapping and filtering, yet direct: {pairA}");
            }

            // Whatever the path, control traffic works on it; on a direct path none of it crosses the relay.
            w.Sim.RunFor(TimeSpan.FromSeconds(1)); // answers to checks in flight at the selection
            long relayed = w.RelayForwarded;
            w.A.Invoke((h, now) => h.Rekey(w.B.Host.LocalHit, now));
            Assert.True(w.Sim.RunUntil(() => w.A.Events.Any(e => e is UpdateCompleted), TimeSpan.FromSeconds(5)), cell);
            w.Sim.RunFor(TimeSpan.FromSeconds(2));
            if (!pairA.IsRelayed)
            {
                Assert.Equal(relayed, w.RelayForwarded);
            }
            else
            {
                Assert.True(w.RelayForwarded > relayed, $"{cell}: relayed pair selected but the relay forwarded nothing of the rekey");
            }
        }

        Assert.Equal(2, checkedSeeds);
    }

    /// <summary>The R2 problem on its own: B sends its R2 and, right after, the PEER_PERMISSION request for A; link
    /// jitter lets the request reach the relay first in some seeds (without jitter the R2 always wins the race).</summary>
    [Fact]
    public void R2ThroughTheRelayReachesAnInitiatorBehindAnAddressAndPortDependentFilter()
    {
        // EIM/APDF (port-restricted cone) at A, no NAT at B, seed 2: B's permission request overtakes its R2.
        var w = new World(NatBehavior.PortRestrictedCone, null, seed: 2);
        w.RegisterBoth();
        w.ConnectAndSelect(TimeSpan.FromSeconds(8));
        Assert.False(w.R2FilteredFromRelayedPort(), R2BugNote);
        Assert.Contains(w.A.Events, e => e is AssociationEstablished x && x.Peer == w.B.Host.LocalHit);
    }

    [Fact]
    public void ChecksOnTheSamePairFromBothSidesConcludeWithoutWaitingForTheRto()
    {
        // A behind a full-cone NAT, B on the public realm: both check A-host -> B and B -> A-srflx at once, each
        // check arriving before the answer to the other side's check; every arrival triggers a new check that
        // cancels the transaction whose answer is on its way (RFC 8445 §7.3.1.4 keeps waiting for that answer).
        var w = new World(NatBehavior.FullCone, null, seed: 1);
        w.RegisterBoth();
        var i1 = w.ConnectAndSelect(TimeSpan.FromSeconds(8));
        var iceA = w.A.Host.GetIceSession(w.B.Host.LocalHit)!;
        var bex = w.A.Events.OfType<AssociationEstablished>().Single(e => e.Peer == w.B.Host.LocalHit).At;
        Assert.False(iceA.Selected!.IsRelayed);
        Assert.InRange(iceA.SelectedAt!.Value - bex, TimeSpan.Zero, TimeSpan.FromMilliseconds(600));
        Assert.InRange(w.A.Host.Counters.IceChecksSent + w.B.Host.Counters.IceChecksSent, 0, 20);
        _ = i1;
    }
}
