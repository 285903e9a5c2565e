using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;

namespace Hipnat.Lab.Demo;

/// <summary>What <see cref="LabDemo"/> builds and how it reports.</summary>
public sealed record LabDemoOptions
{
    /// <summary>The hipnat.dll the daemons run (<c>dotnet hipnat.dll ...</c> inside the namespaces).</summary>
    public required string HipnatDll { get; init; }

    /// <summary>The NAT in front of alice (the initiator).</summary>
    public DemoNat AliceNat { get; init; } = DemoNat.Eim;

    /// <summary>The NAT in front of bob (registered with the relay, the responder).</summary>
    public DemoNat BobNat { get; init; } = DemoNat.Eim;

    /// <summary>Keep the lab running after the summary until <see cref="LabDemo.RunAsync"/>'s token is cancelled; keep its files.</summary>
    public bool Keep { get; init; }

    /// <summary>Where the progress, time line and summary go.</summary>
    public TextWriter Output { get; init; } = Console.Out;
}

/// <summary>The outcome of a demo run.</summary>
public sealed class LabDemoResult
{
    public bool Success => Failures.Count == 0;

    /// <summary>Why the demo failed, one line each; empty on success.</summary>
    public List<string> Failures { get; } = [];

    public string? LabId { get; internal set; }

    public Timeline? Timeline { get; internal set; }

    /// <summary>bob's REG_FROM as bob's status reports it.</summary>
    public IPEndPoint? ReportedReflexive { get; internal set; }

    /// <summary>bob's NAT's real mapping of bob's flow to the relay (conntrack).</summary>
    public IPEndPoint? NatMapping { get; internal set; }

    /// <summary>Base exchange time as <c>hipnat connect</c> reports it.</summary>
    public double? ConnectMs { get; internal set; }

    /// <summary>Both hosts' active pair avoids the relay.</summary>
    public bool Direct { get; internal set; }

    /// <summary>Datagrams the relay sent on behalf of another HIT (captured).</summary>
    public int RelayForwardedCaptured { get; internal set; }

    /// <summary>The relay's own forwarded-packet counter (status), if it has one.</summary>
    public long? RelayForwardedCounter { get; internal set; }

    /// <summary>alice↔bob packets that crossed the relay after both hosts reported the direct path.</summary>
    public int PairPacketsThroughRelayAfterDirect { get; internal set; }

    /// <summary>alice↔bob packets after both hosts reported the direct path.</summary>
    public int PairPacketsAfterDirect { get; internal set; }

    /// <summary>alice's ICE view of the association (mode, selected pair and why, checks), from status --json.</summary>
    public string? Ice { get; internal set; }
}

/// <summary>
/// <c>hipnat lab demo</c>: a relay on a public segment and two hosts behind NATs, each running the real hipnat daemon
/// in its own network namespace. bob registers with the relay; alice reaches bob through it; the captured HIP packets
/// are printed as a time line, followed by a summary of registration, base exchange, direct path and relaying.
/// </summary>
/// <remarks>
/// Topology (docs/lab.md): relay 203.0.113.10 on "public" 203.0.113.0/24; nat1 (203.0.113.11) with alice 198.18.1.10 on
/// 198.18.1.0/24; nat2 (203.0.113.12) with bob 198.18.2.10 on 198.18.2.0/24. Everything is torn down at the end.
/// </remarks>
public sealed class LabDemo
{
    private static readonly TimeSpan CliTimeout = TimeSpan.FromSeconds(30);
    private readonly LabDemoOptions options;
    private readonly TextWriter output;
    private readonly List<(DateTimeOffset Time, string Text)> notes = [];
    private readonly Stopwatch clock = Stopwatch.StartNew();

    public LabDemo(LabDemoOptions options)
    {
        this.options = options;
        output = options.Output;
    }

    /// <summary>Runs the demo; never throws for a failed step — the result says what failed.</summary>
    public static async Task<LabDemoResult> RunAsync(LabDemoOptions options, CancellationToken cancellationToken = default)
    {
        var demo = new LabDemo(options);
        return await Task.Run(() => demo.Run(cancellationToken), CancellationToken.None).ConfigureAwait(false);
    }

