using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Hipnat.Lab.Demo;
using static Hipnat.Lab.Tests.LabFigures;

namespace Hipnat.Lab.Tests;

/// <summary>
/// I1 and I2 floods from spoofed sources against real daemons (docs/security.md, "Floods"): an attacker on the
/// public segment sends precomputed I1s (random Initiator HITs), I2s with random puzzle solutions and replays of one
/// valid I2 (<see cref="FloodGenerator"/>, a raw socket as fast as this machine sends) while an established
/// association carries <c>ping -i 0.01</c> over hip0 and a new peer runs a base exchange. The victim is a host with
/// a public address, then a relay with registered clients whose ESP it relays.
/// </summary>
[Collection(nameof(HipLabCollection))]
public class FloodLabTests
{
    private const string FiguresFile = "flood-figures.txt";

    private static readonly TimeSpan FloodTime = TimeSpan.FromSeconds(15);

    /// <summary>The paced flood a new peer's base exchange must get through.</summary>
    private const int PacedRate = 10_000;

    /// <summary>What a flood did to the victim and to the pings over the established association.</summary>
    private sealed record FloodResult(
        long FloodSent, double FloodRate, int PingsDuring, int LostDuring, TimeSpan P99Before, TimeSpan P99During,
        long RssBefore, long RssAfter, long RssMax, int MaxDifficulty, JsonElement Before, JsonElement After, long RcvbufErrors)
    {
        public long Delta(string counter) => HipnatStatus.Counter(After, counter) - HipnatStatus.Counter(Before, counter);

        public long DropDelta(string reason) => HipnatStatus.Drops(After, reason) - HipnatStatus.Drops(Before, reason);
    }

    [Fact]
    public void AHostUnderAnI1AndI2FloodKeepsItsPingsAndStillCompletesANewBaseExchange()
    {
        LabRequirement.Root();
        using var lab = NetworkLab.Create();
        var pub = lab.AddSegment("public", "203.0.113.0/24");
        var serverHost = lab.AddHost("server", pub);
        var attacker = lab.AddHost("attacker", pub);
        var nat1 = lab.AddNat("nat1", pub, "198.18.1.0/24");
        var nat2 = lab.AddNat("nat2", pub, "198.18.2.0/24");
        var aliceHost = nat1.AddHost("alice");
        var carolHost = nat2.AddHost("carol");
        var daveHost = nat2.AddHost("dave");
        FloodGenerator.RouteSpoofedRangesTo(serverHost, attacker);
        var tool = HipnatTool.ForLab(lab, HipLab.HipnatDll());
        var ids = tool.Keygen("server", "alice", "carol", "dave");
        string serverHit = ids["server"].Hit;
        string serverAt = $"{serverHit}={serverHost.Address}:{HipnatTool.Port}";
        using var server = tool.StartHost(serverHost, ids["server"]);
        using var alice = tool.StartHost(aliceHost, ids["alice"], "--peer", serverAt);
        using var carol = tool.StartHost(carolHost, ids["carol"], "--peer", serverAt);
        using var dave = tool.StartHost(daveHost, ids["dave"], "--peer", serverAt);
        string Logs() => $"{server.Tail(40)}\n{alice.Tail(20)}\n{carol.Tail(20)}\n{dave.Tail(20)}";
        var connect = HipLab.Connect(alice, serverHit);
        Assert.True(connect.Succeeded, $"{connect}\n{Logs()}");

        using var ping = PingRecorder.Start(aliceHost, serverHit);
        Assert.True(ping.WaitForReplies(50, TimeSpan.FromSeconds(15)), $"ping over hip0 never got going\n{Logs()}");

        string newPeer = "no answer";
        var result = RunFlood(server, attacker, ping, serverHit, i1To: null, duringFlood: () =>
        {
            var clock = Stopwatch.StartNew();
            var c = HipLab.Connect(carol, serverHit, timeoutSeconds: 15);
            newPeer = c.Succeeded ? $"carol's base exchange with the server completed in {Ms(clock.Elapsed)}" : $"carol's base exchange failed: {c.StandardError.Trim()}";
        });

        Report("host 203.0.113.10 (hipnat run)", result, newPeer);

        // At the highest rate the generator takes a core of the two, and a new peer's I1 and I2 are a few among
        // ~100,000/s competing for the I1/I2 socket and queue: the exchange above may fail. At a paced rate it must not.
        var paced = PacedExchange(attacker, server, serverHit, null, () => HipLab.Connect(dave, serverHit, timeoutSeconds: 15));
        Write(FiguresFile, $"  at {PacedRate} packets/s: {paced.What} (dave)");
        Assert.True(paced.Took is not null, $"{paced.What}\n{Logs()}");
        Assert.True(result.FloodRate >= 10_000, $"the flood reached only {result.FloodRate:0} packets/s");
        Assert.True(result.Delta("i2Received") >= 1000, $"the flood's I2s did not reach the responder: {result.Delta("i2Received")}");
        Assert.True(result.LostDuring <= Math.Max(2, result.PingsDuring / 100), $"{result.LostDuring} of {result.PingsDuring} pings lost during the flood\n{Logs()}");
    }

