using System.Diagnostics;
using System.Globalization;
using System.Text;
using Hipnat.Simulator;

namespace Hipnat.Bench;

/// <summary>
/// The mobility matrix: every pair of RFC 4787 NAT behaviours (and no NAT) on A and B, each of the four
/// <see cref="MobilityMove"/>s, many seeds; per move and cell whether traffic recovered, the longest silence, the
/// datagrams lost and the path afterwards. Writes Markdown (docs/mobility-matrix.md via scripts/mobility-matrix.sh).
/// <c>mobility-trace A B MOVE SEED</c> prints one run's debug log and packet trace.
/// </summary>
internal static class MobilityMatrixBench
{
    private static readonly (string Name, MobilityMove Move)[] Moves =
    [
        ("break-before-make", MobilityMove.BreakBeforeMake),
        ("make-before-break", MobilityMove.MakeBeforeBreak),
        ("nat-rebinding", MobilityMove.NatRebinding),
        ("double-jump", MobilityMove.DoubleJump),
    ];

    /// <summary>Moves of the failover matrix (a dual-homed A, docs/multihoming.md); traceable like the others.</summary>
    internal static readonly (string Name, MobilityMove Move)[] FailoverMoves =
    [
        ("uplink-fails-hot", MobilityMove.UplinkFailsHot),
        ("uplink-fails-cold", MobilityMove.UplinkFailsCold),
        ("uplink-down", MobilityMove.UplinkDown),
        ("random-failures", MobilityMove.RandomFailures),
    ];

    private static readonly (string Name, MobilityMove Move)[] AllMoves = [.. Moves, .. FailoverMoves];

    private sealed record Cell(int A, int B, MobilityMove Move, MobilityOutcome[] Runs);

    public static int Dispatch(string[] args) => args[0] switch
    {
        "mobility-matrix" => Run(args[1..]),
        "mobility-trace" when args.Length is >= 5 and <= 7 => Trace(args[1..]),
        _ => Usage(),
    };

    private static int Usage()
    {
        Console.Error.WriteLine("usage: Hipnat.Bench mobility-matrix [--seeds N] [--out FILE] [--nat-only] [--ping | --ping-from-b] | mobility-trace A B MOVE N [--all] [--ping | --ping-from-b]");
        Console.Error.WriteLine("  A, B: 0 = no NAT, 1-9 = EIM/EIF … APDM/APDF; MOVE: " + string.Join(", ", AllMoves.Select(m => m.Name)) + "; N: seed number (1…) or a full seed; --all: the whole packet trace; --ping: B only answers A's traffic, as ping's echo replies do (--ping-from-b: A answers B's)");
        return 2;
    }

    private static MobilityMove ParseMove(string s) =>
        AllMoves.FirstOrDefault(m => m.Name == s) is { Name: not null } m ? m.Move : throw new ArgumentException($"unknown move '{s}'");

    private static string Name(MobilityMove m) => AllMoves.First(x => x.Move == m).Name;

    /// <summary>Distinct seeds per cell and move so that no two cells replay the same jitter sequence.</summary>
    private static long SeedOf(int a, int b, MobilityMove m, int n) => (((((int)m * 100) + (a * 10) + b) * 1000) + n);

    private static int Trace(string[] args)
    {
        int a = int.Parse(args[0], CultureInfo.InvariantCulture);
        int b = int.Parse(args[1], CultureInfo.InvariantCulture);
        var move = ParseMove(args[2]);
        long n = long.Parse(args[3], CultureInfo.InvariantCulture);
        long seed = n < 1000 ? SeedOf(a, b, move, (int)n) : n;
        bool all = args.Contains("--all");
        string? replier = args.Contains("--ping") ? "B" : args.Contains("--ping-from-b") ? "A" : null;
        var o = MobilityScenario.Run(IceMatrixBench.Side(a).Behavior, IceMatrixBench.Side(b).Behavior, move, seed, IceLinks.Matrix, trace: true, debugLog: true, traceAll: all, replier: replier);
        if (o.Trace is not null)
        {
            Console.WriteLine(all ? "=== packet trace, whole run" : "=== packet trace from the move (emulated ESP only where dropped)");
            Console.WriteLine(o.Trace);
        }

        Console.WriteLine("=== debug log");
        foreach (var l in o.Log)
        {
            Console.WriteLine(l);
        }

        Console.WriteLine($"A {IceMatrixBench.Side(a).Label}, B {IceMatrixBench.Side(b).Label}, {Name(move)}, seed {seed}: " + Summary(o));
        return 0;
    }

