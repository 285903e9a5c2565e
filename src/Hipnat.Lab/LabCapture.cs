using System.Text.RegularExpressions;
using Hipnat.Lab.Internal;

namespace Hipnat.Lab;

/// <summary>
/// A packet capture running inside a host's namespace: <c>tshark -i IF -f FILTER -w FILE</c>. <see cref="Stop"/> ends
/// it cleanly and returns the pcapng file, which stays in the lab's work directory until the lab is disposed (or longer
/// with <see cref="LabOptions.KeepArtifacts"/>).
/// </summary>
/// <remarks>
/// Stopping first pushes the kernel's capture buffer out by sending about 360 KB of non-IP frames (ethertype 0x88b5,
/// from and to the interface's own MAC, dropped by the bridge at once) on the captured interface; they are removed from
/// the pcap, but they do show in that interface's transmit counters. iptables counters never see them.
/// </remarks>
public sealed class LabCapture : IDisposable
{
    private readonly LabProcess process;
    private readonly string rawPath;
    private readonly Lock gate = new();
    private bool stopped;

    private LabCapture(LabHost host, string interfaceName, string filter, string path, string rawPath, LabProcess process)
    {
        Host = host;
        Interface = interfaceName;
        Filter = filter;
        PcapPath = path;
        this.rawPath = rawPath;
        this.process = process;
    }

    /// <summary>The host whose namespace is captured.</summary>
    public LabHost Host { get; }

    /// <summary>The captured interface.</summary>
    public string Interface { get; }

    /// <summary>The capture (BPF) filter, empty for everything.</summary>
    public string Filter { get; }

    /// <summary>Where the pcapng file is once the capture has stopped.</summary>
    public string PcapPath { get; }

    /// <summary>True until <see cref="Stop"/>.</summary>
    public bool IsRunning
    {
        get
        {
            lock (gate)
            {
                return !stopped;
            }
        }
    }

    /// <summary>Stops the capture, completes the file and returns its path.</summary>
    public string Stop()
    {
        lock (gate)
        {
            if (stopped)
            {
                return PcapPath;
            }

            stopped = true;
            if (!process.HasExited)
            {
                var before = Length(rawPath);
                CaptureFlush.Send(Host, Interface);

                // The flush frames follow every real packet in the ring; once many of them are in the file, so is everything before.
                var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(3);
                while (Length(rawPath) < before + (CaptureFlush.FrameCount * CaptureFlush.PayloadLength / 2) && DateTime.UtcNow < deadline && !process.HasExited)
                {
                    Thread.Sleep(20);
                }

                process.Signal(NativeMethods.SigInt);
                if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
                {
                    process.Stop(TimeSpan.FromSeconds(1));
                }
            }

            if (File.Exists(rawPath))
            {
                CommandRunner.Run("tshark", ["-n", "-r", rawPath, "-Y", CaptureFlush.StripFilter, "-w", PcapPath], TimeSpan.FromSeconds(60)).EnsureSuccess();
                File.Delete(rawPath);
            }

            return PcapPath;
        }
    }

    /// <summary>
    /// Stops the capture if needed and counts the packets in the file, optionally only those matching a tshark display
    /// filter (e.g. <c>udp.port == 10500</c>).
    /// </summary>
    public int CountPackets(string? displayFilter = null)
    {
        Stop();
        if (!File.Exists(PcapPath))
        {
            return 0;
        }

        var args = new List<string> { "-n", "-r", PcapPath, "-T", "fields", "-e", "frame.number" };
        if (!string.IsNullOrEmpty(displayFilter))
        {
            args.Add("-Y");
            args.Add(displayFilter);
        }

        var result = CommandRunner.Run("tshark", args, TimeSpan.FromSeconds(60)).EnsureSuccess();
        return result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Length;
    }

    /// <summary>Stops the capture.</summary>
    public void Dispose()
    {
        try
        {
            Stop();
        }
        finally
        {
            process.Dispose();
        }
    }

    internal static LabCapture Start(LabHost host, string interfaceName, string filter, string path, TimeSpan startTimeout)
    {
        var rawPath = path + ".raw";
        var args = new List<string> { "-n", "-q", "-i", interfaceName, "-w", rawPath };
        if (!string.IsNullOrWhiteSpace(filter))
        {
            args.Add("-f");
            args.Add($"({filter}) or ({CaptureFlush.CaptureClause})");
        }

        var process = host.Start(new LabProcessOptions("tshark", args) { StopGracePeriod = TimeSpan.FromSeconds(5) });
        try
        {
            // tshark prints "Capturing on" before dumpcap has the interface open; "Capture started" comes after it.
            process.WaitForOutput(CapturingOn(), startTimeout);
        }
        catch
        {
            process.Dispose();
            throw;
        }

        return new LabCapture(host, interfaceName, filter, path, rawPath, process);
    }

    private static long Length(string path)
    {
        try
        {
            return new FileInfo(path).Length;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static Regex CapturingOn() => new("Capture started", RegexOptions.CultureInvariant);
}