    [Fact]
    public void ARelayUnderAnI1AndI2FloodKeepsRelayingAndItsClientsStillReachEachOther()
    {
        // Bob is behind a symmetric NAT and both ask for the data relay: alice's pings to bob cross the relay.
        using var m = HipLab.Create(NatOptions.PortRestrictedCone, NatOptions.Symmetric);
        var attacker = m.Lab.AddHost("attacker", m.Public);
        var nat3 = m.Lab.AddNat("nat3", m.Public, "198.18.3.0/24");
        var carolHost = nat3.AddHost("carol");
        var daveHost = nat3.AddHost("dave");
        FloodGenerator.RouteSpoofedRangesTo(m.RelayHost, attacker);
        var extra = m.Tool.Keygen("carol", "dave");
        var carolId = extra["carol"];
        string[] register = ["--relay", $"{m.RelayHit}={m.RelayEndpoint}", "--relay-esp"];
        using var relay = m.StartRelay();
        using var bob = m.Tool.StartHost(m.BobHost, m.Ids["bob"], register);
        using var alice = m.Tool.StartHost(m.AliceHost, m.Ids["alice"], [.. register, "--peer", $"{m.BobHit}={m.RelayEndpoint}"]);
        using var carol = m.Tool.StartHost(carolHost, carolId, [.. register, "--peer", $"{m.AliceHit}={m.RelayEndpoint}", "--peer", $"{m.BobHit}={m.RelayEndpoint}"]);
        using var dave = m.Tool.StartHost(daveHost, extra["dave"], [.. register, "--peer", $"{m.AliceHit}={m.RelayEndpoint}"]);
        string Logs() => $"{relay.Tail(40)}\n{alice.Tail(20)}\n{bob.Tail(20)}\n{carol.Tail(20)}\n{dave.Tail(20)}";
        HipLab.WaitForRegistration(bob, m.RelayHit);
        HipLab.WaitForRegistration(alice, m.RelayHit);
        HipLab.WaitForRegistration(carol, m.RelayHit);
        HipLab.WaitForRegistration(dave, m.RelayHit);
        var connect = HipLab.Connect(alice, m.BobHit);
        Assert.True(connect.Succeeded, $"{connect}\n{Logs()}");
        HipLab.WaitForPath(alice, m.BobHit, p => p.Address.Equals(m.RelayHost.Address) && p.Port != HipnatTool.Port, TimeSpan.FromSeconds(15), "a path through the data relay");

        using var ping = PingRecorder.Start(m.AliceHost, m.BobHit);
        Assert.True(ping.WaitForReplies(50, TimeSpan.FromSeconds(15)), $"ping over hip0 never got going\n{Logs()}");

        // The flood: I1s towards bob's HIT (the relay forwards them, RFC 8004 §3.2), I2s towards the relay's own.
        TimeSpan? exchange = null;
        int carolReplies = 0;
        string newPeer = "no answer";
        var result = RunFlood(relay, attacker, ping, m.RelayHit, i1To: m.BobHit, duringFlood: () =>
        {
            var clock = Stopwatch.StartNew();
            var c = HipLab.Connect(carol, m.AliceHit, timeoutSeconds: 15);
            exchange = c.Succeeded ? clock.Elapsed : null;
            if (c.Succeeded)
            {
                using var carolPing = PingRecorder.Start(carolHost, m.AliceHit, new PingOptions { Count = 50 });
                carolReplies = carolPing.WaitForExit(TimeSpan.FromSeconds(15)).Replies.Count;
            }

            newPeer = c.Succeeded
                ? $"carol's base exchange with alice through the relay completed in {Ms(clock.Elapsed)}, then {carolReplies} of 50 pings answered"
                : $"carol's base exchange with alice through the relay failed: {c.StandardError.Trim()}";

            // Bob's HIT is the one flooded with I1s: a new peer's I1 to him competes for his 20/s at the relay.
            clock.Restart();
            var b = HipLab.Connect(carol, m.BobHit, timeoutSeconds: 10);
            newPeer += b.Succeeded
                ? $"; carol's base exchange with bob (the flooded HIT) completed in {Ms(clock.Elapsed)}"
                : $"; carol's base exchange with bob (the flooded HIT) did not complete within 10 s";
        });

        Report("relay 203.0.113.10 (hipnat relay), I1s towards a registered client", result, newPeer);
        Assert.True(exchange is null || carolReplies >= 45, newPeer); // once associated, carol reaches alice

        var paced = PacedExchange(attacker, relay, m.RelayHit, m.BobHit, () => HipLab.Connect(dave, m.AliceHit, timeoutSeconds: 15));
        Write(FiguresFile, $"  at {PacedRate} packets/s: {paced.What} (dave with alice through the relay)");
        Assert.True(paced.Took is not null, $"{paced.What}\n{Logs()}");
        Assert.True(result.FloodRate >= 10_000, $"the flood reached only {result.FloodRate:0} packets/s");
        Assert.True(result.DropDelta("RateLimited") >= 1000, $"the relay did not rate-limit the I1s towards bob: {result.DropDelta("RateLimited")}");
        Assert.True(result.LostDuring <= Math.Max(2, result.PingsDuring / 100), $"{result.LostDuring} of {result.PingsDuring} pings lost during the flood\n{Logs()}");
        Assert.Equal("ESTABLISHED", HipnatStatus.State(alice.Status(), m.BobHit));
    }

