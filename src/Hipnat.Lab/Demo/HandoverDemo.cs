using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Hipnat.Lab.Demo;

/// <summary>
/// <c>hipnat lab demo --scenario handover</c>: a relay, alice behind nat1 and bob behind nat2 (both registered with the
/// relay, on a direct path), and a third NAT nat3. An unmodified <c>ping -i 0.01</c> runs from alice to bob's HIT over
/// hip0 while alice moves between nat3 and nat1 (break-before-make: her switch port goes down for the outage, then her
/// interface is re-plugged behind the other NAT with a new address). Prints a time line of the moves and the daemons'
/// handover and path lines, a summary of the gaps per move, and writes an SVG of replies per 100 ms coloured by path.
/// </summary>
/// <remarks>
/// Topology (docs/lab.md): relay 203.0.113.10 on "public" 203.0.113.0/24; nat1 with alice on 198.18.1.0/24, nat2 with
/// bob on 198.18.2.0/24, nat3 (198.18.3.0/24) empty until alice moves there. Everything is torn down at the end.
/// </remarks>
public sealed class HandoverDemo
{
    private static readonly TimeSpan CliTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(1.5);
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(10);
    private readonly HandoverDemoOptions options;
    private readonly TextWriter output;
    private readonly Stopwatch clock = Stopwatch.StartNew();

