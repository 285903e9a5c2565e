using System.Net;
using Hipnat.Core.Host;
using Hipnat.Core.Transport;
using Hipnat.Crypto;
using Hipnat.Simulator;
using Hipnat.Simulator.Hip;

namespace Hipnat.Core.Tests;

/// <summary>Two HIP hosts on one simulated segment (or behind NATs), driven on virtual time.</summary>
internal sealed class SimPair
{
    private static readonly Lazy<HostIdentity> P256a = new(() => HostIdentity.Generate(HostIdentityKind.EcdsaP256));
    private static readonly Lazy<HostIdentity> P256b = new(() => HostIdentity.Generate(HostIdentityKind.EcdsaP256));

    public static HostIdentity IdentityA => P256a.Value;

    public static HostIdentity IdentityB => P256b.Value;

    public SimPair(long seed = 1, LinkProfile? profile = null, Func<HostIdentity, HipHostOptions>? options = null,
        HostIdentity? a = null, HostIdentity? b = null)
    {
        Sim = new Simulation(seed) { TraceEnabled = true };
        Net = Sim.AddRealm("net", "203.0.113.0/24", profile ?? LinkProfile.Ideal);
        options ??= id => new HipHostOptions { Identity = id, RandomSeed = (int)seed };
        A = new HipSimNode(new HipHost(options(a ?? IdentityA)));
        B = new HipSimNode(new HipHost(options(b ?? IdentityB)));
        AddrA = IPAddress.Parse("203.0.113.10");
        AddrB = IPAddress.Parse("203.0.113.20");
        A.Attach(Sim.AddHost("A", A, Net, AddrA));
        B.Attach(Sim.AddHost("B", B, Net, AddrB));
        A.Host.AddPeerLocator(B.Host.LocalHit, TransportAddress.Udp(AddrB, TransportAddress.DefaultHipPort));
        B.Host.AddPeerLocator(A.Host.LocalHit, TransportAddress.Udp(AddrA, TransportAddress.DefaultHipPort));
    }

    public Simulation Sim { get; }

    public Realm Net { get; }

    public HipSimNode A { get; }

    public HipSimNode B { get; }

    public IPAddress AddrA { get; }

    public IPAddress AddrB { get; }

    public void Connect(HipSimNode from, HipSimNode to) => from.Invoke((h, now) => h.Connect(to.Host.LocalHit, now));

    public bool BothEstablished() =>
        A.Host.GetState(B.Host.LocalHit) == Association.AssociationState.Established
        && B.Host.GetState(A.Host.LocalHit) == Association.AssociationState.Established;

    public bool RunUntilEstablished(TimeSpan timeout) => Sim.RunUntil(BothEstablished, timeout);
}