    /// <summary>5 s of pings before, the flood (<see cref="FloodTime"/>; <paramref name="duringFlood"/> runs 3 s into
    /// it and may outlast it), 1 s after that; the victim's counters, RSS and UDP receive-buffer drops around it.</summary>
    private static FloodResult RunFlood(HipnatDaemon victim, LabHost attacker, PingRecorder ping, string responderHit, string? i1To, Action duringFlood)
    {
        var baseline = ping.Mark("baseline starts");
        Thread.Sleep(TimeSpan.FromSeconds(5));
        var before = victim.Status();
        int pid = before.GetProperty("processId").GetInt32();
        long rssBefore = DaemonMemory.Rss(pid);
        long rcvbufBefore = RcvbufErrors(victim.Host);
        using var flood = FloodGenerator.Start(attacker, victim.Host.Address, responderHit, "mix", FloodTime, i1To);
        var start = ping.Mark("flood starts");
        TestContext.Current.TestOutputHelper?.WriteLine($"flood: {flood.Command}");

        int maxK = 0;
        long rssMax = rssBefore;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(() =>
        {
            while (!sampling.IsCancellationRequested)
            {
                try
                {
                    maxK = Math.Max(maxK, (int)HipnatStatus.Counter(victim.Status(), "puzzleDifficulty"));
                    rssMax = Math.Max(rssMax, DaemonMemory.Rss(pid));
                }
                catch (IOException)
                {
                }

                sampling.Token.WaitHandle.WaitOne(500);
            }
        });

        Thread.Sleep(TimeSpan.FromSeconds(3));
        duringFlood();
        var (sent, rate, ended) = flood.WaitForEnd(FloodTime + TimeSpan.FromSeconds(30));
        var end = new PingMark("flood ends", ended);
        sampling.Cancel();
        sampler.Wait();
        Thread.Sleep(TimeSpan.FromSeconds(1));
        var trace = ping.Stop();
        var after = victim.Status();
        long rssAfter = DaemonMemory.Rss(pid);

        var during = trace.Replies.Where(r => r.ReceivedAt >= start.At && r.ReceivedAt <= end.At).ToList();
        int expected = during.Count == 0 ? 0 : during.Max(r => r.Sequence) - during.Min(r => r.Sequence) + 1;
        var rttBefore = trace.Replies.Where(r => r.ReceivedAt >= baseline.At && r.ReceivedAt < start.At && r.RoundTripTime is not null).Select(r => r.RoundTripTime!.Value);
        var rttDuring = during.Where(r => r.RoundTripTime is not null).Select(r => r.RoundTripTime!.Value);
        return new FloodResult(sent, rate, expected, expected - during.Select(r => r.Sequence).Distinct().Count(), P99(rttBefore), P99(rttDuring),
            rssBefore, rssAfter, rssMax, maxK, before, after, RcvbufErrors(victim.Host) - rcvbufBefore);
    }