    internal static string Summary(MobilityOutcome o) =>
        o.NotApplicable ? "not applicable"
        : o.SetupFailure is { } f ? "setup failed: " + f
        : string.Create(CultureInfo.InvariantCulture, $"move at {o.MoveAt.TotalMilliseconds:F0} ms, path {o.PathBefore} -> {o.PathAfter}; survived {o.Survived}{(o.Failure is null ? string.Empty : " (" + o.Failure + ")")}; recovered {o.Recovered}; gap A->B {o.GapAToB.TotalMilliseconds:F0} ms, B->A {o.GapBToA.TotalMilliseconds:F0} ms; flowing again after {o.FlowingAgainAfter.TotalMilliseconds:F0} ms; lost {o.Lost}/{o.Offered}; handovers started {o.HandoversStarted}, completed [{string.Join(", ", o.Handovers.Select(h => $"{h.Side}{(h.Mobile ? " mobile" : string.Empty)} {h.Duration.TotalMilliseconds:F0} ms"))}]; paths suspected {o.PathsSuspected}");

    private static int Run(string[] args)
    {
        int seeds = ScaleBench.Arg(args, "--seeds", 10);
        int oi = Array.IndexOf(args, "--out");
        string? outPath = oi >= 0 && oi + 1 < args.Length ? args[oi + 1] : null;
        int first = args.Contains("--nat-only") ? 1 : 0;
        string? replier = args.Contains("--ping") ? "B" : args.Contains("--ping-from-b") ? "A" : null;
        var links = IceLinks.Matrix;
        var sw = Stopwatch.StartNew();
        var jobs = new List<(int A, int B, MobilityMove Move, int Seed)>();
        foreach (var (_, move) in Moves)
        {
            for (int a = first; a < 10; a++)
            {
                for (int b = first; b < 10; b++)
                {
                    for (int s = 1; s <= seeds; s++)
                    {
                        jobs.Add((a, b, move, s));
                    }
                }
            }
        }

        var results = new MobilityOutcome[jobs.Count];
        int done = 0;
        Parallel.For(0, jobs.Count, i =>
        {
            var (a, b, m, s) = jobs[i];
            results[i] = MobilityScenario.Run(IceMatrixBench.Side(a).Behavior, IceMatrixBench.Side(b).Behavior, m, SeedOf(a, b, m, s), links, replier: replier);
            int n = Interlocked.Increment(ref done);
            if (n % 200 == 0)
            {
                Console.Error.WriteLine($"{n}/{jobs.Count} runs, {sw.Elapsed.TotalSeconds:F0} s");
            }
        });

        var cells = new List<Cell>();
        for (int c = 0; c * seeds < jobs.Count; c++)
        {
            var j = jobs[c * seeds];
            cells.Add(new Cell(j.A, j.B, j.Move, results.AsSpan(c * seeds, seeds).ToArray()));
        }

        string md = Render(cells, seeds, links, first == 1, replier);
        if (outPath is null)
        {
            Console.Write(md);
        }
        else
        {
            File.WriteAllText(outPath, md);
            Console.Error.WriteLine($"wrote {outPath} ({jobs.Count} runs in {sw.Elapsed.TotalSeconds:F0} s)");
        }

        // Non-zero when an association did not survive or traffic did not recover in some run.
        return cells.Any(c => c.Runs.Any(r => !r.NotApplicable && (r.SetupFailure is not null || !r.Recovered))) ? 1 : 0;
    }

    /// <summary>A share in whole per cent, with one decimal where rounding would hide a run or two (99.7 %, not 100 %).</summary>
    private static string Pct(int n, int of)
    {
        if (of == 0)
        {
            return "–";
        }

        double v = 100.0 * n / of;
        bool hidden = (n != of && v >= 99.5) || (n != 0 && v < 0.5);
        return v.ToString(hidden ? "0.0" : "0", CultureInfo.InvariantCulture) + " %";
    }

    private static string Ms(double v) => double.IsNaN(v) ? "–" : v.ToString("0", CultureInfo.InvariantCulture);

    private static double P95(List<double> v)
    {
        if (v.Count == 0)
        {
            return double.NaN;
        }

        var s = v.Order().ToList();
        return s[Math.Min(s.Count - 1, (int)Math.Ceiling(0.95 * s.Count) - 1)];
    }

    private static IEnumerable<MobilityOutcome> Measured(IEnumerable<MobilityOutcome> runs) => runs.Where(r => !r.NotApplicable && r.SetupFailure is null);

    /// <summary>Longest gaps (ms) of the runs that recovered.</summary>
    private static List<double> GapsMs(IEnumerable<MobilityOutcome> runs) => Measured(runs).Where(r => r.Recovered).Select(r => r.LongestGap.TotalMilliseconds).ToList();

