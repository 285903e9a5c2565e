using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace Hipnat.Lab.Tests;

/// <summary>
/// <c>Hipnat.Bench flood</c> (bench/Hipnat.Bench/FloodBench.cs) in an attacker's namespace: I1s and I2s over UDP from
/// spoofed sources in 198.51.100.0/24 and 192.0.2.0/24 through a raw socket, as fast as the machine sends them.
/// </summary>
internal sealed partial class FloodGenerator : IDisposable
{
    private FloodGenerator(LabProcess process, string command)
    {
        Process = process;
        Command = command;
    }

    /// <summary>The spoofed source ranges (RFC 5737); the victim routes them back towards the attacker, who drops them.</summary>
    public static IReadOnlyList<string> SpoofedRanges { get; } = ["198.51.100.0/24", "192.0.2.0/24"];

    public LabProcess Process { get; }

    /// <summary>The command line, to reproduce the flood by hand (inside the attacker's namespace).</summary>
    public string Command { get; }

    /// <summary>Starts the flood and returns once its packets are built and sending began; <paramref name="rate"/>
    /// packets/s, or as fast as possible when 0.</summary>
    public static FloodGenerator Start(LabHost attacker, IPAddress target, string responderHit, string mode, TimeSpan duration, string? i1To = null, int rate = 0)
    {
        string[] args =
        [
            "flood", "--target", $"{target}:{Demo.HipnatTool.Port}", "--hit", responderHit, "--mode", mode,
            "--seconds", duration.TotalSeconds.ToString(CultureInfo.InvariantCulture), "--sources", string.Join(',', SpoofedRanges),
            "--rate", rate.ToString(CultureInfo.InvariantCulture),
            .. i1To is null ? Array.Empty<string>() : ["--i1-to", i1To],
        ];
        var process = attacker.StartDotnet(BenchDll(), args);
        var flood = new FloodGenerator(process, "dotnet Hipnat.Bench.dll " + string.Join(' ', args));
        process.WaitForOutput("^flood: sending", TimeSpan.FromSeconds(30));
        return flood;
    }

    /// <summary>Makes <paramref name="victim"/> route the spoofed ranges to <paramref name="attacker"/> (where they end),
    /// so its answers to the spoofed sources go out on the wire as they would on the Internet.</summary>
    public static void RouteSpoofedRangesTo(LabHost victim, LabHost attacker)
    {
        foreach (var range in SpoofedRanges)
        {
            victim.Run("ip", "route", "replace", range, "via", attacker.Address.ToString()).EnsureSuccess();
        }
    }

    /// <summary>Waits for the flood to end; returns the packets it sent, the rate it reached and when it ended.</summary>
    public (long Sent, double PerSecond, DateTimeOffset Ended) WaitForEnd(TimeSpan timeout)
    {
        var m = Process.WaitForOutput(Summary(), timeout);
        var ended = Process.Output.Last(l => Summary().IsMatch(l.Text)).Timestamp;
        return (long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), ended);
    }

    public void Dispose() => Process.Dispose();

    /// <summary>Hipnat.Bench.dll built next to this test project's configuration.</summary>
    private static string BenchDll()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        string configuration = dir.Parent!.Name;
        for (var d = dir; d is not null; d = d.Parent)
        {
            var candidate = Path.Combine(d.FullName, "bench", "Hipnat.Bench", "bin", configuration, "net10.0", "Hipnat.Bench.dll");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"Hipnat.Bench.dll not found under bench/Hipnat.Bench/bin/{configuration}/net10.0; build bench/Hipnat.Bench -c {configuration}");
    }

    [GeneratedRegex(@"^flood: mode \S+, sent (\d+) packets in [\d.]+ s = (\d+) packets/s")]
    private static partial Regex Summary();
}
