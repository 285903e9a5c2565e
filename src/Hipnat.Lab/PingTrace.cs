using Hipnat.Lab.Internal;

namespace Hipnat.Lab;

/// <summary>
/// What an unmodified <c>ping -D -n -i INTERVAL</c> saw: every reply with its receive time and icmp_seq, the requests
/// sent, losses, duplicates, and the events marked meanwhile — the handover as a user of the tunnel feels it. Made by
/// <see cref="PingRecorder"/> or parsed from captured output with <see cref="Parse"/>.
/// </summary>
public sealed class PingTrace
{
    private readonly PingReply[] byTime;

    internal PingTrace(string destination, DateTimeOffset start, DateTimeOffset end, TimeSpan interval, PingOutputParser parsed, IReadOnlyList<PingMark> marks)
    {
        Destination = parsed.Destination ?? destination;
        Start = start;
        End = end < start ? start : end;
        Interval = interval;
        Replies = [.. parsed.Replies];
        byTime = [.. Replies.OrderBy(r => r.ReceivedAt)];
        Duplicates = parsed.Duplicates;
        Errors = parsed.Errors;
        Unanswered = [.. parsed.Unanswered];
        ReportedSent = parsed.ReportedSent;
        ReportedReceived = parsed.ReportedReceived;
        Sent = parsed.ReportedSent ?? parsed.HighestSequence;
        Marks = [.. marks.OrderBy(m => m.At)];
    }

    /// <summary>The destination pinged (as ping's "PING ..." header names it).</summary>
    public string Destination { get; }

    /// <summary>When the run started (the recorder's start, or the first timestamp of parsed output).</summary>
    public DateTimeOffset Start { get; }

    /// <summary>When the run ended (the recorder's stop, or the last timestamp of parsed output).</summary>
    public DateTimeOffset End { get; }

    /// <summary>The interval between requests; <see cref="FullRatePerBin"/> follows from it.</summary>
    public TimeSpan Interval { get; }

    /// <summary>Echo requests sent: from ping's summary, or the highest icmp_seq seen when there was none.</summary>
    public int Sent { get; }

    /// <summary>"N packets transmitted" of ping's summary; null when ping printed none (killed, or still running).</summary>
    public int? ReportedSent { get; }

    /// <summary>"N received" of ping's summary; null without a summary.</summary>
    public int? ReportedReceived { get; }

    /// <summary>The first reply of every answered request, in the order ping printed them.</summary>
    public IReadOnlyList<PingReply> Replies { get; }

    /// <summary>Replies to a request already answered ("(DUP!)").</summary>
    public int Duplicates { get; }

    /// <summary>ICMP errors ("From ... Destination Host Unreachable") and send errors ping reported.</summary>
    public int Errors { get; }

    /// <summary>Requests reported as not answered yet when the next was sent (<see cref="PingOptions.ReportOutstanding"/>); many are answered later.</summary>
    public IReadOnlyList<int> Unanswered { get; }

    /// <summary>Events marked during the run, in time order.</summary>
    public IReadOnlyList<PingMark> Marks { get; }

    /// <summary>Requests without a reply: <see cref="Sent"/> minus the answered ones.</summary>
    public int Lost => Math.Max(0, Sent - Replies.Count);

    /// <summary>
    /// The interval ping actually kept, from the icmp_seq and receive times of the first and last replies: on a busy
    /// machine <c>-i 0.01</c> often sends every 15-20 ms. Null with fewer than two replies.
    /// </summary>
    public TimeSpan? MeasuredInterval =>
        byTime.Length >= 2 && byTime[^1].Sequence != byTime[0].Sequence
            ? (byTime[^1].ReceivedAt - byTime[0].ReceivedAt) / (byTime[^1].Sequence - byTime[0].Sequence)
            : null;

    /// <summary>Replies per bin at the nominal full rate (10 for 10 ms pings in 100 ms bins).</summary>
    public double FullRatePerBin(TimeSpan? binWidth = null) => (binWidth ?? TimeSpan.FromMilliseconds(100)) / Interval;

    /// <summary>The longest time between two consecutive replies; null with fewer than two replies.</summary>
    public PingGap? LongestGap
    {
        get
        {
            PingGap? longest = null;
            for (var i = 1; i < byTime.Length; i++)
            {
                var gap = new PingGap(byTime[i - 1].ReceivedAt, byTime[i].ReceivedAt);
                if (longest is null || gap.Duration > longest.Value.Duration)
                {
                    longest = gap;
                }
            }

            return longest;
        }
    }

