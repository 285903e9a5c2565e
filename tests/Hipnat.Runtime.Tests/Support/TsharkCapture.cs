using System.Xml.Linq;

namespace Hipnat.Runtime.Tests.Support;

/// <summary>Captures on the loopback interface with tshark and decodes the capture as PDML.</summary>
public sealed class TsharkCapture : IDisposable
{
    private readonly ChildProcess _process;

    private TsharkCapture(ChildProcess process, string file)
    {
        _process = process;
        File = file;
    }

    public string File { get; }

    public static string? Path { get; } = FindTshark();

    /// <summary>Why capturing is impossible here, or null when it is possible.</summary>
    public static string? Unavailable =>
        Path is null ? "tshark is not installed (apt-get install tshark); CI installs it"
        : !NativeSignals.IsRoot ? "capturing on lo needs root; CI runs as root"
        : null;

    public static async Task<TsharkCapture> StartAsync(string filter, string file)
    {
        var p = new ChildProcess(Path!, ["-i", "lo", "-f", filter, "-w", file, "-q"]);
        var capture = new TsharkCapture(p, file);
        if (!await p.WaitForOutputAsync("Capturing on", TimeSpan.FromSeconds(30)))
        {
            capture.Dispose();
            throw new InvalidOperationException($"tshark did not start capturing:\n{p.Output}");
        }

        await Task.Delay(300); // the capture filter is attached just after the message
        return capture;
    }

    /// <summary>Stops the capture (SIGINT, so tshark flushes the file).</summary>
    public async Task StopAsync()
    {
        await Task.Delay(300); // let the last packets reach the capture
        Assert.True(await _process.StopAsync(NativeSignals.SigInt, TimeSpan.FromSeconds(20)), _process.Output);
    }

    /// <summary>Decodes the capture; <paramref name="decodeAs"/> entries are passed as -d (e.g. "udp.port==10500,hip").</summary>
    public async Task<XDocument> DecodeAsync(params string[] decodeAs)
    {
        var args = new List<string> { "-r", File, "-T", "pdml" };
        foreach (var d in decodeAs)
        {
            args.Add("-d");
            args.Add(d);
        }

        using var p = new ChildProcess(Path!, args);
        Assert.True(await p.WaitForExitAsync(TimeSpan.FromSeconds(60)), p.Output);
        Assert.True(p.ExitCode == 0, p.Output);
        return XDocument.Parse(p.Stdout);
    }

    public void Dispose() => _process.Dispose();

    private static string? FindTshark()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(':'))
        {
            var candidate = System.IO.Path.Combine(dir, "tshark");
            if (System.IO.File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