    private LabDemoResult Run(CancellationToken cancellationToken)
    {
        var result = new LabDemoResult();
        if (!NetworkLab.IsSupported(out var reason))
        {
            result.Failures.Add(reason);
            return result;
        }

        NetworkLab? lab = null;
        var daemons = new List<HipnatDaemon>();
        try
        {
            Progress($"building the lab: relay on 203.0.113.0/24; alice behind nat1 ({options.AliceNat.Name}), bob behind nat2 ({options.BobNat.Name})");
            lab = NetworkLab.Create(new LabOptions { KeepArtifacts = options.Keep });
            result.LabId = lab.Id;
            var pub = lab.AddSegment("public", "203.0.113.0/24");
            var relayHost = lab.AddHost("relay", pub);
            var nat1 = lab.AddNat("nat1", pub, "198.18.1.0/24", options.AliceNat.Options);
            var nat2 = lab.AddNat("nat2", pub, "198.18.2.0/24", options.BobNat.Options);
            var aliceHost = nat1.AddHost("alice");
            var bobHost = nat2.AddHost("bob");
            cancellationToken.ThrowIfCancellationRequested();

            Progress("generating keys and starting captures (tshark on relay/eth0, nat1/wan0, nat2/wan0, alice/eth0, bob/eth0)");
            var tool = HipnatTool.ForLab(lab, options.HipnatDll);
            var keys = Task.Run(() => tool.Keygen("relay", "alice", "bob"), cancellationToken);
            var capturePoints = new (LabHost Host, string Interface, string Segment)[]
            {
                (relayHost, "eth0", "public"),
                (nat1, "wan0", "public"),
                (nat2, "wan0", "public"),
                (aliceHost, "eth0", "alice LAN"),
                (bobHost, "eth0", "bob LAN"),
            };
            var captureTasks = capturePoints.Select(c => Task.Run(() => c.Host.Capture(c.Interface, "udp"), cancellationToken)).ToArray();
            Task.WaitAll(captureTasks, cancellationToken);
            var captures = captureTasks.Select(t => t.Result).ToArray();
            var ids = keys.GetAwaiter().GetResult();

            var start = DateTimeOffset.UtcNow;
            Note(start, $"relay: hipnat relay --allow-any  (HIT {ids["relay"].Hit})");
            var relay = tool.StartRelay(relayHost, ids["relay"], "--allow-any");
            daemons.Add(relay);
            var relayEp = relay.Endpoint;

            Note($"bob: hipnat run --relay RELAY={relayEp}  (HIT {ids["bob"].Hit})");
            var bobTask = Task.Run(() => tool.StartHost(bobHost, ids["bob"], "--relay", $"{ids["relay"].Hit}={relayEp}"), cancellationToken);
            Note($"alice: hipnat run --peer BOB={relayEp}  (HIT {ids["alice"].Hit})");
            var aliceTask = Task.Run(() => tool.StartHost(aliceHost, ids["alice"], "--peer", $"{ids["bob"].Hit}={relayEp}"), cancellationToken);
            var bob = bobTask.GetAwaiter().GetResult();
            daemons.Add(bob);
            var alice = aliceTask.GetAwaiter().GetResult();
            daemons.Add(alice);

            // 1. Registration: bob's REG_FROM against nat2's real mapping.
            JsonElement bobStatus;
            try
            {
                bobStatus = bob.WaitForStatus(s => HipnatStatus.GrantedRegistration(s, relay.Hit) is not null, TimeSpan.FromSeconds(10), "granted registration with REG_FROM");
            }
            catch (TimeoutException e)
            {
                result.Failures.Add($"bob did not register with the relay: {e.Message}");
                throw new DemoStopped();
            }

            var registration = HipnatStatus.GrantedRegistration(bobStatus, relay.Hit)!;
            result.ReportedReflexive = registration.Reflexive;
            Note($"bob: registered with the relay ({registration.Type}), REG_FROM {registration.Reflexive}");
            var mapping = nat2.GetMappings().FirstOrDefault(m => m.Original.Source.Equals(bobHost.Address) && m.Original.Destination.Equals(relayEp.Address)
                && m.Original.DestinationPort == relayEp.Port && m.Protocol == "udp");
            result.NatMapping = mapping?.MappedEndpoint;
            if (mapping is null)
            {
                result.Failures.Add($"nat2 has no UDP mapping for bob {bobHost.Address} → relay {relayEp}");
            }
            else if (!mapping.MappedEndpoint.Equals(registration.Reflexive))
            {
                result.Failures.Add($"REG_FROM {registration.Reflexive} is not nat2's mapping {mapping.MappedEndpoint} of {bobHost.Address}:{mapping.Original.SourcePort}");
            }

            cancellationToken.ThrowIfCancellationRequested();

            // 2. Base exchange through the relay, driven by the CLI.
            Note($"alice: hipnat connect BOB");
            var connect = alice.Cli(CliTimeout, "connect", bob.Hit, "--timeout", "10");
            var connectLine = (connect.StandardOutput + connect.StandardError).Trim();
            Note($"alice: {connectLine.Replace(bob.Hit, "BOB", StringComparison.Ordinal)}");
            if (!connect.Succeeded)
            {
                result.Failures.Add($"hipnat connect failed (exit {connect.ExitCode}): {connectLine}");
                throw new DemoStopped();
            }

            var ms = System.Text.RegularExpressions.Regex.Match(connect.StandardOutput, @"in ([0-9.]+) ms");
            if (ms.Success)
            {
                result.ConnectMs = double.Parse(ms.Groups[1].Value, CultureInfo.InvariantCulture);
            }

            // 3. Direct path: both hosts' active pair leaves the relay when both NATs map endpoint-independently.
            bool expectDirect = options.AliceNat.EndpointIndependentMapping && options.BobNat.EndpointIndependentMapping;
            JsonElement aliceStatus = default;
            var directDeadline = clock.Elapsed + TimeSpan.FromSeconds(expectDirect ? 10 : 3);
            DateTimeOffset? directAt = null;
            while (clock.Elapsed < directDeadline)
            {
                aliceStatus = alice.Status();
                bobStatus = bob.Status();
                bool aliceDirect = HipnatStatus.IsDirect(aliceStatus, bob.Hit, relayEp);
                bool bobDirect = HipnatStatus.IsDirect(bobStatus, alice.Hit, relayEp);
                if (aliceDirect && bobDirect)
                {
                    directAt = DateTimeOffset.UtcNow;
                    break;
                }

                Thread.Sleep(50);
            }

            result.Direct = directAt is not null;
            result.Ice = DescribeIce(alice.Status(), bob.Hit);
            if (directAt is { } at)
            {
                Note(at, $"status: alice → {HipnatStatus.PeerAddress(aliceStatus, bob.Hit)}, bob → {HipnatStatus.PeerAddress(bobStatus, alice.Hit)}: both direct, not via the relay");
            }
            else
            {
                Note($"status: alice's active path {HipnatStatus.PeerAddress(aliceStatus, bob.Hit)}, bob's {HipnatStatus.PeerAddress(bobStatus, alice.Hit)} (via the relay)");
                if (expectDirect)
                {
                    result.Failures.Add($"both NATs map endpoint-independently but the association did not move to a direct path within 10 s " +
                        $"(alice's peer address {HipnatStatus.PeerAddress(aliceStatus, bob.Hit)}, bob's {HipnatStatus.PeerAddress(bobStatus, alice.Hit)})");
                }
            }

            // 4. CLOSE over the active path: direct when it moved, through the relay otherwise.
            Thread.Sleep(200);
            Note("alice: hipnat close BOB");
            var close = alice.Cli(CliTimeout, "close", bob.Hit);
            if (!close.Succeeded)
            {
                result.Failures.Add($"hipnat close failed (exit {close.ExitCode}): {(close.StandardOutput + close.StandardError).Trim()}");
            }
            else
            {
                try
                {
                    alice.WaitForStatus(s => HipnatStatus.State(s, bob.Hit) is null or "CLOSED" or "UNASSOCIATED", TimeSpan.FromSeconds(5), "CLOSE_ACK");
                }
                catch (TimeoutException e)
                {
                    result.Failures.Add($"the association did not close: {e.Message}");
                }
            }

            var relayStatus = relay.Status();
            if (HipnatStatus.HasCounter(relayStatus, "relayed"))
            {
                result.RelayForwardedCounter = HipnatStatus.Counter(relayStatus, "relayed");
            }

            // 5. Captures → time line.
            Progress("stopping the captures and decoding them with tshark");
            Task.WaitAll(captures.Select(c => Task.Run(c.Stop, CancellationToken.None)).ToArray(), CancellationToken.None);
            var frameTasks = captures.Zip(capturePoints).Select(x => Task.Run(() =>
                HipFrame.Read(x.First.PcapPath, x.Second.Segment, $"{x.Second.Host.Name}/{x.Second.Interface}"))).ToArray();
            Task.WaitAll(frameTasks, CancellationToken.None);

            var hitNames = ids.Values.ToDictionary(i => IPAddress.Parse(i.Hit), i => i.Name);
            var segmentLabels = capturePoints.GroupBy(c => c.Host.Interface(c.Interface).Segment.Name).ToDictionary(g => g.Key, g => g.First().Segment);
            var nodes = new Dictionary<IPAddress, TimelineNode>();
            foreach (var h in lab.Hosts.Values)
            {
                foreach (var i in h.Interfaces)
                {
                    nodes[i.Address] = new TimelineNode(h.Name, segmentLabels.GetValueOrDefault(i.Segment.Name, i.Segment.Name), h is LabNat);
                }
            }

            var timeline = new Timeline(frameTasks.SelectMany(t => t.Result), hitNames, nodes);
            foreach (var (time, text) in notes)
            {
                timeline.AddNote(time, text);
            }

            result.Timeline = timeline;
            result.RelayForwardedCaptured = timeline.Entries.Count(e => e.From == "relay" && e.IsForwarded);
            if (directAt is { } switched)
            {
                var after = timeline.Entries.Where(e => e.Time > switched && e.IsBetween("alice", "bob")).ToList();
                result.PairPacketsAfterDirect = after.Count;
                result.PairPacketsThroughRelayAfterDirect = after.Count(e => e.Touches(relayEp));
                if (result.PairPacketsThroughRelayAfterDirect > 0)
                {
                    result.Failures.Add($"{result.PairPacketsThroughRelayAfterDirect} packet(s) between alice and bob crossed the relay after the switch to the direct path");
                }
            }

            if (!timeline.Entries.Any(e => e.Hip?.Type == 1 && e.IsBetween("alice", "bob")))
            {
                result.Failures.Add("no I1 from alice to bob was captured");
            }

            output.WriteLine();
            output.WriteLine($"TIMELINE  (ms since the relay started; HIP over UDP {HipnatTool.Port}; under each packet: where it was captured, source → destination there)");
            output.Write(timeline.Render(start));
            output.WriteLine();
            WriteSummary(result, timeline, registration, nat2, bobHost, relayEp, start, directAt, expectDirect, lab);

            if (options.Keep && result.Success)
            {
                KeepRunning(lab, tool, relay, alice, bob, cancellationToken);
            }
        }
        catch (DemoStopped)
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
                foreach (var d in daemons)
                {
                    output.WriteLine($"last output of {d.Name}'s daemon:");
                    output.WriteLine(d.Tail());
                }
            }

