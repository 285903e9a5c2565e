using Hipnat.Lab.Internal;

namespace Hipnat.Lab;

/// <summary>
/// Runs the unmodified iputils <c>ping -D -n -i 0.01 DEST</c> inside a host's namespace (as a <see cref="LabProcess"/>)
/// and reads its replies live, so a test measures a handover the way a user of the tunnel feels it: the longest
/// gap between replies and the echoes lost. <see cref="Mark"/> records events (e.g. "uplink down") on the clock of
/// ping's <c>-D</c> timestamps (CLOCK_REALTIME, <see cref="DateTimeOffset.UtcNow"/>). <see cref="Stop"/> sends SIGINT so
/// ping prints its summary, and returns the <see cref="PingTrace"/>. Thread-safe.
/// </summary>
public sealed class PingRecorder : IDisposable
{
    private readonly Lock gate = new();
    private readonly PingOutputParser parser = new();
    private readonly List<PingMark> marks = [];
    private readonly LabProcess process;
    private int linesRead;
    private DateTimeOffset? stopped;

    private PingRecorder(LabHost host, string destination, PingOptions options, LabProcess process, DateTimeOffset started)
    {
        Host = host;
        Destination = destination;
        Options = options;
        this.process = process;
        Started = started;
    }

    /// <summary>The host ping runs in.</summary>
    public LabHost Host { get; }

    /// <summary>The address pinged (an IPv4 address, a HIT or an LSI).</summary>
    public string Destination { get; }

    /// <summary>The options ping was started with.</summary>
    public PingOptions Options { get; }

    /// <summary>When ping was started (UTC).</summary>
    public DateTimeOffset Started { get; }

    /// <summary>The ping process itself (output, exit code).</summary>
    public LabProcess Process => process;

    /// <summary>Unique replies read so far.</summary>
    public int ReplyCount
    {
        get
        {
            lock (gate)
            {
                Pump();
                return parser.Replies.Count;
            }
        }
    }

    /// <summary>Starts <c>ping -D -n -i INTERVAL [options] DESTINATION</c> in <paramref name="host"/>'s namespace.</summary>
    public static PingRecorder Start(LabHost host, string destination, PingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(host);
        options ??= new PingOptions();
        var arguments = options.ToArguments(destination);
        var started = DateTimeOffset.UtcNow;
        var process = host.Start(new LabProcessOptions("ping", arguments) { StopGracePeriod = TimeSpan.FromSeconds(2) });
        return new PingRecorder(host, destination, options, process, started);
    }

    /// <summary>Records an event now, on the clock of ping's timestamps.</summary>
    public PingMark Mark(string label)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(label);
        var mark = new PingMark(label, DateTimeOffset.UtcNow);
        lock (gate)
        {
            marks.Add(mark);
        }

        return mark;
    }

    /// <summary>The trace so far (ping keeps running).</summary>
    public PingTrace Snapshot()
    {
        lock (gate)
        {
            Pump();
            var end = stopped ?? DateTimeOffset.UtcNow;
            return new PingTrace(Destination, Started, end, Options.Interval, parser, marks);
        }
    }

    /// <summary>Waits until <paramref name="count"/> unique replies have arrived; false on timeout or when ping ended first.</summary>
    public bool WaitForReplies(int count, TimeSpan timeout) => WaitUntil(() => parser.Replies.Count >= count, timeout);

    /// <summary>Waits for a reply received at or after <paramref name="instant"/>; false on timeout or when ping ended first.</summary>
    public bool WaitForReplyAfter(DateTimeOffset instant, TimeSpan timeout) =>
        WaitUntil(() => parser.Replies.Count > 0 && parser.Replies[^1].ReceivedAt >= instant, timeout);

    /// <summary>
    /// Stops ping with SIGINT (it prints its summary), waits up to <paramref name="timeout"/> (default 3 s) for it to
    /// exit — then SIGTERM/SIGKILL — and returns the whole trace.
    /// </summary>
    public PingTrace Stop(TimeSpan? timeout = null)
    {
        lock (gate)
        {
            stopped ??= DateTimeOffset.UtcNow;
        }

        process.Signal(NativeMethods.SigInt);
        if (!process.WaitForExit(timeout ?? TimeSpan.FromSeconds(3)))
        {
            process.Stop();
        }

        return Snapshot();
    }

    /// <summary>Waits for a ping run limited by <see cref="PingOptions.Count"/> or <see cref="PingOptions.Deadline"/> to end by itself, then returns the trace.</summary>
    /// <exception cref="TimeoutException">ping was still running after <paramref name="timeout"/> (it is left running).</exception>
    public PingTrace WaitForExit(TimeSpan timeout)
    {
        if (!process.WaitForExit(timeout))
        {
            throw new TimeoutException($"ping {Destination} in {Host.Name} still running after {timeout.TotalSeconds:0.#} s");
        }

        lock (gate)
        {
            Pump();
            stopped ??= parser.LastTimestamp is { } last && last > Started ? last : DateTimeOffset.UtcNow;
        }

        return Snapshot();
    }

    /// <summary>Stops ping (SIGINT, then SIGTERM/SIGKILL) if it still runs.</summary>
    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Signal(NativeMethods.SigInt);
            process.WaitForExit(TimeSpan.FromSeconds(2));
        }

        process.Dispose();
    }

    /// <inheritdoc />
    public override string ToString() => Snapshot().ToString();

    /// <summary>Feeds the lines read since the last call to the parser; caller holds <see cref="gate"/>.</summary>
    private void Pump()
    {
        var lines = process.OutputFrom(linesRead);
        foreach (var line in lines)
        {
            parser.Add(line.Text, line.Stream == OutputStream.StandardError);
        }

        linesRead += lines.Count;
    }

    private bool WaitUntil(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var exited = process.HasExited;
            lock (gate)
            {
                Pump();
                if (condition())
                {
                    return true;
                }
            }

            if (exited || DateTime.UtcNow >= deadline)
            {
                return false;
            }

            Thread.Sleep(10);
        }
    }
}