    /// <summary>A flood paced at <see cref="PacedRate"/> for 12 s; 2 s into it <paramref name="connect"/> runs.</summary>
    private static (TimeSpan? Took, string What) PacedExchange(LabHost attacker, HipnatDaemon victim, string responderHit, string? i1To, Func<LabCommandResult> connect)
    {
        using var flood = FloodGenerator.Start(attacker, victim.Host.Address, responderHit, "mix", TimeSpan.FromSeconds(12), i1To, PacedRate);
        Thread.Sleep(TimeSpan.FromSeconds(2));
        var clock = Stopwatch.StartNew();
        var c = connect();
        var took = clock.Elapsed;
        flood.Process.Stop();
        return c.Succeeded ? (took, $"a new base exchange completed in {Ms(took)}") : (null, $"a new base exchange failed: {c.StandardError.Trim()}");
    }

    /// <summary>Udp RcvbufErrors of the host's namespace (/proc/net/snmp): datagrams the kernel dropped because a
    /// socket's receive buffer was full.</summary>
    private static long RcvbufErrors(LabHost host)
    {
        var lines = host.Run("cat", "/proc/net/snmp").EnsureSuccess().StandardOutput.Split('\n').Where(l => l.StartsWith("Udp:", StringComparison.Ordinal)).ToList();
        var names = lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var values = lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return long.Parse(values[Array.IndexOf(names, "RcvbufErrors")], CultureInfo.InvariantCulture);
    }

    private static TimeSpan P99(IEnumerable<TimeSpan> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? TimeSpan.Zero : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(sorted.Count * 0.99) - 1)];
    }

    private static void Report(string victim, FloodResult r, string newPeer)
    {
        var c = CultureInfo.InvariantCulture;
        Write(FiguresFile, string.Create(c, $"{victim}: flood {r.FloodSent} packets in {FloodTime.TotalSeconds:0} s = {r.FloodRate:0} packets/s (I1, I2 random #J, I2 replay in turn)"));
        Write(FiguresFile, string.Create(c, $"  pings during the flood: {r.LostDuring} of {r.PingsDuring} lost; RTT p99 before {r.P99Before.TotalMilliseconds:0.00} ms, during {r.P99During.TotalMilliseconds:0.00} ms"));
        Write(FiguresFile, $"  RSS before {DaemonMemory.Mib(r.RssBefore)}, max during {DaemonMemory.Mib(r.RssMax)}, after {DaemonMemory.Mib(r.RssAfter)}");
        Write(FiguresFile, string.Create(c,
            $"  victim: datagrams received {r.Delta("transportReceived")}, kernel receive-buffer drops {r.RcvbufErrors}, inbox drops {r.Delta("queueDropped")} (I1/I2 queue {r.Delta("queueDroppedBaseExchange")}), " +
            $"I2s received {r.Delta("i2Received")}, I2s with DH work {r.Delta("i2DhComputations")}, #K max {r.MaxDifficulty} (after: {HipnatStatus.Counter(r.After, "puzzleDifficulty")})"));
        var drops = r.After.GetProperty("counters").TryGetProperty("drops", out var d) && d.ValueKind == JsonValueKind.Object
            ? string.Join(", ", d.EnumerateObject().Select(p => (p.Name, Delta: p.Value.GetInt64() - HipnatStatus.Drops(r.Before, p.Name))).Where(p => p.Delta > 0).Select(p => $"{p.Name} {p.Delta}"))
            : string.Empty;
        Write(FiguresFile, $"  victim drops: {drops}");
        Write(FiguresFile, $"  {newPeer}");
    }
}