            if (lab is not null)
            {
                Progress(options.Keep ? $"tearing the lab down (files kept in {lab.WorkDirectory})" : "tearing the lab down");
                Parallel.ForEach(daemons, d => d.Dispose());
                if (options.Keep)
                {
                    foreach (var d in daemons)
                    {
                        File.WriteAllLines(Path.Combine(d.Tool.Directory, d.Name + ".log"), d.Process.Output.Select(l => l.ToString()));
                    }
                }

                lab.Dispose();
            }
        }

        output.WriteLine(result.Success
            ? $"RESULT: OK ({clock.Elapsed.TotalSeconds:0.0} s)"
            : $"RESULT: FAILED — {string.Join("; ", result.Failures)}");
        return result;
    }

    private void WriteSummary(LabDemoResult r, Timeline timeline, RegistrationStatus registration, LabNat nat2, LabHost bobHost, IPEndPoint relayEp,
        DateTimeOffset start, DateTimeOffset? directAt, bool expectDirect, NetworkLab lab)
    {
        string Ms(DateTimeOffset t) => (t - start).TotalMilliseconds.ToString("0.0", CultureInfo.InvariantCulture);
        output.WriteLine("SUMMARY");
        output.WriteLine($"  NATs           nat1 (alice): {options.AliceNat.Description}");
        output.WriteLine($"                 nat2 (bob):   {options.BobNat.Description}");
        var regOk = r.NatMapping is not null && r.NatMapping.Equals(r.ReportedReflexive);
        output.WriteLine($"  registration   bob → relay {relayEp}: {registration.Type} granted; REG_FROM {r.ReportedReflexive} " +
            $"{(regOk ? "=" : "≠")} nat2's mapping of {bobHost.Address}:{HipnatTool.Port} → {(r.NatMapping?.ToString() ?? "none")} (conntrack)  {(regOk ? "ok" : "MISMATCH")}");
        var regFromOnWire = timeline.Entries.Select(e => e.Hip?.GetTransportAddress(HipParameterTypes.RegFrom)).FirstOrDefault(a => a is not null);
        if (regFromOnWire is not null)
        {
            output.WriteLine($"                 REG_FROM on the wire: {regFromOnWire}");
        }

        var pair = timeline.Entries.Where(e => e.IsBetween("alice", "bob") && e.Hip is not null).ToList();
        var i1 = pair.FirstOrDefault(e => e.Hip!.Type == 1);
        var r2 = pair.LastOrDefault(e => e.Hip!.Type == 4 && (i1 is null || e.Time > i1.Time));
        var wire = i1 is not null && r2 is not null ? $"; on the wire first I1 at {Ms(i1.Time)} ms → last R2 hop at {Ms(r2.Hops[^1].Time)} ms = {(r2.Hops[^1].Time - i1.Time).TotalMilliseconds:0.0} ms" : string.Empty;
        output.WriteLine($"  base exchange  alice → bob via the relay: ESTABLISHED in {(r.ConnectMs is { } c ? $"{c:0.0} ms (hipnat connect)" : "?")}{wire}");
        if (directAt is { } d)
        {
            output.WriteLine($"  direct path    yes: both hosts' active pair avoids the relay since {Ms(d)} ms (status --json); " +
                $"afterwards {r.PairPacketsAfterDirect} alice↔bob packet(s), {r.PairPacketsThroughRelayAfterDirect} of them through the relay");
        }
        else
        {
            output.WriteLine($"  direct path    no: the association stayed on the relay ({(expectDirect ? "UNEXPECTED: both NATs map endpoint-independently" : "expected: a NAT with address-dependent mapping gives the peer no reachable endpoint")})");
        }

        if (r.Ice is { } ice)
        {
            output.WriteLine($"  ICE            {ice}");
        }

        output.WriteLine($"  relay          forwarded {r.RelayForwardedCaptured} packet(s) between alice and bob (captured: " +
            $"{string.Join(", ", timeline.Entries.Where(e => e.From == "relay" && e.IsForwarded).Select(e => e.Hip!.TypeName))})" +
            (r.RelayForwardedCounter is { } n ? $"; its relayed counter says {n}" : string.Empty));
        output.WriteLine($"  lab            {lab.Id}, {timeline.Entries.Count} datagrams in {lab.Hosts.Count} namespaces; {(options.Keep ? $"captures in {lab.WorkDirectory}" : "torn down at the end")}");
    }

    private void KeepRunning(NetworkLab lab, HipnatTool tool, HipnatDaemon relay, HipnatDaemon alice, HipnatDaemon bob, CancellationToken cancellationToken)
    {
        output.WriteLine();
        output.WriteLine($"The lab {lab.Id} keeps running; press Ctrl-C to tear it down (captures, keys and daemon logs stay in {lab.WorkDirectory}). Try:");
        foreach (var d in new[] { relay, alice, bob })
        {
            output.WriteLine($"  ip netns exec {d.Host.Namespace} dotnet {tool.Dll} status --control {d.ControlSocket}");
        }

        output.WriteLine($"  ip netns exec {alice.Host.Namespace} dotnet {tool.Dll} connect {bob.Hit} --control {alice.ControlSocket}");
        try
        {
            Task.Delay(Timeout.Infinite, cancellationToken).Wait(CancellationToken.None);
        }
        catch (AggregateException)
        {
        }
    }

    private void Progress(string text) => output.WriteLine($"[{clock.Elapsed.TotalSeconds,5:0.0} s] {text}");

    private void Note(string text) => Note(DateTimeOffset.UtcNow, text);

    private void Note(DateTimeOffset time, string text)
    {
        notes.Add((time, text));
        Progress(text);
    }

    private sealed class DemoStopped : Exception
    {
    }

    /// <summary>One line from alice's ICE state (RFC 9028): mode and role, the selected pair and why, checks sent.</summary>
    private static string? DescribeIce(System.Text.Json.JsonElement status, string peerHit)
    {
        if (HipnatStatus.Association(status, peerHit) is not { } a || !a.TryGetProperty("ice", out var ice) || ice.ValueKind != System.Text.Json.JsonValueKind.Object)
        {
            return null;
        }

        static string? S(System.Text.Json.JsonElement e, string name) =>
            e.TryGetProperty(name, out var v) && v.ValueKind == System.Text.Json.JsonValueKind.String ? v.GetString() : null;

        static int N(System.Text.Json.JsonElement e, string name) =>
            e.TryGetProperty(name, out var v) && v.ValueKind == System.Text.Json.JsonValueKind.Number ? v.GetInt32() : 0;

        string selected = S(ice, "selected") is { } pair ? $"selected {pair} — {S(ice, "selectedReason")}" : $"no pair selected ({S(ice, "state")})";
        return $"{S(ice, "mode")}, alice {S(ice, "role")}: {selected}; {N(ice, "checksSent")} checks sent, {N(ice, "checksReceived")} received";
    }
}
