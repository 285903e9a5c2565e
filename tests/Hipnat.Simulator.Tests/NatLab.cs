using static Hipnat.Simulator.Tests.Net;

namespace Hipnat.Simulator.Tests;

/// <summary>
/// One NAT between a LAN (10.0.0.0/24, hosts A = 10.0.0.2 and B = 10.0.0.3) and the internet (NAT public address
/// 198.51.100.1, servers S1 = 203.0.113.10 and S2 = 203.0.113.20).
/// </summary>
internal sealed class NatLab
{
    public NatLab(NatBehavior behavior, long seed = 1)
    {
        Sim = new Simulation(seed);
        Internet = Sim.AddRealm("internet");
        Lan = Sim.AddRealm("lan", "10.0.0.0/24");
        Nat = Sim.AddNat("nat", Lan, Internet, behavior, Ip("198.51.100.1"));
        A = Sim.AddHost("a", ANode, Lan, Ip("10.0.0.2"));
        B = Sim.AddHost("b", BNode, Lan, Ip("10.0.0.3"));
        S1 = Sim.AddHost("s1", S1Node, Internet, Ip("203.0.113.10"));
        S2 = Sim.AddHost("s2", S2Node, Internet, Ip("203.0.113.20"));
    }

    public Simulation Sim { get; }

    public Realm Internet { get; }

    public Realm Lan { get; }

    public NatBox Nat { get; }

    public SimHost A { get; }

    public SimHost B { get; }

    public SimHost S1 { get; }

    public SimHost S2 { get; }

    public RecordingNode ANode { get; } = new();

    public RecordingNode BNode { get; } = new();

    public RecordingNode S1Node { get; } = new();

    public RecordingNode S2Node { get; } = new();

    /// <summary>A's endpoint used by the tests.</summary>
    public SimEndpoint AEp => A.Endpoint(5000);

    /// <summary>Sends from A:5000 and runs until the network is quiet (10 ms is plenty on ideal links).</summary>
    public void SendFromA(SimEndpoint to, byte tag = 0)
    {
        A.Context.Send(AEp, to, [tag]);
        Sim.RunFor(Ms(10));
    }

    /// <summary>Sends from a server endpoint and lets the packet travel.</summary>
    public void SendFrom(SimHost server, int port, SimEndpoint to, byte tag = 0)
    {
        server.Context.Send(server.Endpoint(port), to, [tag]);
        Sim.RunFor(Ms(10));
    }
}
