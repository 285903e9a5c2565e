using System.Diagnostics;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Hipnat.Lab.Demo;

namespace Hipnat.Lab.Tests;

/// <summary>
/// <c>hipnat lab demo --scenario handover</c> end to end through the CLI: the lab, the daemons, the moves under a
/// running ping, the time line, the summary and the SVG plot; and the parsing of the daemons' handover lines.
/// </summary>
[Collection(nameof(HipLabCollection))]
public class HandoverDemoLabTests
{
    private static readonly Dictionary<string, string> Names = new(StringComparer.OrdinalIgnoreCase)
    {
        ["2001:2a:b9d7:3c41:d5a0:5f0e:2a4b:93c1"] = "bob",
    };

    [Fact]
    public async Task TheFailoverScenarioFailsAlicesUplinkTwiceAndTheStandbyTakesOver()
    {
        LabRequirement.Root();
        var dir = Directory.CreateTempSubdirectory("hipnat-failover-demo-");
        try
        {
            var (exit, text) = await RunCli(dir.FullName, TimeSpan.FromMinutes(4), "lab", "demo", "--scenario", "failover", "--moves", "2");
            Assert.True(exit == 0, $"exit {exit}\n{text}");
            Assert.Contains("RESULT: OK", text, StringComparison.Ordinal);
            var timeline = Section(text, "TIMELINE", "SUMMARY");
            Assert.Contains(timeline, l => l.Contains("failure 1: nat1 drops everything", StringComparison.Ordinal));
            Assert.Contains(timeline, l => l.Contains("failure 2: nat3 drops everything", StringComparison.Ordinal));
            Assert.Contains(timeline, l => l.Contains("alice  path to bob:", StringComparison.Ordinal) && l.Contains("failover", StringComparison.Ordinal));
            var summary = Section(text, "SUMMARY", "RESULT");
            var gaps = summary.Select(l => Regex.Match(l, @"^\s+failure (\d+)\s+nat\d -> nat\d: gap (\d+) ms")).Where(m => m.Success).ToList();
            Assert.Equal(["1", "2"], gaps.Select(m => m.Groups[1].Value));
            Assert.All(gaps, m => Assert.True(int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture) < 1000, text));
            Assert.True(File.Exists(Path.Combine(dir.FullName, "failover.svg")), text);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task TheHandoverScenarioMovesAliceTwiceAndReportsEveryMoveWithAPlot()
    {
        LabRequirement.Root();
        var dir = Directory.CreateTempSubdirectory("hipnat-handover-demo-");
        try
        {
            var (exit, text) = await RunCli(dir.FullName, TimeSpan.FromMinutes(4), "lab", "demo", "--scenario", "handover", "--moves", "2");
            Assert.True(exit == 0, $"exit {exit}\n{text}");
            Assert.Contains("RESULT: OK", text, StringComparison.Ordinal);

            // The time line: alice's handover lines, and a path change of alice after each move.
            var timeline = Section(text, "TIMELINE", "SUMMARY");
            Assert.Contains(timeline, l => l.Contains("alice  handover with bob started (we moved)", StringComparison.Ordinal));
            Assert.Contains(timeline, l => Regex.IsMatch(l, @"alice  handover with bob done in \d+ ms \(we moved\)"));
            for (int move = 1; move <= 2; move++)
            {
                var down = timeline.FindIndex(l => l.Contains($"move {move}: alice's uplink down", StringComparison.Ordinal));
                Assert.True(down >= 0, $"no down mark for move {move}\n{text}");
                var next = timeline.FindIndex(down + 1, l => l.Contains($"move {move + 1}: alice's uplink down", StringComparison.Ordinal));
                var during = timeline[(down + 1)..(next < 0 ? timeline.Count : next)];
                Assert.Contains(during, l => l.Contains($"move {move}: alice's uplink up behind", StringComparison.Ordinal));
                Assert.Contains(during, l => Regex.IsMatch(l, @"alice  path to bob: \S+ -> \S+ \(direct\)"));
            }

            // The summary: a gap per move, the figures over all moves.
            var summary = Section(text, "SUMMARY", "RESULT");
            var gaps = summary.Select(l => Regex.Match(l, @"^\s+move (\d+)\s+nat\d -> nat\d: gap after the new uplink (\d+) ms")).Where(m => m.Success).ToList();
            Assert.Equal(["1", "2"], gaps.Select(m => m.Groups[1].Value));
            Assert.Contains(summary, l => l.Contains("median", StringComparison.Ordinal) && l.Contains("p95", StringComparison.Ordinal));
            Assert.Contains(summary, l => l.Contains("last handover  alice (mobile", StringComparison.Ordinal));

            // The plot: default file name in the working directory, well-formed, bars in at least two path colours.
            var svg = Path.Combine(dir.FullName, "handover.svg");
            Assert.True(File.Exists(svg), text);
            Assert.Contains(svg, text, StringComparison.Ordinal);
            var doc = XDocument.Load(svg);
            XNamespace ns = "http://www.w3.org/2000/svg";
            var bars = doc.Descendants(ns + "rect").Where(r => (string?)r.Attribute("class") == "bar").ToList();
            Assert.NotEmpty(bars);
            var colours = bars.Select(b => (string?)b.Attribute("fill")).Where(f => f != HandoverPlot.UnlabelledColour).Distinct().ToList();
            Assert.True(colours.Count >= 2, $"bar colours {string.Join(", ", colours)}; paths {string.Join(", ", bars.Select(b => (string?)b.Attribute("data-path")).Distinct())}");

            // Torn down: none of the lab's namespaces is left.
            var lab = summary.Select(l => Regex.Match(l, @"^\s+lab\s+(\S+),")).First(m => m.Success).Groups[1].Value;
            Assert.DoesNotContain(LabJanitor.ListNamespaces(), n => n.StartsWith($"hn-{lab}", StringComparison.Ordinal));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task AnUnknownScenarioIsAUsageError()
    {
        var (exit, text) = await RunCli(Path.GetTempPath(), TimeSpan.FromMinutes(1), "lab", "demo", "--scenario", "sideways");
        Assert.Equal(2, exit);
        Assert.Contains("--scenario 'sideways' is not a scenario; use base, handover or failover", text, StringComparison.Ordinal);
    }

    [Fact]
    public void TheDaemonsHandoverAndPathLinesAreParsedWithTheirLogTime()
    {
        var read = new DateTimeOffset(2026, 1, 5, 10, 0, 0, 150, TimeSpan.Zero);
        string Logged(string message) =>
            $"{read.ToLocalTime().AddMilliseconds(-30):yyyy-MM-ddTHH:mm:ss.fff} info: Hipnat.Runtime.HipDaemon[0] {message}";
        DaemonEvent? Parse(string message) => DaemonLog.ParseLine("alice", new OutputLine(read, OutputStream.StandardOutput, Logged(message)), Names);

        var started = Parse("handover with 2001:2a:b9d7:3c41:d5a0:5f0e:2a4b:93c1 started (we moved): our address of the active path was removed");
        Assert.Equal(new DaemonEvent(read.AddMilliseconds(-30), "alice", DaemonEventKind.HandoverStarted,
            "handover with bob started (we moved): our address of the active path was removed", null), started);

        var path = Parse("path to 2001:2a:b9d7:3c41:d5a0:5f0e:2a4b:93c1: 203.0.113.10:10500 -> 203.0.113.12:10500 (direct): first working direct pair after a handover");
        Assert.Equal(DaemonEventKind.PathChanged, path!.Kind);
        Assert.True(path.Direct);
        Assert.Equal("path to bob: 203.0.113.10:10500 -> 203.0.113.12:10500 (direct): first working direct pair after a handover", path.Text);

        var relayed = Parse("path to 2001:2a:b9d7:3c41:d5a0:5f0e:2a4b:93c1: 203.0.113.12:10500 -> 203.0.113.10:10500 (via relay): our address of the active path was removed");
        Assert.False(relayed!.Direct);

        Assert.Equal(DaemonEventKind.HandoverDone, Parse("handover with 2001:2a:b9d7:3c41:d5a0:5f0e:2a4b:93c1 done in 55 ms (we moved): pair selected: host 198.18.1.10:10500 -> srflx 203.0.113.12:10500 Succeeded")!.Kind);
        Assert.Equal(DaemonEventKind.PathSuspected, Parse("path to 2001:2a:b9d7:3c41:d5a0:5f0e:2a4b:93c1 suspected: nothing heard for 600 ms")!.Kind);
        Assert.Equal(DaemonEventKind.AddressesChanged, Parse("local addresses changed: added none; removed 198.18.1.10:10500; now 0.0.0.0:10500")!.Kind);
        var ice = Parse("ICE with 2001:2a:b9d7:3c41:d5a0:5f0e:2a4b:93c1 completed in 254 ms after 3 checks: host 198.18.3.10:10500 -> srflx 203.0.113.12:10500 Succeeded nominated (direct)");
        Assert.Equal("ICE with bob selected host 198.18.3.10:10500 -> srflx 203.0.113.12:10500 Succeeded nominated (direct) in 254 ms after 3 checks", ice!.Text);
        Assert.Null(Parse("registering with relay 2001:2a::1 at 203.0.113.10:10500 for RELAY_UDP_HIP, lifetime 600 s"));

        // A line without the log prefix keeps the time it was read.
        var bare = DaemonLog.ParseLine("bob", new OutputLine(read, OutputStream.StandardOutput, "path to 2001:2a:b9d7:3c41:d5a0:5f0e:2a4b:93c1 suspected: silence"), Names);
        Assert.Equal(read, bare!.Time);
    }

    private static List<string> Section(string text, string from, string to)
    {
        var lines = text.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        var start = lines.FindIndex(l => l.StartsWith(from, StringComparison.Ordinal));
        Assert.True(start >= 0, $"no {from} in\n{text}");
        var end = lines.FindIndex(start + 1, l => l.StartsWith(to, StringComparison.Ordinal));
        return lines[(start + 1)..(end < 0 ? lines.Count : end)];
    }

    private static async Task<(int ExitCode, string Output)> RunCli(string workingDirectory, TimeSpan timeout, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(HipLab.HipnatDll());
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            // SIGINT first: the demo tears its lab down on Ctrl-C.
            using (var kill = Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync(CancellationToken.None);
            }

            if (!process.WaitForExit(TimeSpan.FromSeconds(20)))
            {
                process.Kill(entireProcessTree: true);
            }
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
