using System.Diagnostics;
using System.Globalization;
using System.Text;
using Hipnat.Core.Ice;
using Hipnat.Simulator;

namespace Hipnat.Bench;

/// <summary>
/// The NAT matrix: every RFC 4787 mapping × filtering behaviour on each side (and no NAT on either side), each
/// cell run with many seeds in the simulator; per cell the share of runs that selected a direct pair, a relayed
/// pair (through the data relay) or none, the time from the first I1 to the selected pair and the checks sent.
/// Writes Markdown (docs/nat-matrix.md via scripts/nat-matrix.sh).
/// </summary>
internal static class IceMatrixBench
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(40);

    /// <summary>Bare Linux cells are observed longer: the unsolicited conntrack entries live 30 s, and the failed
    /// direct pairs are checked again 35 s after they failed (IceOptions.DirectRetryInitial).</summary>
    private static readonly TimeSpan BareWindow = TimeSpan.FromSeconds(90);

    /// <summary>Side indices of the bare Linux NATs (after no NAT and the nine router behaviours).</summary>
    private const int BareMasquerade = 10;
    private const int BareRandomFully = 11;

    /// <summary>The bare Linux cells (A, B): both NAT kinds on both sides, and plain MASQUERADE against the router
    /// with the same RFC 4787 behaviour (EIM/APDF, side 3).</summary>
    private static readonly (int A, int B)[] BareCells =
    [
        (BareMasquerade, BareMasquerade),
        (BareMasquerade, BareRandomFully),
        (BareRandomFully, BareMasquerade),
        (BareRandomFully, BareRandomFully),
        (BareMasquerade, 3),
        (3, BareMasquerade),
    ];

    private static readonly (string Name, MappingBehavior M)[] Mappings =
    [
        ("EIM", MappingBehavior.EndpointIndependent),
        ("ADM", MappingBehavior.AddressDependent),
        ("APDM", MappingBehavior.AddressAndPortDependent),
    ];

    private static readonly (string Name, FilteringBehavior F)[] Filterings =
    [
        ("EIF", FilteringBehavior.EndpointIndependent),
        ("ADF", FilteringBehavior.AddressDependent),
        ("APDF", FilteringBehavior.AddressAndPortDependent),
    ];

    /// <summary>Index 0: no NAT; 1-9: mapping × filtering (routers); 10: bare Linux MASQUERADE; 11: the same with --random-fully.</summary>
    internal static (string Label, NatBehavior? Behavior) Side(int i) => i switch
    {
        0 => ("no NAT", null),
        BareMasquerade => ("bare EIM/APDF", NatBehavior.BareLinux),
        BareRandomFully => ("bare APDM/APDF", NatBehavior.BareLinuxRandomFully),
        _ => ($"{Mappings[(i - 1) / 3].Name}/{Filterings[(i - 1) % 3].Name}", new NatBehavior { Mapping = Mappings[(i - 1) / 3].M, Filtering = Filterings[(i - 1) % 3].F }),
    };

    private static TimeSpan WindowOf(int a, int b) => a >= BareMasquerade || b >= BareMasquerade ? BareWindow : Window;

    private sealed record Cell(int A, int B, IceOutcome[] Runs);

    /// <summary>One run of one cell with the packet trace and both hosts' debug log: <c>ice-trace A B SEED [SECONDS]</c>
    /// with A, B the row / column index (0 = no NAT, 1-9 = EIM/EIF … APDM/APDF, 10 = bare Linux MASQUERADE,
    /// 11 = bare Linux MASQUERADE --random-fully).</summary>
    public static int Trace(string[] args)
    {
        int a = int.Parse(args[0], CultureInfo.InvariantCulture);
        int b = int.Parse(args[1], CultureInfo.InvariantCulture);
        long seed = long.Parse(args[2], CultureInfo.InvariantCulture);
        var window = args.Length > 3 ? TimeSpan.FromSeconds(int.Parse(args[3], CultureInfo.InvariantCulture)) : WindowOf(a, b);
        var o = IceScenario.Run(Side(a).Behavior, Side(b).Behavior, seed, IceLinks.Matrix, window, trace: true, debugLog: true);
        Console.WriteLine(o.Trace);
        foreach (var l in o.Log)
        {
            Console.WriteLine(l);
        }

        Console.WriteLine($"A {Side(a).Label}, B {Side(b).Label}, seed {seed}: I1 {o.I1At}, BEX {o.BexAt}, selected {o.SelectedAt} (first {o.FirstSelectedAt}, relayed {o.FirstRelayed}; first direct {o.FirstDirectAt}); direct retries A {o.DirectRetriesA} B {o.DirectRetriesB}; port collisions {o.PortCollisions}; A {o.PairA?.ToString() ?? "none"}; B {o.PairB?.ToString() ?? "none"}; checks failed {o.ChecksFailed}");
        return 0;
    }

    public static int Run(string[] args)
    {
        int seeds = ScaleBench.Arg(args, "--seeds", 20);
        int oi = Array.IndexOf(args, "--out");
        string? outPath = oi >= 0 && oi + 1 < args.Length ? args[oi + 1] : null;
        var links = IceLinks.Matrix;

        var sw = Stopwatch.StartNew();
        bool bareOnly = args.Contains("--bare-only");
        var jobs = new List<(int A, int B, int Seed)>();
        for (int a = 0; a < (bareOnly ? 0 : 10); a++)
        {
            for (int b = 0; b < 10; b++)
            {
                for (int s = 1; s <= seeds; s++)
                {
                    jobs.Add((a, b, s));
                }
            }
        }

        // The bare Linux cells, with their own seed range.
        int mainJobs = jobs.Count;
        foreach (var (a, b) in BareCells)
        {
            for (int s = 1; s <= seeds; s++)
            {
                jobs.Add((a, b, s));
            }
        }

        var results = new IceOutcome[jobs.Count];
        int done = 0;
        Parallel.For(0, jobs.Count, i =>
        {
            var (a, b, s) = jobs[i];
            // Distinct seeds per cell so that no two cells replay the same jitter sequence.
            long seed = a < BareMasquerade && b < BareMasquerade ? (((a * 10) + b) * 1000) + s : 1_000_000 + (((a * 100) + b) * 1000) + s;
            results[i] = IceScenario.Run(Side(a).Behavior, Side(b).Behavior, seed, links, WindowOf(a, b));
            int n = Interlocked.Increment(ref done);
            if (n % 200 == 0)
            {
                Console.Error.WriteLine($"{n}/{jobs.Count} runs, {sw.Elapsed.TotalSeconds:F0} s");
            }
        });

        var cells = new List<Cell>();
        for (int c = 0; c < mainJobs / seeds; c++)
        {
            cells.Add(new Cell(c / 10, c % 10, results.AsSpan(c * seeds, seeds).ToArray()));
        }

        var bare = new List<Cell>();
        for (int c = 0; c < BareCells.Length; c++)
        {
            bare.Add(new Cell(BareCells[c].A, BareCells[c].B, results.AsSpan(mainJobs + (c * seeds), seeds).ToArray()));
        }

        string md = (bareOnly ? "" : Render(cells, seeds, links)) + RenderBare(bare, seeds);
        if (outPath is null)
        {
            Console.Write(md);
        }
        else
        {
            File.WriteAllText(outPath, md);
            Console.Error.WriteLine($"wrote {outPath} ({jobs.Count} runs in {sw.Elapsed.TotalSeconds:F0} s)");
        }

        // Non-zero when a cell that the NATs allow to connect failed to select any pair.
        return cells.Concat(bare).Any(c => c.Runs.Any(r => r.PairA is null || r.PairB is null)) ? 1 : 0;
    }

    private static string Pct(int n, int of) => of == 0 ? "–" : (100.0 * n / of).ToString("0", CultureInfo.InvariantCulture) + " %";

    private static string Ms(double v) => double.IsNaN(v) ? "–" : v.ToString("0", CultureInfo.InvariantCulture);

    private static double Median(IEnumerable<double> v) => Stats.Median(v.ToList());

    private static IEnumerable<double> TimesMs(Cell c) =>
        c.Runs.Where(r => r.Agreed && r.SelectedAt is not null).Select(r => (r.SelectedAt!.Value - r.I1At).TotalMilliseconds);

    private static string Render(List<Cell> cells, int seeds, IceLinks links)
    {
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        sb.AppendLine("# NAT matrix: ICE for HIP across RFC 4787 NAT behaviours");
        sb.AppendLine();
        sb.AppendLine($"Generated by `scripts/nat-matrix.sh {seeds}` (builds `bench/Hipnat.Bench` and runs");
        sb.AppendLine($"`Hipnat.Bench.dll ice-matrix --seeds {seeds} --out docs/nat-matrix.md`); do not edit by hand.");
        sb.AppendLine("Every figure comes from the deterministic simulator (`src/Hipnat.Simulator`) running the sans-IO core");
        sb.AppendLine("(`src/Hipnat.Core`) unchanged; the same seed gives the same run.");
        sb.AppendLine();
        sb.AppendLine("## Scenario");
        sb.AppendLine();
        sb.AppendLine("- A relay on the public realm offers RELAY_UDP_HIP and RELAY_UDP_ESP (RFC 9028 §4.5, §4.12); hosts A and B,");
        sb.AppendLine("  each behind its own NAT (or directly on the public realm: \"no NAT\"), register with it for both services, so");
        sb.AppendLine("  each has a host, a server-reflexive (REG_FROM) and a relayed (RELAYED_ADDRESS) candidate.");
        sb.AppendLine("- A knows B only by the relay's address and starts a base exchange through it; A is the Initiator, hence");
        sb.AppendLine("  ICE-controlling. Both hosts use the defaults: modes ICE-HIP-UDP, ICE-STUN-UDP, UDP-ENCAPSULATION (ICE-HIP-UDP");
        sb.AppendLine("  negotiated), `IceOptions` defaults (NominationWait 150 ms, RelayFallbackDelay 2 s, MaxCheckAttempts 5,");
        sb.AppendLine("  not aggressive), TRANSACTION_PACING Ta = 50 ms (RTO = max(1 s, Ta × active pairs), doubling per attempt).");
        sb.AppendLine($"- Links: {links.Describe()}.");
        sb.AppendLine("  A packet host → relay crosses host link + NAT + relay attachment; host → host crosses both host links and");
        sb.AppendLine("  both NATs. NATs: RFC 4787 mapping (EIM endpoint-independent, ADM address-dependent,");
        sb.AppendLine("  APDM address-and-port-dependent) × filtering (EIF, ADF, APDF); port preservation with sequential fallback,");
        sb.AppendLine("  hairpinning, 120 s mapping timeout.");
        sb.AppendLine($"- Seeds 1–{seeds} per cell (seed = cell × 1000 + n): the seed drives link jitter and the hosts' random choices");
        sb.AppendLine($"  (SPIs, nonces, tie-breakers). Each run is observed for {Window.TotalSeconds:0} s of virtual time after the first I1, long");
        sb.AppendLine("  enough for every check to succeed or fail (5 attempts, RTO 1 + 2 + 4 + 8 + 16 s).");
        sb.AppendLine();
        sb.AppendLine("## Columns");
        sb.AppendLine();
        sb.AppendLine("- **direct / relayed / failed**: share of runs whose pair selected at the end of the window is direct on both");
        sb.AppendLine("  sides, through the data relay (a relayed candidate) on both sides, or neither (no pair selected, or the");
        sb.AppendLine("  two sides disagree — counted as failed).");
        sb.AppendLine("- **median / max ms**: time from the first I1 to the selection of that final pair (the controlling side's");
        sb.AppendLine("  IceCompleted: its nomination was answered, so both sides use the pair), over the runs that selected one.");
        sb.AppendLine("  The controlling side nominates a relayed pair only RelayFallbackDelay (2 s) after its checks started unless");
        sb.AppendLine("  every direct pair failed first, so relayed selections sit near base exchange + 2 s + one round trip.");
        sb.AppendLine("- **BEX failed**: runs of the cell in which the base exchange itself never completed at A (no R2 arrived),");
        sb.AppendLine("  so A never started ICE.");
        sb.AppendLine("- **checks**: median connectivity checks sent by both sides together (`HipCounters.IceChecksSent`, nominations");
        sb.AppendLine($"  included) up to that selection; **checks {Window.TotalSeconds:0} s**: the same over the whole window (checks on");
        sb.AppendLine("  other pairs continue after a relayed pair is selected, until they succeed or fail).");
        sb.AppendLine("- **switched**: runs where a relayed pair was selected first and a direct one later.");
        sb.AppendLine("- **relay after direct**: most control + ESP packets the relay forwarded, over the runs, from one second after");
        sb.AppendLine("  both sides had selected a direct pair to the end of the window (answers to checks in flight at the");
        sb.AppendLine("  selection are excluded by the one-second grace).");
        sb.AppendLine();

        // Summary.
        int total = cells.Sum(c => c.Runs.Length);
        int direct = cells.Sum(c => c.Runs.Count(r => r.Direct));
        int relayed = cells.Sum(c => c.Runs.Count(r => r.Relayed));
        var allTimes = cells.SelectMany(TimesMs).ToList();
        sb.AppendLine("## Summary");
        sb.AppendLine();
        sb.AppendLine($"{total} runs ({cells.Count} cells × {seeds} seeds): {direct} direct ({Pct(direct, total)}),");
        sb.AppendLine($"{relayed} relayed ({Pct(relayed, total)}), {total - direct - relayed} failed ({Pct(total - direct - relayed, total)}).");
        var dirTimes = cells.SelectMany(c => c.Runs.Where(r => r.Direct && r.SelectedAt is not null).Select(r => (r.SelectedAt!.Value - r.I1At).TotalMilliseconds)).ToList();
        var relTimes = cells.SelectMany(c => c.Runs.Where(r => r.Relayed && r.SelectedAt is not null).Select(r => (r.SelectedAt!.Value - r.I1At).TotalMilliseconds)).ToList();
        if (dirTimes.Count > 0)
        {
            sb.AppendLine($"First I1 to selected pair: direct median {Ms(Stats.Median(dirTimes))} ms (max {Ms(dirTimes.Max())}),");
        }

        if (relTimes.Count > 0)
        {
            sb.AppendLine($"relayed median {Ms(Stats.Median(relTimes))} ms (max {Ms(relTimes.Max())}).");
        }

        sb.AppendLine();
        int cellsDirect = cells.Count(c => c.Runs.All(r => r.Direct));
        int cellsRelayed = cells.Count(c => c.Runs.All(r => r.Relayed));
        int cellsMixed = cells.Count - cellsDirect - cellsRelayed;
        int bexFailed = cells.Sum(c => c.Runs.Count(r => r.BexAt is null));
        int bexFailedRelayPort = cells.Sum(c => c.Runs.Count(r => r.BexAt is null && r.FilteredFromRelayedPortBeforeBex > 0));
        int iceFailed = cells.Sum(c => c.Runs.Count(r => r.BexAt is not null && !r.Agreed));
        sb.AppendLine($"Failed runs: {bexFailed} where the base exchange itself never completed ({bexFailedRelayPort} of them with the");
        sb.AppendLine($"relay's forward of B's R2 filtered at A's NAT because it left from B's relayed port), {iceFailed} where it completed");
        sb.AppendLine("but ICE selected no common pair.");
        sb.AppendLine();
        sb.AppendLine($"Cells always direct: {cellsDirect}; always relayed: {cellsRelayed}; mixed or failing: {cellsMixed}.");
        long maxRelayAfter = cells.SelectMany(c => c.Runs).Max(r => r.RelayPacketsAfterDirectGrace ?? 0);
        sb.AppendLine($"Largest number of packets the relay forwarded from one second after a direct selection: {maxRelayAfter}.");
        sb.AppendLine();

        // Overview grid.
        sb.AppendLine("## Overview (rows: A, the controlling Initiator; columns: B)");
        sb.AppendLine();
        sb.AppendLine("Each cell: D = every run direct, R = every run relayed, otherwise the direct / relayed / failed shares; then the");
        sb.AppendLine("median time from the first I1 to the selected pair in ms.");
        sb.AppendLine();
        sb.Append("| A \\ B |");
        for (int b = 0; b < 10; b++)
        {
            sb.Append(' ').Append(Side(b).Label).Append(" |");
        }

        sb.AppendLine();
        sb.Append("| --- |");
        for (int b = 0; b < 10; b++)
        {
            sb.Append(" --- |");
        }

        sb.AppendLine();
        for (int a = 0; a < 10; a++)
        {
            sb.Append("| **").Append(Side(a).Label).Append("** |");
            for (int b = 0; b < 10; b++)
            {
                var c = cells[(a * 10) + b];
                int n = c.Runs.Length;
                int d = c.Runs.Count(r => r.Direct);
                int rl = c.Runs.Count(r => r.Relayed);
                string kind = d == n ? "D" : rl == n ? "R" : $"{Pct(d, n)}/{Pct(rl, n)}/{Pct(n - d - rl, n)}";
                sb.Append(' ').Append(kind).Append(' ').Append(Ms(Median(TimesMs(c)))).Append(" |");
            }

            sb.AppendLine();
        }

        sb.AppendLine();
        sb.AppendLine("## Every cell");
        sb.AppendLine();
        sb.AppendLine($"| A | B | runs | direct | relayed | failed | median ms | max ms | BEX failed | checks | checks {Window.TotalSeconds:0} s | switched | relay after direct |");
        sb.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (var c in cells)
        {
            int n = c.Runs.Length;
            int d = c.Runs.Count(r => r.Direct);
            int rl = c.Runs.Count(r => r.Relayed);
            var times = TimesMs(c).ToList();
            var chk = c.Runs.Where(r => r.Agreed).Select(r => (double)r.ChecksAtSelection).ToList();
            var chkAll = c.Runs.Select(r => (double)r.ChecksTotal).ToList();
            int switched = c.Runs.Count(r => r.Direct && r.FirstRelayed);
            long relayAfter = c.Runs.Where(r => r.Direct).Select(r => r.RelayPacketsAfterDirectGrace ?? 0).DefaultIfEmpty(0).Max();
            sb.Append(inv, $"| {Side(c.A).Label} | {Side(c.B).Label} | {n} | {Pct(d, n)} | {Pct(rl, n)} | {Pct(n - d - rl, n)} | ");
            sb.Append(inv, $"{Ms(Stats.Median(times))} | {(times.Count > 0 ? Ms(times.Max()) : "–")} | {c.Runs.Count(r => r.BexAt is null)} | ");
            sb.Append(inv, $"{Ms(Stats.Median(chk))} | {Ms(Stats.Median(chkAll))} | {switched} | {(d > 0 ? relayAfter.ToString(inv) : "–")} |");
            sb.AppendLine();
        }

        return sb.ToString();
    }

    private static string RenderBare(List<Cell> cells, int seeds)
    {
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        sb.AppendLine();
        sb.AppendLine("## Bare Linux NATs");
        sb.AppendLine();
        sb.AppendLine("The NATs above are routers with an input firewall: an unsolicited packet to the public address is dropped and");
        sb.AppendLine("leaves no state. A bare Linux host doing MASQUERADE without INPUT filtering (`NatBehavior.BareLinux`) is");
        sb.AppendLine("EIM/APDF with port preservation, but its connection tracking keeps an entry for an unanswered inbound flow");
        sb.AppendLine("(remote R → public P:p) for 30 s, refreshed by further such packets; when the inside host then sends from the");
        sb.AppendLine("endpoint mapped to P:p towards exactly R, the tuple collides with that entry and this one flow leaves from");
        sb.AppendLine("another, random port, which R's NAT, if it filters, drops. Unreplied flows expire after 30 s, answered ones");
        sb.AppendLine("after 120 s, refreshed both ways. \"bare APDM/APDF\" is the same host with `MASQUERADE --random-fully`");
        sb.AppendLine("(`NatBehavior.BareLinuxRandomFully`: a random port per flow). \"EIM/APDF\" here is the router of the same");
        sb.AppendLine($"name above. Same scenario, links and seeds 1–{seeds} (seed = 1 000 000 + (A × 100 + B) × 1000 + n), observed for");
        sb.AppendLine($"{BareWindow.TotalSeconds:0} s after the first I1: the failed direct pairs are checked again 35 s after they failed");
        sb.AppendLine("(`IceOptions.DirectRetryInitial`), once the 30 s entries of the first checks have expired.");
        sb.AppendLine();
        sb.AppendLine("- **direct / relayed / failed**: the pair selected at the end of the window, as above.");
        sb.AppendLine("- **first relayed ms**: median time from the first I1 to the controlling side's first selection, over the runs");
        sb.AppendLine("  where that was a relayed pair; **direct ms**: median time to its first selection of a direct pair (–: none).");
        sb.AppendLine("- **retries A / B**: median `HipCounters.IceDirectRetries` at A and at B (times the failed direct pairs were");
        sb.AppendLine("  checked again); **collisions**: median flows the two NATs moved to another port (`NatStatistics.PortCollisions`).");
        sb.AppendLine();
        sb.AppendLine("| A | B | runs | direct | relayed | failed | first relayed | first relayed ms | direct ms | retries A / B | collisions |");
        sb.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (var c in cells)
        {
            int n = c.Runs.Length;
            int d = c.Runs.Count(r => r.Direct);
            int rl = c.Runs.Count(r => r.Relayed);
            var firstRelayed = c.Runs.Where(r => r.FirstRelayed && r.FirstSelectedAt is not null).Select(r => (r.FirstSelectedAt!.Value - r.I1At).TotalMilliseconds).ToList();
            var directAt = c.Runs.Where(r => r.FirstDirectAt is not null).Select(r => (r.FirstDirectAt!.Value - r.I1At).TotalMilliseconds).ToList();
            string retries = $"{Ms(Median(c.Runs.Select(r => (double)r.DirectRetriesA)))} / {Ms(Median(c.Runs.Select(r => (double)r.DirectRetriesB)))}";
            sb.Append(inv, $"| {Side(c.A).Label} | {Side(c.B).Label} | {n} | {Pct(d, n)} | {Pct(rl, n)} | {Pct(n - d - rl, n)} | {firstRelayed.Count} | ");
            sb.Append(inv, $"{Ms(Stats.Median(firstRelayed))} | {Ms(Stats.Median(directAt))} | {retries} | {Ms(Median(c.Runs.Select(r => (double)r.PortCollisions)))} |");
            sb.AppendLine();
        }

        int total = cells.Sum(c => c.Runs.Length);
        int direct = cells.Sum(c => c.Runs.Count(r => r.Direct));
        sb.AppendLine();
        sb.AppendLine($"Bare Linux cells: {total} runs, {direct} direct at the end of the window ({Pct(direct, total)}).");
        sb.AppendLine();
        sb.AppendLine("How a bare MASQUERADE host on A's side loses the direct pair: B, the controlled Responder, starts its checks when");
        sb.AppendLine("it sends R2, one relayed transit (about 70 ms here) before A starts on receiving it, so B's check to A's");
        sb.AppendLine("server-reflexive address reaches A's NAT before A has sent anything to B and leaves a conntrack entry there; A's");
        sb.AppendLine("own check to B then leaves from another port, which B's filtering drops, and the data relay is selected. With the");
        sb.AppendLine("router on A's side, B's early check is dropped without state and the direct pair works at once. The retry");
        sb.AppendLine("takes turns: the controlling side checks first and the controlled side two seconds later (the next retry the other");
        sb.AppendLine("way round), so after the first checks' entries expired A's NAT sees A's packets to B first and lets B's answer in:");
        sb.AppendLine("bare EIM/APDF cells go direct at the first retry. With `--random-fully` on either side no direct pair exists");
        sb.AppendLine("(a fresh port per flow), retries or not (`ice-trace 10 10 SEED [SECONDS]` shows one run).");
        return sb.ToString();
    }
}