    private static List<double> BackMs(IEnumerable<MobilityOutcome> runs) => Measured(runs).Where(r => r.Recovered).Select(r => r.FlowingAgainAfter.TotalMilliseconds).ToList();

    private static string Render(List<Cell> cells, int seeds, IceLinks links, bool natOnly, string? replier)
    {
        string mode = replier switch { "B" => " --ping", "A" => " --ping-from-b", _ => string.Empty };
        string file = replier switch { "B" => "mobility-matrix-ping.md", "A" => "mobility-matrix-ping-from-b.md", _ => "mobility-matrix.md" };
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        int sides = natOnly ? 9 : 10;
        sb.AppendLine("# Mobility matrix: handovers across RFC 4787 NAT behaviours" + replier switch
        {
            "B" => " (A, the host that moves, pings B)",
            "A" => " (B pings A, the host that moves)",
            _ => string.Empty,
        });
        sb.AppendLine();
        sb.AppendLine($"Generated by `scripts/mobility-matrix.sh {seeds}` (builds `bench/Hipnat.Bench` and runs");
        sb.AppendLine($"`Hipnat.Bench.dll mobility-matrix --seeds {seeds}{(natOnly ? " --nat-only" : string.Empty)}{mode} --out docs/{file}`); do not edit by hand.");
        sb.AppendLine("Every figure comes from the deterministic simulator (`src/Hipnat.Simulator`) running the sans-IO core");
        sb.AppendLine("(`src/Hipnat.Core`) unchanged; the same seed gives the same run. One run in detail (debug log of both hosts,");
        sb.AppendLine($"packet trace): `Hipnat.Bench.dll mobility-trace A B MOVE N{mode}` with A, B the row / column index (0 = no NAT,");
        sb.AppendLine("1–9 = EIM/EIF … APDM/APDF, as in the tables), MOVE as in the headings, N the seed number 1…" + seeds.ToString(inv) + ".");
        sb.AppendLine();
        sb.AppendLine("## Scenario");
        sb.AppendLine();
        sb.AppendLine("- As in the NAT matrix (docs/nat-matrix.md): a relay on the public realm offers RELAY_UDP_HIP and RELAY_UDP_ESP;");
        sb.AppendLine("  A and B, each behind its own NAT (or on the public realm: \"no NAT\"), register with it for both services; A");
        sb.AppendLine("  connects to B through the relay and ICE selects a pair (defaults everywhere; PathSilenceTimeout 400 ms).");
        sb.AppendLine($"- Links: {links.Describe()}. NATs: RFC 4787 mapping (EIM, ADM, APDM) × filtering (EIF,");
        sb.AppendLine("  ADF, APDF), port preservation, hairpinning, 120 s mapping timeout. A new network has the same link settings.");
        sb.AppendLine("- Data plane: each host sends a small UDP-encapsulated ESP datagram (outbound SPI, sequence number) every");
        sb.AppendLine("  10 ms from its association's local address to its peer address — what the runtime's data plane does — through");
        sb.AppendLine("  the simulated NATs and the data relay; the receiver counts it when it carries one of its inbound SPIs. Each");
        sb.AppendLine("  tick the emulation tells the core whether ESP was sent and received (`HipHost.NoteTraffic`) and reports ESP");
        sb.AppendLine("  from a new source on a direct route (`HipHost.NotePeerAddress`); like the runtime it holds packets while the");
        sb.AppendLine("  only path is the control relay and ICE has selected nothing. Traffic starts one second after ICE settled and");
        if (replier is not null)
        {
            sb.AppendLine($"  Here {(replier == "B" ? "B" : "A")} sends only in answer, as the target of a ping does: a tick of its own offers a datagram");
            sb.AppendLine($"  only if one of {(replier == "B" ? "A" : "B")}'s arrived since the last (`EmulatedDataPlane.RepliesOnly`), so nothing of its own shows a relay");
            sb.AppendLine("  the way to it while its peer's datagrams are lost.");
        }

        sb.AppendLine($"  runs {MobilityScenario.WarmUp.TotalSeconds:0} s before the move (rounded up to a whole second), then {MobilityScenario.Observe.TotalSeconds:0} s after it (after the removal for make-before-break).");
        sb.AppendLine("- Moves:");
        sb.AppendLine("  - **break-before-make**: A's only address moves into a new realm behind a new NAT of the same behaviour as its");
        sb.AppendLine("    old one (without a NAT: to a new public address); `SetLocalLocators` with the new address right after.");
        sb.AppendLine("  - **make-before-break**: A gains a second address behind a new NAT of the same behaviour (`SetLocalLocators`");
        sb.AppendLine($"    with both); {MobilityScenario.Overlap.TotalSeconds:0} s later the old address is removed (`SetLocalLocators` with the new one only).");
        sb.AppendLine("  - **nat-rebinding**: B's NAT is renumbered (new public address, every mapping forgotten); no host sees a local");
        sb.AppendLine("    change. Not applicable when B has no NAT (n/a).");
        sb.AppendLine("  - **double-jump**: A moves as in break-before-make, B likewise 10–90 ms later (from the seed).");
        sb.AppendLine($"- Seeds 1–{seeds} per cell and move (seed = (move × 100 + A × 10 + B) × 1000 + n).");
        sb.AppendLine();
        sb.AppendLine("## Columns");
        sb.AppendLine();
        sb.AppendLine("- **recovered**: share of runs in which the association survived (established on both sides at the end, no");
        sb.AppendLine("  AssociationFailed or AssociationClosed) and traffic flows both ways at the end (neither direction silent for");
        sb.AppendLine($"  more than {MobilityScenario.OutageThreshold.TotalMilliseconds:0} ms at the end of the observation). **survived** counts the association alone.");
        sb.AppendLine("- **gap ms** (median, p95 over the recovered runs): the longest silence in either direction from the last");
        sb.AppendLine("  datagram delivered before the move to the end — the outage the move caused (about 10–40 ms when none).");
        sb.AppendLine($"- **back ms** (median): from the move to the moment after which neither direction is silent for more than {MobilityScenario.OutageThreshold.TotalMilliseconds:0} ms");
        sb.AppendLine("  (for make-before-break this includes the one-second overlap when the outage follows the removal).");
        sb.AppendLine("- **lost** (median): datagrams of both directions offered from the move to one second before the end that never");
        sb.AppendLine("  arrived (200 per second offered; datagrams held back for want of a route count as lost).");
        sb.AppendLine("- **after**: path both data planes use at the end: D direct, R relayed (the data relay), M mixed, – none; a");
        sb.AppendLine("  cell shows the kinds seen, with counts when they differ; **before** the same at the move.");
        sb.AppendLine("- **handover ms** (median): the longest HandoverCompleted duration at either host after the move, over the runs");
        sb.AppendLine("  that raised one.");
        sb.AppendLine();

        // Totals per move.
        sb.AppendLine("## Summary");
        sb.AppendLine();
        sb.AppendLine("| move | runs | survived | recovered | gap median ms | gap p95 ms | gap max ms | back median ms | lost median | direct after | relayed after |");
        sb.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (var (name, move) in Moves)
        {
            var runs = Measured(cells.Where(c => c.Move == move).SelectMany(c => c.Runs)).ToList();
            var gaps = GapsMs(runs);
            sb.Append(inv, $"| {name} | {runs.Count} | {Pct(runs.Count(r => r.Survived), runs.Count)} | {Pct(runs.Count(r => r.Recovered), runs.Count)} | ");
            sb.Append(inv, $"{Ms(Stats.Median(gaps))} | {Ms(P95(gaps))} | {(gaps.Count > 0 ? Ms(gaps.Max()) : "–")} | {Ms(Stats.Median(BackMs(runs)))} | ");
            sb.Append(inv, $"{Ms(Stats.Median(runs.Select(r => (double)r.Lost).ToList()))} | {Pct(runs.Count(r => r.PathAfter == "direct"), runs.Count)} | {Pct(runs.Count(r => r.PathAfter == "relayed"), runs.Count)} |");
            sb.AppendLine();
        }

        var all = Measured(cells.SelectMany(c => c.Runs)).ToList();
        var allGaps = GapsMs(all);
        sb.AppendLine();
        sb.AppendLine($"Total: {all.Count} runs ({cells.Count} cells × {seeds} seeds, n/a cells left out); survived {Pct(all.Count(r => r.Survived), all.Count)},");
        sb.AppendLine($"recovered {Pct(all.Count(r => r.Recovered), all.Count)}; longest gap median {Ms(Stats.Median(allGaps))} ms, p95 {Ms(P95(allGaps))} ms over the recovered runs.");
        int setupFailed = cells.Sum(c => c.Runs.Count(r => r.SetupFailure is not null));
        if (setupFailed > 0)
        {
            sb.AppendLine($"{setupFailed} runs never had a path before the move and are left out.");
        }

        sb.AppendLine();

        var failing = cells.SelectMany(c => c.Runs.Select((r, i) => (c, r, n: i + 1))).Where(x => !x.r.NotApplicable && (x.r.SetupFailure is not null || !x.r.Recovered)).ToList();
        if (failing.Count > 0)
        {
            sb.AppendLine("## Runs that did not recover");
            sb.AppendLine();
            sb.AppendLine($"`mobility-trace A B MOVE N{mode}` replays one; at most 40 listed.");
            sb.AppendLine();
            foreach (var (c, r, n) in failing.Take(40))
            {
                sb.AppendLine(inv, $"- {IceMatrixBench.Side(c.A).Label} → {IceMatrixBench.Side(c.B).Label}, {Name(c.Move)}, n {n} (`mobility-trace {c.A} {c.B} {Name(c.Move)} {n}{mode}`): {Summary(r)}");
            }

            if (failing.Count > 40)
            {
                sb.AppendLine($"- … and {failing.Count - 40} more.");
            }

            sb.AppendLine();
        }

        foreach (var (name, move) in Moves)
        {
            sb.AppendLine($"## {name}");
            sb.AppendLine();
            sb.AppendLine("Overview (rows: A, the Initiator and ICE-controlling; columns: B): recovered share (✓ = all), median gap ms, path after.");
            sb.AppendLine();
            sb.Append("| A \\ B |");
            for (int b = 10 - sides; b < 10; b++)
            {
                sb.Append(' ').Append(IceMatrixBench.Side(b).Label).Append(" |");
            }

            sb.AppendLine();
            sb.Append("| --- |");
            for (int b = 0; b < sides; b++)
            {
                sb.Append(" --- |");
            }

            sb.AppendLine();
            for (int a = 10 - sides; a < 10; a++)
            {
                sb.Append("| **").Append(IceMatrixBench.Side(a).Label).Append("** |");
                for (int b = 10 - sides; b < 10; b++)
                {
                    var c = cells.First(x => x.A == a && x.B == b && x.Move == move);
                    var runs = Measured(c.Runs).ToList();
                    if (runs.Count == 0)
                    {
                        sb.Append(c.Runs.All(r => r.NotApplicable) ? " n/a |" : " – |");
                        continue;
                    }

                    int rec = runs.Count(r => r.Recovered);
                    sb.Append(' ').Append(rec == runs.Count ? "✓" : Pct(rec, runs.Count)).Append(' ').Append(Ms(Stats.Median(GapsMs(runs)))).Append(' ').Append(Paths(runs.Select(r => r.PathAfter))).Append(" |");
                }

                sb.AppendLine();
            }

            sb.AppendLine();
            sb.AppendLine("| A | B | runs | survived | recovered | gap median ms | gap p95 ms | back median ms | lost median | before | after | handover ms | suspected |");
            sb.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
            foreach (var c in cells.Where(x => x.Move == move))
            {
                var runs = Measured(c.Runs).ToList();
                if (runs.Count == 0)
                {
                    continue;
                }

                var gaps = GapsMs(runs);
                var hand = runs.Where(r => r.Handovers.Count > 0).Select(r => r.Handovers.Max(h => h.Duration).TotalMilliseconds).ToList();
                sb.Append(inv, $"| {IceMatrixBench.Side(c.A).Label} | {IceMatrixBench.Side(c.B).Label} | {runs.Count} | {Pct(runs.Count(r => r.Survived), runs.Count)} | {Pct(runs.Count(r => r.Recovered), runs.Count)} | ");
                sb.Append(inv, $"{Ms(Stats.Median(gaps))} | {Ms(P95(gaps))} | {Ms(Stats.Median(BackMs(runs)))} | {Ms(Stats.Median(runs.Select(r => (double)r.Lost).ToList()))} | ");
                sb.Append(inv, $"{Paths(runs.Select(r => r.PathBefore))} | {Paths(runs.Select(r => r.PathAfter))} | {Ms(Stats.Median(hand))} | {Ms(Stats.Median(runs.Select(r => (double)r.PathsSuspected).ToList()))} |");
                sb.AppendLine();
            }

            sb.AppendLine();
        }

        return sb.ToString();
    }

    /// <summary>"D", "R", or e.g. "7D 3R" when the runs differ.</summary>
    private static string Paths(IEnumerable<string> paths)
    {
        static string Letter(string p) => p switch { "direct" => "D", "relayed" => "R", "mixed" => "M", _ => "–" };
        var groups = paths.GroupBy(Letter).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).ToList();
        return groups.Count == 1 ? groups[0].Key : string.Join(" ", groups.Select(g => g.Count().ToString(CultureInfo.InvariantCulture) + g.Key));
    }
}
