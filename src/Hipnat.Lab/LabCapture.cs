using System.Text.RegularExpressions;
using Hipnat.Lab.Internal;

namespace Hipnat.Lab;

/// <summary>
/// A packet capture running inside a host's namespace: <c>tshark -i IF -f FILTER -w FILE</c>. <see cref="Stop"/> ends
/// it cleanly (SIGINT, so the pcap is complete) and returns the file, which stays in the lab's work directory until
/// the lab is disposed (or longer with <see cref="LabOptions.KeepArtifacts"/>).
/// </summary>
public sealed class LabCapture : IDisposable
{
    private readonly LabProcess process;

    private LabCapture(LabHost host, string interfaceName, string filter, string path, LabProcess process)
    {
        Host = host;
        Interface = interfaceName;
        Filter = filter;
        PcapPath = path;
        this.process = process;
    }

    /// <summary>The host whose namespace is captured.</summary>
    public LabHost Host { get; }

    /// <summary>The captured interface.</summary>
    public string Interface { get; }

    /// <summary>The capture (BPF) filter, empty for everything.</summary>
    public string Filter { get; }

    /// <summary>Where the pcap is written.</summary>
    public string PcapPath { get; }

    /// <summary>True until <see cref="Stop"/>.</summary>
    public bool IsRunning => !process.HasExited;

    /// <summary>Stops the capture, flushes the file and returns its path.</summary>
    public string Stop()
    {
        if (!process.HasExited)
        {
            process.Signal(NativeMethods.SigInt);
            if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                process.Stop(TimeSpan.FromSeconds(1));
            }
        }

        return PcapPath;
    }

    /// <summary>
    /// Stops the capture if needed and counts the packets in the file, optionally only those matching a tshark display
    /// filter (e.g. <c>udp.port == 10500</c>).
    /// </summary>
    public int CountPackets(string? displayFilter = null)
    {
        Stop();
        var args = new List<string> { "-r", PcapPath, "-T", "fields", "-e", "frame.number" };
        if (!string.IsNullOrEmpty(displayFilter))
        {
            args.Add("-Y");
            args.Add(displayFilter);
        }

        var result = CommandRunner.Run("tshark", args).EnsureSuccess();
        return result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Length;
    }

    /// <summary>Stops the capture.</summary>
    public void Dispose()
    {
        Stop();
        process.Dispose();
    }

    internal static LabCapture Start(LabHost host, string interfaceName, string filter, string path, TimeSpan startTimeout)
    {
        var args = new List<string> { "-n", "-q", "-i", interfaceName, "-w", path };
        if (!string.IsNullOrWhiteSpace(filter))
        {
            args.Add("-f");
            args.Add(filter);
        }

        var process = host.Start(new LabProcessOptions("tshark", args) { StopGracePeriod = TimeSpan.FromSeconds(5) });
        try
        {
            // dumpcap prints "Capturing on 'IF'" once the interface is open: from then on nothing is missed.
            process.WaitForOutput(CapturingOn(), startTimeout);
        }
        catch
        {
            process.Dispose();
            throw;
        }

        return new LabCapture(host, interfaceName, filter, path, process);
    }

    private static Regex CapturingOn() => new("Capturing on", RegexOptions.CultureInvariant);
}