    /// <summary>Parses captured <c>ping -D -n</c> output (stdout and stderr lines in any mix).</summary>
    /// <param name="output">The output text.</param>
    /// <param name="marks">Events to attach.</param>
    /// <param name="interval">The <c>-i</c> interval used (default 10 ms).</param>
    public static PingTrace Parse(string output, IEnumerable<PingMark>? marks = null, TimeSpan? interval = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        var parser = new PingOutputParser();
        foreach (var line in output.Split('\n'))
        {
            parser.Add(line.TrimEnd('\r'), standardError: line.StartsWith("ping: ", StringComparison.Ordinal));
        }

        var start = parser.FirstTimestamp ?? DateTimeOffset.UnixEpoch;
        return new PingTrace(string.Empty, start, parser.LastTimestamp ?? start, interval ?? TimeSpan.FromMilliseconds(10), parser, [.. marks ?? []]);
    }

    /// <summary>The first mark called <paramref name="label"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such mark.</exception>
    public PingMark Mark(string label) =>
        Marks.FirstOrDefault(m => m.Label == label) is { Label: not null } mark ? mark : throw new KeyNotFoundException($"no mark '{label}' in the trace");

    /// <summary>From <paramref name="instant"/> to the first reply received after it; null when none came.</summary>
    public PingGap? GapAfter(DateTimeOffset instant)
    {
        foreach (var reply in byTime)
        {
            if (reply.ReceivedAt >= instant)
            {
                return new PingGap(instant, reply.ReceivedAt);
            }
        }

        return null;
    }

    /// <summary>From the last reply before <paramref name="instant"/> (or the instant, if none) to the first reply after
    /// it — what a failure at that instant cost; null when no reply came after it.</summary>
    public PingGap? GapAround(DateTimeOffset instant)
    {
        var before = instant;
        foreach (var reply in byTime)
        {
            if (reply.ReceivedAt >= instant)
            {
                return new PingGap(before, reply.ReceivedAt);
            }

            before = reply.ReceivedAt;
        }

        return null;
    }

    /// <summary>From the mark called <paramref name="label"/> to the first reply after it; null when none came.</summary>
    public PingGap? GapAfter(string label) => GapAfter(Mark(label).At);

    /// <summary>The longest time between consecutive replies within [<paramref name="from"/>, <paramref name="to"/>], its ends included as bounds.</summary>
    public TimeSpan LongestSilence(DateTimeOffset from, DateTimeOffset to)
    {
        var last = from;
        var longest = TimeSpan.Zero;
        foreach (var reply in byTime.Where(r => r.ReceivedAt >= from && r.ReceivedAt <= to))
        {
            longest = TimeSpan.FromTicks(Math.Max(longest.Ticks, (reply.ReceivedAt - last).Ticks));
            last = reply.ReceivedAt;
        }

        return TimeSpan.FromTicks(Math.Max(longest.Ticks, (to - last).Ticks));
    }

    /// <summary>
    /// Replies per bin of <paramref name="binWidth"/> (default 100 ms) from <see cref="Start"/> to <see cref="End"/>;
    /// bin i covers [Start + i·width, Start + (i+1)·width).
    /// </summary>
    public IReadOnlyList<int> RepliesPerBin(TimeSpan? binWidth = null)
    {
        var width = binWidth ?? TimeSpan.FromMilliseconds(100);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(width, TimeSpan.Zero, nameof(binWidth));
        var last = byTime.Length > 0 && byTime[^1].ReceivedAt > End ? byTime[^1].ReceivedAt : End;
        var bins = new int[(int)((last - Start) / width) + 1];
        foreach (var reply in byTime)
        {
            if (reply.ReceivedAt < Start)
            {
                continue;
            }

            var index = Math.Min(bins.Length - 1, (int)((reply.ReceivedAt - Start) / width));
            bins[index]++;
        }

        return bins;
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"ping {Destination}: {Sent} sent, {Replies.Count} replies, {Lost} lost, {Duplicates} duplicates, longest gap {LongestGap?.ToString() ?? "-"}";
}
