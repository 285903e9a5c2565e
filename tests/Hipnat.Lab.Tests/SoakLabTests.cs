using System.Globalization;
using Hipnat.Lab.Demo;
using static Hipnat.Lab.Tests.LabFigures;

namespace Hipnat.Lab.Tests;

/// <summary>
/// Opt-in (not in CI): <c>HIPNAT_SOAK_MINUTES=30</c> runs the handover lab topology that long — a relay, bob behind
/// nat2, alice moving between nat1 and nat3 every <c>HIPNAT_SOAK_INTERVAL_SECONDS</c> (30 by default) with 200 ms
/// without a link, a <c>ping -i 0.02</c> from alice to bob over hip0 throughout — and samples every daemon's RSS
/// after each move (docs/security.md, "Floods": memory over many handovers).
/// </summary>
[Collection(nameof(HipLabCollection))]
public class SoakLabTests
{
    private const string FiguresFile = "soak-figures.txt";

    [Fact]
    public void WithAHandoverEveryThirtySecondsDaemonMemoryStaysFlat()
    {
        double minutes = double.TryParse(Environment.GetEnvironmentVariable("HIPNAT_SOAK_MINUTES"), NumberStyles.Float, CultureInfo.InvariantCulture, out var m) ? m : 0;
        Assert.SkipUnless(minutes > 0, "a soak test: set HIPNAT_SOAK_MINUTES (e.g. 30) to run it");
        var interval = TimeSpan.FromSeconds(int.TryParse(Environment.GetEnvironmentVariable("HIPNAT_SOAK_INTERVAL_SECONDS"), out int s) && s > 0 ? s : 30);
        using var lab = HipLab.Create();
        var nat3 = lab.Lab.AddNat("nat3", lab.Public, "198.18.3.0/24");
        string[] register = ["--relay", $"{lab.RelayHit}={lab.RelayEndpoint}"];
        using var relay = lab.StartRelay();
        using var bob = lab.Tool.StartHost(lab.BobHost, lab.Ids["bob"], register);
        using var alice = lab.Tool.StartHost(lab.AliceHost, lab.Ids["alice"], [.. register, "--peer", $"{lab.BobHit}={lab.RelayEndpoint}"]);
        HipLab.WaitForRegistration(bob, lab.RelayHit);
        HipLab.WaitForRegistration(alice, lab.RelayHit);
        var connect = HipLab.Connect(alice, lab.BobHit);
        Assert.True(connect.Succeeded, $"{connect}\n{lab.Logs()}");
        var daemons = new[] { alice, bob, relay };
        var pids = daemons.Select(d => d.Status().GetProperty("processId").GetInt32()).ToArray();
        var samples = daemons.Select(_ => new List<long>()).ToArray();

        using var ping = PingRecorder.Start(lab.AliceHost, lab.BobHit, new PingOptions { Interval = TimeSpan.FromMilliseconds(20) });
        Assert.True(ping.WaitForReplies(50, TimeSpan.FromSeconds(15)), $"ping over hip0 never got going\n{lab.Logs()}");
        Sample();
        var end = DateTime.UtcNow + TimeSpan.FromMinutes(minutes);
        int moves = 0, completed = 0;
        var gaps = new List<TimeSpan>();
        while (DateTime.UtcNow < end)
        {
            var cycle = DateTime.UtcNow;
            var target = moves % 2 == 0 ? nat3 : lab.Nat1;
            lab.AliceHost.MoveTo(target.InsideSegment, TimeSpan.FromMilliseconds(200));
            moves++;
            var up = ping.Mark($"behind {target.Name} ({moves})");
            if (ping.WaitForReplyAfter(up.At, TimeSpan.FromSeconds(10)))
            {
                completed++;
                Thread.Sleep(TimeSpan.FromSeconds(1));
                if (ping.Snapshot().GapAfter(up.Label) is { } gap)
                {
                    gaps.Add(gap.Duration);
                }
            }

            Sample();
            Write("soak-rss.txt", string.Create(CultureInfo.InvariantCulture,
                $"move {moves} ({target.Name}) {(completed == moves ? "ok" : "NO REPLY")}: {string.Join(", ", daemons.Select((d, i) => $"{d.Name} {DaemonMemory.Mib(samples[i][^1])}"))}"));
            var rest = cycle + interval - DateTime.UtcNow;
            if (rest > TimeSpan.Zero)
            {
                Thread.Sleep(rest);
            }
        }

        var trace = ping.Stop();
        Write(FiguresFile, string.Create(CultureInfo.InvariantCulture,
            $"{minutes} min, a move every {interval.TotalSeconds:0} s: {completed} of {moves} handovers completed (a reply within 10 s), " +
            $"gap after the move median {(gaps.Count > 0 ? Ms(gaps.Order().ElementAt(gaps.Count / 2)) : "-")}, p95 {(gaps.Count > 0 ? Ms(P95(gaps)) : "-")}; " +
            $"ping sent {trace.Sent}, lost {trace.Lost}"));
        for (int i = 0; i < daemons.Length; i++)
        {
            Write(FiguresFile, $"  {daemons[i].Name}: RSS first {DaemonMemory.Mib(samples[i][0])}, last {DaemonMemory.Mib(samples[i][^1])}, " +
                $"max {DaemonMemory.Mib(samples[i].Max())}, min {DaemonMemory.Mib(samples[i].Min())} over {samples[i].Count} samples");
        }

        Assert.Equal(moves, completed);
        for (int i = 0; i < daemons.Length; i++)
        {
            // Flat: the last sample within 25 % of the first after the association was up (the GC sizes its heap
            // to the load, so small steps either way are normal).
            Assert.True(samples[i][^1] <= samples[i][0] * 5 / 4, $"{daemons[i].Name}: RSS {DaemonMemory.Mib(samples[i][0])} -> {DaemonMemory.Mib(samples[i][^1])}");
        }

        void Sample()
        {
            for (int i = 0; i < daemons.Length; i++)
            {
                samples[i].Add(DaemonMemory.Rss(pids[i]));
            }
        }
    }
}