    public HandoverDemo(HandoverDemoOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Moves, 1);
        this.options = options;
        output = options.Output;
    }

    /// <summary>Runs the demo; never throws for a failed step — the result says what failed.</summary>
    public static async Task<HandoverDemoResult> RunAsync(HandoverDemoOptions options, CancellationToken cancellationToken = default)
    {
        var demo = new HandoverDemo(options);
        return await Task.Run(() => demo.Run(cancellationToken), CancellationToken.None).ConfigureAwait(false);
    }

    private HandoverDemoResult Run(CancellationToken cancellationToken)
    {
        var result = new HandoverDemoResult();
        if (!NetworkLab.IsSupported(out var reason))
        {
            result.Failures.Add(reason);
            return result;
        }

        NetworkLab? lab = null;
        PingRecorder? ping = null;
        var daemons = new List<HipnatDaemon>();
        try
        {
            Progress($"building the lab: relay on 203.0.113.0/24; alice behind nat1, bob behind nat2, nat3 empty " +
                $"(alice's NATs {options.AliceNat.Name}, bob's {options.BobNat.Name})");
            lab = NetworkLab.Create();
            result.LabId = lab.Id;
            var pub = lab.AddSegment("public", "203.0.113.0/24");
            var relayHost = lab.AddHost("relay", pub);
            var nat1 = lab.AddNat("nat1", pub, "198.18.1.0/24", options.AliceNat.Options);
            var nat2 = lab.AddNat("nat2", pub, "198.18.2.0/24", options.BobNat.Options);
            var nat3 = lab.AddNat("nat3", pub, "198.18.3.0/24", options.AliceNat.Options);
            var aliceHost = nat1.AddHost("alice");
            var bobHost = nat2.AddHost("bob");
            LabInterface? secondUplink = null;
            if (options.Failover)
            {
                secondUplink = aliceHost.AddUplink(nat3);
                Progress($"alice has a second uplink {secondUplink.Address} behind nat3");
            }

            cancellationToken.ThrowIfCancellationRequested();

            Progress("generating keys");
            var tool = HipnatTool.ForLab(lab, options.HipnatDll);
            var ids = tool.Keygen("relay", "alice", "bob");
            cancellationToken.ThrowIfCancellationRequested();

            var relay = tool.StartRelay(relayHost, ids["relay"], "--allow-any");
            daemons.Add(relay);
            var relayEp = relay.Endpoint;
            Progress($"relay: hipnat relay --allow-any at {relayEp}");

            // Without endpoint-independent mapping on both sides no direct pair works: ESP goes through the data relay.
            bool expectDirect = options.AliceNat.EndpointIndependentMapping && options.BobNat.EndpointIndependentMapping;
            string[] register = expectDirect ? ["--relay", $"{relay.Hit}={relayEp}"] : ["--relay", $"{relay.Hit}={relayEp}", "--relay-esp"];
            Progress($"bob, alice: hipnat run {string.Join(' ', register).Replace(relay.Hit, "RELAY", StringComparison.Ordinal)}  (alice also --peer BOB={relayEp})");
            var bobTask = Task.Run(() => tool.StartHost(bobHost, ids["bob"], register), cancellationToken);
            var aliceTask = Task.Run(() => tool.StartHost(aliceHost, ids["alice"], [.. register, "--peer", $"{ids["bob"].Hit}={relayEp}"]), cancellationToken);
            try
            {
                Task.WaitAll([bobTask, aliceTask], cancellationToken);
            }
            finally
            {
                // Whatever started is torn down, even when the other failed.
                foreach (var t in new[] { bobTask, aliceTask }.Where(t => t.IsCompletedSuccessfully))
                {
                    daemons.Add(t.Result);
                }
            }

            var bob = bobTask.Result;
            var alice = aliceTask.Result;
            foreach (var d in new[] { bob, alice })
            {
                d.WaitForStatus(s => HipnatStatus.GrantedRegistration(s, relay.Hit) is not null, TimeSpan.FromSeconds(10), "granted registration with the relay");
            }

            Progress("both registered with the relay; alice: hipnat connect BOB");
            var connect = alice.Cli(CliTimeout, "connect", bob.Hit, "--timeout", "10");
            var connectLine = (connect.StandardOutput + connect.StandardError).Trim().Replace(bob.Hit, "BOB", StringComparison.Ordinal);
            Progress($"alice: {connectLine}");
            if (!connect.Succeeded)
            {
                result.Failures.Add($"hipnat connect failed (exit {connect.ExitCode}): {connectLine}");
                throw new DemoStoppedException();
            }

            WaitForPath(alice, bob, relayEp, expectDirect, cancellationToken);

            ping = PingRecorder.Start(aliceHost, bob.Hit, new PingOptions { Interval = TimeSpan.FromMilliseconds(10) });
            Progress($"alice: ping -D -n -i 0.01 BOB (over hip0)");
            if (!ping.WaitForReplies(50, TimeSpan.FromSeconds(15)))
            {
                result.Failures.Add($"ping over hip0 never got going ({ping.ReplyCount} replies)");
                throw new DemoStoppedException();
            }

            Sleep(TimeSpan.FromSeconds(1), cancellationToken);
            var schedule = new List<(DateTimeOffset Down, DateTimeOffset Up, string From, string To)>();
            var current = nat1;
            for (int i = 1; options.Failover && i <= options.Moves; i++)
            {
                // The NAT of the uplink in use forwards nothing any more, either way; alice sees no link event.
                bool onSecond = HipnatStatus.LocalAddress(alice.Status(), bob.Hit) is { } local && local.Address.Equals(secondUplink!.Address);
                var (failing, other) = onSecond ? (nat3, nat1) : (nat1, nat3);
                failing.Iptables("-I", "FORWARD", "1", "-j", "DROP");
                var at = ping.Mark($"{i}: {failing.Name} drops everything");
                schedule.Add((at.At, at.At, failing.Name, other.Name));
                Progress($"failure {i}: {failing.Name} (alice's uplink in use) drops everything for {options.FailureLength.TotalSeconds:0.#} s");
                bool recovered = WaitForReplyAfter(ping, at.At, cancellationToken);
                Sleep(options.FailureLength, cancellationToken);
                failing.Iptables("-D", "FORWARD", "1");
                Progress($"failure {i}: {failing.Name} forwards again");
                if (!recovered)
                {
                    result.Failures.Add($"failure {i}: no ping reply within {ReplyTimeout.TotalSeconds:0} s after {failing.Name} failed");
                    break;
                }

                Sleep(TimeSpan.FromSeconds(2), cancellationToken); // the failed pair is probed every second: a standby again
            }

            for (int i = 1; !options.Failover && i <= options.Moves; i++)
            {
                var target = current == nat1 ? nat3 : nat1;
                var down = ping.Mark($"{i}: uplink down behind {current.Name}");
                aliceHost.MoveTo(target.InsideSegment, options.Outage);
                if (!WaitForUplink(aliceHost, target, cancellationToken))
                {
                    result.Failures.Add($"move {i}: alice cannot reach {target.Name} at {target.Inside.Address} after moving there");
                    break;
                }

                var up = ping.Mark($"{i}: uplink up behind {target.Name}");
                schedule.Add((down.At, up.At, current.Name, target.Name));
                Progress($"move {i}: alice {current.Name} -> {target.Name} ({aliceHost.Address}); uplink up after {(up.At - down.At).TotalMilliseconds:0} ms");
                current = target;
                if (!WaitForReplyAfter(ping, up.At, cancellationToken))
                {
                    result.Failures.Add($"move {i}: no ping reply within {ReplyTimeout.TotalSeconds:0} s after the new uplink came up behind {target.Name}");
                    break;
                }

                Sleep(Settle, cancellationToken);
            }

            var trace = ping.Stop();
            result.Trace = trace;
            var aliceStatus = alice.Status();
            var bobStatus = bob.Status();

            var names = ids.Values.ToDictionary(i => i.Hit, i => i.Name, StringComparer.OrdinalIgnoreCase);
            result.Events.AddRange(DaemonLog.Parse("alice", alice.Process.Output, names)
                .Concat(DaemonLog.Parse("bob", bob.Process.Output, names)).OrderBy(e => e.Time));

            foreach (var (s, n) in schedule.Select((s, n) => (s, n + 1)))
            {
                // A failure's gap runs from the last reply before it (a move's from the new uplink coming up).
                var gap = options.Failover ? trace.GapAround(s.Down)?.Duration : trace.GapAfter(s.Up)?.Duration;
                result.Moves.Add(new HandoverMove(n, s.From, s.To, s.Down, s.Up, gap, LostAround(trace, s.Down, s.Up)));
            }

            foreach (var m in result.Moves.Where(m => m.Gap is not { } g || g > HandoverDemoOptions.RecoveryLimit))
            {
                result.Failures.Add($"{(options.Failover ? "failure" : "move")} {m.Number} ({m.From} -> {m.To}): " +
                    (m.Gap is { } g ? $"gap {Ms(g)} > {Ms(HandoverDemoOptions.RecoveryLimit)}" : "no reply after it"));
            }

            if (HipnatStatus.State(aliceStatus, bob.Hit) != "ESTABLISHED")
            {
                result.Failures.Add($"alice's association with bob is {HipnatStatus.State(aliceStatus, bob.Hit) ?? "gone"} after the moves");
            }

            if (HipnatStatus.Association(aliceStatus, bob.Hit) is { } association && association.TryGetProperty("lastHandover", out var last)
                && last.ValueKind == JsonValueKind.Object)
            {
                result.LastHandover = last.Clone();
            }

            var plot = new HandoverPlot(trace, options.Failover
                ? $"hipnat failover: alice's uplink in use fails {result.Moves.Count}x (nat1 / nat3), ping -i 0.01 over hip0 to bob"
                : $"hipnat handover: alice moves nat1 <-> nat3 {result.Moves.Count}x, ping -i 0.01 over hip0 to bob");
            foreach (var (label, from, to) in PathRanges(result.Events, schedule, trace, expectDirect))
            {
                plot.AddPath(label, from, to);
            }

            plot.Save(options.PlotPath);
            result.PlotPath = options.PlotPath;

            output.WriteLine();
            output.WriteLine("TIMELINE  (ms since the ping started; link: alice's uplink; alice, bob: their daemons' handover and path lines)");
            WriteTimeline(result, trace);
            output.WriteLine();
            WriteSummary(result, trace, aliceStatus, bobStatus, alice, bob, lab);
        }
        catch (DemoStoppedException)
        {
        }
        catch (OperationCanceledException)
        {
            result.Failures.Add("interrupted");
        }
        catch (Exception e)
        {
            result.Failures.Add(e is AggregateException a ? string.Join("; ", a.Flatten().InnerExceptions.Select(x => x.Message)) : e.Message);
        }
        finally
        {
            if (!result.Success)
            {
                foreach (var d in daemons.Where(d => d.Name != "relay"))
                {
                    output.WriteLine($"last output of {d.Name}'s daemon:");
                    output.WriteLine(d.Tail());
                }
            }

            ping?.Dispose();
            if (lab is not null)
            {
                Progress("tearing the lab down");
                Parallel.ForEach(daemons, d => d.Dispose());
                lab.Dispose();
            }
        }

        output.WriteLine(result.Success
            ? $"RESULT: OK ({clock.Elapsed.TotalSeconds:0.0} s)"
            : $"RESULT: FAILED — {string.Join("; ", result.Failures)}");
        return result;
    }

    /// <summary>Waits until both hosts are on a direct path (EIM NATs), or on any path past the relay fallback.</summary>
    private void WaitForPath(HipnatDaemon alice, HipnatDaemon bob, System.Net.IPEndPoint relayEp, bool expectDirect, CancellationToken cancellationToken)
    {
        var deadline = clock.Elapsed + TimeSpan.FromSeconds(15);
        while (clock.Elapsed < deadline)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var a = alice.Status();
            var b = bob.Status();
            if (expectDirect && HipnatStatus.IsDirect(a, bob.Hit, relayEp) && HipnatStatus.IsDirect(b, alice.Hit, relayEp))
            {
                Progress($"direct path: alice -> {HipnatStatus.PeerAddress(a, bob.Hit)}, bob -> {HipnatStatus.PeerAddress(b, alice.Hit)}");
                return;
            }

            if (!expectDirect && HipnatStatus.State(a, bob.Hit) == "ESTABLISHED" && clock.Elapsed > deadline - TimeSpan.FromSeconds(12))
            {
                Progress($"path: alice -> {HipnatStatus.PeerAddress(a, bob.Hit)} ({HipnatStatus.ActivePath(a, bob.Hit)}); no direct path expected behind these NATs");
                return;
            }

            Thread.Sleep(50);
        }

        throw new TimeoutException($"alice and bob were not on a {(expectDirect ? "direct " : string.Empty)}path within 15 s");
    }

    /// <summary>The new uplink is up when the host reaches its gateway (carrier and address come before the bridge forwards).</summary>
    private static bool WaitForUplink(LabHost host, LabNat gateway, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (DateTime.UtcNow < deadline)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (host.Ping(gateway.Inside.Address, count: 1, timeout: TimeSpan.FromMilliseconds(100)).Received > 0)
            {
                return true;
            }
        }

        return false;
    }

    private static bool WaitForReplyAfter(PingRecorder ping, DateTimeOffset instant, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + ReplyTimeout;
        while (DateTime.UtcNow < deadline)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (ping.WaitForReplyAfter(instant, TimeSpan.FromMilliseconds(250)))
            {
                return true;
            }
        }

        return false;
    }

    private static void Sleep(TimeSpan time, CancellationToken cancellationToken)
    {
        cancellationToken.WaitHandle.WaitOne(time);
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>Requests unanswered between the last reply before <paramref name="down"/> and the first after <paramref name="up"/>.</summary>
    private static int LostAround(PingTrace trace, DateTimeOffset down, DateTimeOffset up)
    {
        var answered = trace.Replies.Select(r => r.Sequence).ToHashSet();
        var before = trace.Replies.Where(r => r.ReceivedAt < down).Select(r => r.Sequence).DefaultIfEmpty(0).Max();
        var after = trace.Replies.Where(r => r.ReceivedAt >= up).Select(r => r.Sequence).DefaultIfEmpty(trace.Sent + 1).Min();
        return Enumerable.Range(before + 1, Math.Max(0, after - before - 1)).Count(s => !answered.Contains(s));
    }

    /// <summary>
    /// The plot's path ranges from alice's <c>path to</c> lines: "relay" when via the relay, otherwise "direct via NAT"
    /// with the NAT alice was behind at the time (the move schedule); the path before the first line is the direct path
    /// via nat1 that the demo waited for (or the relay).
    /// </summary>
    private static List<(string Label, DateTimeOffset From, DateTimeOffset To)> PathRanges(
        IEnumerable<DaemonEvent> events, List<(DateTimeOffset Down, DateTimeOffset Up, string From, string To)> schedule, PingTrace trace, bool expectDirect)
    {
        string NatAt(DateTimeOffset t) => schedule.LastOrDefault(s => s.Down <= t) is { To: { } to } ? to : "nat1";
        string Label(bool direct, DateTimeOffset t) => direct ? $"direct via {NatAt(t)}" : "relay";

        var changes = events.Where(e => e.Host == "alice" && e.Kind == DaemonEventKind.PathChanged && e.Direct is not null)
            .Select(e => (e.Time, Label: Label(e.Direct!.Value, e.Time))).OrderBy(c => c.Time).ToList();
        var initial = changes.LastOrDefault(c => c.Time <= trace.Start).Label ?? Label(expectDirect, trace.Start);
        var ranges = new List<(string, DateTimeOffset, DateTimeOffset)>();
        var label = initial;
        var from = trace.Start;
        var end = trace.End.AddSeconds(1);
        foreach (var c in changes.Where(c => c.Time > trace.Start && c.Time < end))
        {
            ranges.Add((label, from, c.Time));
            (label, from) = (c.Label, c.Time);
        }

        ranges.Add((label, from, end));
        return ranges;
    }

    private void WriteTimeline(HandoverDemoResult result, PingTrace trace)
    {
        var lines = new List<(DateTimeOffset Time, string Who, string Text)> { (trace.Start, "link", "ping -i 0.01 from alice to bob's HIT over hip0 started") };
        foreach (var m in result.Moves.Where(_ => options.Failover))
        {
            lines.Add((m.Down, "link", $"failure {m.Number}: {m.From} drops everything (alice's uplink in use); her other uplink is behind {m.To}"));
            if (m.Gap is { } g)
            {
                lines.Add((m.Down + g, "ping", $"failure {m.Number}: replies again, {Ms(g)} after the last one before the failure"));
            }
        }

        foreach (var m in result.Moves.Where(_ => !options.Failover))
        {
            lines.Add((m.Down, "link", $"move {m.Number}: alice's uplink down behind {m.From} (port down {options.Outage.TotalMilliseconds:0} ms, then re-plugged behind {m.To})"));
            lines.Add((m.Up, "link", $"move {m.Number}: alice's uplink up behind {m.To} (gateway reachable)"));
            if (m.Gap is { } g)
            {
                lines.Add((m.Up + g, "ping", $"move {m.Number}: first reply after the new uplink, {Ms(g)} after it came up"));
            }
        }

        lines.AddRange(result.Events.Select(e => (e.Time, e.Host, e.Text)));
        foreach (var (time, who, text) in lines.OrderBy(l => l.Time))
        {
            output.WriteLine($"  {(time - trace.Start).TotalMilliseconds,7:0} ms  {who,-5}  {text}");
        }
    }

    private void WriteSummary(HandoverDemoResult r, PingTrace trace, JsonElement aliceStatus, JsonElement bobStatus, HipnatDaemon alice, HipnatDaemon bob, NetworkLab lab)
    {
        output.WriteLine("SUMMARY");
        output.WriteLine($"  NATs           nat1, nat3 (alice): {options.AliceNat.Description}");
        output.WriteLine($"                 nat2 (bob):        {options.BobNat.Description}");
        foreach (var m in r.Moves)
        {
            var gap = m.Gap is { } g ? $"{(options.Failover ? "gap" : "gap after the new uplink")} {Ms(g)}" : "no reply after it";
            var ok = m.Gap is { } h && h <= HandoverDemoOptions.RecoveryLimit ? "ok" : "FAILED";
            string kind = options.Failover ? "failure" : "move";
            output.WriteLine($"  {kind} {m.Number.ToString(CultureInfo.InvariantCulture).PadRight(13 - kind.Length)} {m.From} -> {m.To}: {gap}, {m.Lost} replies lost  {ok}");
        }

        var gaps = r.Moves.Where(m => m.Gap is not null).Select(m => m.Gap!.Value).Order().ToList();
        if (gaps.Count > 0)
        {
            var p95 = gaps[Math.Min(gaps.Count - 1, (int)Math.Ceiling(gaps.Count * 0.95) - 1)];
            output.WriteLine($"  gaps           median {Ms(gaps[gaps.Count / 2])}, p95 {Ms(p95)}, max {Ms(gaps[^1])} over {gaps.Count} {(options.Failover ? "failure(s)" : "move(s)")} (limit {Ms(HandoverDemoOptions.RecoveryLimit)})");
        }

        output.WriteLine($"  ping           sent {trace.Sent}, replies {trace.Replies.Count}, lost {trace.Lost}" +
            (trace.MeasuredInterval is { } every ? $", one every {every.TotalMilliseconds:0.0} ms" : string.Empty));
        output.WriteLine($"  final path     alice -> bob: {DescribePath(aliceStatus, bob.Hit)}");
        output.WriteLine($"                 bob -> alice: {DescribePath(bobStatus, alice.Hit)}");
        if (r.LastHandover is { } last)
        {
            output.WriteLine($"  last handover  alice ({Str(last, "role")}, done in {Num(last, "durationMs")?.ToString("0", CultureInfo.InvariantCulture) ?? "-"} ms): {Str(last, "reason")}");
            if (last.TryGetProperty("steps", out var steps) && steps.ValueKind == JsonValueKind.Array)
            {
                foreach (var step in steps.EnumerateArray())
                {
                    output.WriteLine($"                 + {Num(step, "atMs") ?? 0,5:0} ms  {Str(step, "step")}");
                }
            }
        }
        else
        {
            output.WriteLine("  last handover  alice: none in status --json");
        }

        output.WriteLine($"  plot           {r.PlotPath} (replies per 100 ms, coloured by alice's path)");
        output.WriteLine($"  lab            {lab.Id}, torn down at the end");
    }

    private static string DescribePath(JsonElement status, string peerHit) =>
        HipnatStatus.State(status, peerHit) is not { } state
            ? "no association"
            : $"{HipnatStatus.LocalAddress(status, peerHit)?.ToString() ?? "?"} -> {HipnatStatus.PeerAddress(status, peerHit)?.ToString() ?? "?"} " +
              $"({HipnatStatus.ActivePath(status, peerHit) ?? "?"}), {state}";

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static double? Num(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    private static string Ms(TimeSpan t) => t.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture) + " ms";

    private void Progress(string text) => output.WriteLine($"[{clock.Elapsed.TotalSeconds,5:0.0} s] {text}");
}
