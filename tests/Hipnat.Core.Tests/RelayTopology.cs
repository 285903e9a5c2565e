using System.Net;
using Hipnat.Core.Host;
using Hipnat.Core.Registration;
using Hipnat.Core.Transport;
using Hipnat.Crypto;
using Hipnat.Simulator;
using Hipnat.Simulator.Hip;
using Hipnat.Wire.Parameters;

namespace Hipnat.Core.Tests;

/// <summary>A relay on the public segment and two hosts, each behind its own NAT.</summary>
internal sealed class RelayTopology
{
    private static readonly Lazy<HostIdentity> RelayId = new(() => HostIdentity.Generate(HostIdentityKind.EcdsaP256));

    public static readonly IPAddress RelayAddress = IPAddress.Parse("203.0.113.1");
    public static readonly IPAddress NatAPublic = IPAddress.Parse("203.0.113.10");
    public static readonly IPAddress NatBPublic = IPAddress.Parse("203.0.113.20");
    public static readonly IPAddress HostAAddress = IPAddress.Parse("198.18.1.10");
    public static readonly IPAddress HostBAddress = IPAddress.Parse("198.18.2.10");

    public RelayTopology(NatBehavior? natA = null, NatBehavior? natB = null, long seed = 1, RegistrarOptions? registrar = null,
        LinkProfile? publicProfile = null, IReadOnlyList<NatTraversalMode>? hostModes = null, Ice.IceOptions? ice = null,
        MultihomingPolicy multihoming = MultihomingPolicy.Failover)
    {
        Sim = new Simulation(seed) { TraceEnabled = true };
        Public = Sim.AddRealm("public", "203.0.113.0/24", publicProfile ?? LinkProfile.WithDelay(TimeSpan.FromMilliseconds(10)));
        LanA = Sim.AddRealm("lanA", "198.18.1.0/24", LinkProfile.WithDelay(TimeSpan.FromMilliseconds(1)));
        LanB = Sim.AddRealm("lanB", "198.18.2.0/24", LinkProfile.WithDelay(TimeSpan.FromMilliseconds(1)));
        NatA = Sim.AddNat("natA", LanA, Public, natA ?? NatBehavior.PortRestrictedCone, NatAPublic);
        NatB = Sim.AddNat("natB", LanB, Public, natB ?? NatBehavior.PortRestrictedCone, NatBPublic);
        Relay = new HipSimNode(new HipHost(new HipHostOptions
        {
            Identity = RelayId.Value,
            RandomSeed = 1,
            Registrar = registrar ?? new RegistrarOptions { AllowAnyone = true },
            NatTraversalModes = [NatTraversalMode.UdpEncapsulation],
        }));
        A = new HipSimNode(new HipHost(new HipHostOptions { Identity = SimPair.IdentityA, RandomSeed = 2, LocalLocators = [TransportAddress.Udp(HostAAddress, 10500)], NatTraversalModes = hostModes, Ice = ice ?? new(), MultihomingPolicy = multihoming }));
        B = new HipSimNode(new HipHost(new HipHostOptions { Identity = SimPair.IdentityB, RandomSeed = 3, LocalLocators = [TransportAddress.Udp(HostBAddress, 10500)], NatTraversalModes = hostModes, Ice = ice ?? new(), MultihomingPolicy = multihoming }));
        Relay.Attach(Sim.AddHost("relay", Relay, Public, RelayAddress));
        A.Attach(Sim.AddHost("A", A, LanA, HostAAddress));
        B.Attach(Sim.AddHost("B", B, LanB, HostBAddress));
        var relayLocator = TransportAddress.Udp(RelayAddress, 10500);
        A.Host.AddPeerLocator(Relay.Host.LocalHit, relayLocator);
        B.Host.AddPeerLocator(Relay.Host.LocalHit, relayLocator);
    }

    public Simulation Sim { get; }

    public Realm Public { get; }

    public Realm LanA { get; }

    public Realm LanB { get; }

    public NatBox NatA { get; }

    public NatBox NatB { get; }

    public HipSimNode Relay { get; }

    public HipSimNode A { get; }

    public HipSimNode B { get; }

    public bool Register(HipSimNode client, TimeSpan lifetime, params RegistrationType[] types)
    {
        client.Invoke((h, now) => h.Register(Relay.Host.LocalHit, types.Length > 0 ? types : [RegistrationType.RelayUdpHip], lifetime, now));
        return Sim.RunUntil(() => client.Events.Any(e => e is RegistrationGranted or RegistrationRefused), TimeSpan.FromSeconds(10));
    }
}
