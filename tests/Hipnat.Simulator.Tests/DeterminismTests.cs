using static Hipnat.Simulator.Tests.Net;

namespace Hipnat.Simulator.Tests;

public class DeterminismTests
{
    /// <summary>A lossy, jittery, duplicating, reordering network with NATs and timer-driven clients that draw from their own random streams.</summary>
    private static Simulation Scenario(long seed, TextWriter? writer = null)
    {
        var sim = new Simulation(seed) { TraceEnabled = true, TraceWriter = writer };
        var lossy = new LinkProfile { Delay = Ms(15), Jitter = Ms(10), Loss = 0.2, Duplication = 0.05, Reordering = 0.1, ReorderDelay = Ms(30) };
        var internet = sim.AddRealm("internet", "203.0.113.0/24", lossy);
        var lan = sim.AddRealm("lan", "10.0.0.0/24", LinkProfile.WithDelay(Ms(1)));
        var nat = sim.AddNat("nat", lan, internet, NatBehavior.Symmetric with { PortPreservation = false, PortAllocation = PortAllocation.Random }, Ip("198.51.100.1"));
        nat.Profile = new LinkProfile { Delay = Ms(2), Jitter = Ms(1) };
        var server = sim.AddHost("server", new EchoNode(), internet, internet.AllocateAddress());
        for (int i = 0; i < 5; i++)
        {
            var node = new RecordingNode();
            var realm = i % 2 == 0 ? lan : internet;
            var host = sim.AddHost($"client{i}", node, realm, realm.AllocateAddress());
            node.OnTimerFired = ctx =>
            {
                var payload = new byte[1 + ctx.Random.NextInt32(0, 64)];
                ctx.Random.NextBytes(payload);
                ctx.Send(host.Endpoint(1000 + ctx.Random.NextInt32(0, 3)), server.Endpoint(7), payload);
                ctx.SetTimer(ctx.Now + ctx.Random.NextTimeSpan(Ms(200)));
            };
            host.Context.SetTimer(TimeSpan.Zero);
        }

        sim.Run(S(10));
        return sim;
    }

    [Fact]
    public void Same_seed_gives_an_identical_trace()
    {
        var first = Scenario(42).TraceText();
        var second = Scenario(42).TraceText();
        Assert.True(first.Length > 10_000);
        Assert.Contains("reason=Loss", first, StringComparison.Ordinal);
        Assert.Contains("Duplicated", first, StringComparison.Ordinal);
        Assert.Contains("Translated", first, StringComparison.Ordinal);
        Assert.Equal(first, second);
    }

    [Fact]
    public void A_different_seed_changes_the_trace()
    {
        Assert.NotEqual(Scenario(42).TraceText(), Scenario(43).TraceText());
    }

    [Fact]
    public void Trace_writer_receives_the_same_lines()
    {
        using var writer = new StringWriter { NewLine = "\n" };
        var sim = Scenario(5, writer);
        Assert.Equal(sim.TraceText(), writer.ToString());
    }

    [Fact]
    public void Trace_is_off_by_default()
    {
        var sim = new Simulation(1);
        var realm = sim.AddRealm("r", defaultProfile: LinkProfile.WithDelay(Ms(1)));
        var a = sim.AddHost("a", new EchoNode(), realm, Ip("192.0.2.1"));
        sim.AddHost("b", new EchoNode(), realm, Ip("192.0.2.2"));
        a.Context.Send(a.Endpoint(1), Ep("192.0.2.2:1"), [1]);
        sim.RunFor(Ms(100));
        Assert.Empty(sim.Trace);
        Assert.Equal(50, sim.Statistics.Delivered);
    }

    [Fact]
    public void Trace_lines_have_a_stable_format()
    {
        var lab = new NatLab(NatBehavior.FullCone);
        lab.Sim.TraceEnabled = true;
        lab.Sim.Run(Ms(1.5));
        lab.SendFromA(lab.S1.Endpoint(7000));
        lab.SendFrom(lab.S2, 1, Ep("198.51.100.1:9"));
        Assert.Equal(
            "0.0015000 Sent #1 a 10.0.0.2:5000 -> 203.0.113.10:7000 len=1\n" +
            "0.0015000 MappingCreated #0 nat 10.0.0.2:5000 -> 198.51.100.1:5000\n" +
            "0.0015000 Translated #1 nat 10.0.0.2:5000 -> 203.0.113.10:7000 len=1 => 198.51.100.1:5000 -> 203.0.113.10:7000\n" +
            "0.0015000 Delivered #1 s1 198.51.100.1:5000 -> 203.0.113.10:7000 len=1\n" +
            "0.0115000 Sent #2 s2 203.0.113.20:1 -> 198.51.100.1:9 len=1\n" +
            "0.0115000 Dropped #2 nat 203.0.113.20:1 -> 198.51.100.1:9 len=1 reason=NoMapping\n",
            lab.Sim.TraceText());
    }
}
