using static Hipnat.Simulator.Tests.Net;

namespace Hipnat.Simulator.Tests;

public class NestedNatTests
{
    private readonly Simulation _sim = new(3);
    private readonly Realm _internet;
    private readonly Realm _isp;
    private readonly Realm _home;
    private readonly NatBox _cgn;
    private readonly NatBox _router;
    private readonly RecordingNode _inner = new();
    private readonly RecordingNode _server = new();
    private readonly SimHost _innerHost;
    private readonly SimHost _serverHost;

    public NestedNatTests()
    {
        _internet = _sim.AddRealm("internet");
        _isp = _sim.AddRealm("isp", "100.64.0.0/10");
        _home = _sim.AddRealm("home", "192.168.1.0/24");
        _cgn = _sim.AddNat("cgn", _isp, _internet, NatBehavior.FullCone, Ip("198.51.100.1"));
        _router = _sim.AddNat("router", _home, _isp, NatBehavior.FullCone, Ip("100.64.0.2"));
        _cgn.Profile = LinkProfile.WithDelay(Ms(3));
        _router.Profile = LinkProfile.WithDelay(Ms(1));
        _innerHost = _sim.AddHost("inner", _inner, _home, Ip("192.168.1.10"));
        _serverHost = _sim.AddHost("server", _server, _internet, Ip("203.0.113.10"));
        _serverHost.Interfaces[0].Profile = LinkProfile.WithDelay(Ms(10));
        _sim.TraceEnabled = true;
    }

    [Fact]
    public void Host_behind_two_nats_reaches_the_internet_and_gets_replies()
    {
        _innerHost.Context.Send(_innerHost.Endpoint(4000), _serverHost.Endpoint(80), [1]);
        _sim.RunFor(S(1));

        var atServer = Assert.Single(_server.Received);
        Assert.Equal(Ip("198.51.100.1"), atServer.Remote.Address);
        Assert.Equal(Ms(1 + 3 + 10), atServer.Time); // router hop + CGN hop + server access link

        _serverHost.Context.Send(_serverHost.Endpoint(80), atServer.Remote, [2]);
        _sim.RunFor(S(1));

        var atInner = Assert.Single(_inner.Received);
        Assert.Equal(_serverHost.Endpoint(80), atInner.Remote);
        Assert.Equal(_innerHost.Endpoint(4000), atInner.Local);
        Assert.Equal(1, _cgn.ActiveMappingCount);
        Assert.Equal(1, _router.ActiveMappingCount);
        Assert.Equal(Ip("100.64.0.2"), Assert.Single(_cgn.Mappings).Internal.Address);
        Assert.Equal(4, _sim.Trace.Count(t => t.Kind == TraceKind.Translated));
        Assert.Equal(4, _sim.Statistics.Translated);
    }

    [Fact]
    public void Isp_neighbour_reaches_the_inner_host_directly_and_through_the_cgn_hairpin()
    {
        var neighbour = new RecordingNode();
        var neighbourHost = _sim.AddHost("neighbour", neighbour, _isp, _isp.AllocateAddress());
        _innerHost.Context.Send(_innerHost.Endpoint(4000), _serverHost.Endpoint(80), [1]);
        _sim.RunFor(S(1));
        var publicMapping = Assert.Single(_server.Received).Remote;
        var routerMapping = Assert.Single(_router.Mappings).External;

        neighbourHost.Context.Send(neighbourHost.Endpoint(9), routerMapping, [2]);
        neighbourHost.Context.Send(neighbourHost.Endpoint(9), publicMapping, [3]);
        _sim.RunFor(S(1));

        Assert.Equal(2, _inner.Received.Count);
        Assert.Equal(neighbourHost.Endpoint(9), _inner.Received.Single(r => r.Payload[0] == 2).Remote);
        Assert.Equal(Ip("198.51.100.1"), _inner.Received.Single(r => r.Payload[0] == 3).Remote.Address);
        Assert.Equal(1, _cgn.Statistics.Hairpinned);
    }

    [Fact]
    public void Nat_loops_are_rejected()
    {
        Assert.Throws<InvalidOperationException>(() => _sim.AddNat("loop", _internet, _home, NatBehavior.FullCone, Ip("192.168.1.200")));
        Assert.Throws<InvalidOperationException>(() => _sim.AddNat("second-gateway", _home, _internet, NatBehavior.FullCone, Ip("198.51.100.9")));
    }
}
