using System.Globalization;
using System.Text.RegularExpressions;

namespace Hipnat.Lab.Internal;

/// <summary>
/// Reads iputils <c>ping -D -n</c> output line by line: replies (with "(DUP!)"), "no answer yet" lines of <c>-O</c>,
/// ICMP errors ("From ... icmp_seq=N Destination Host Unreachable"), send errors on stderr and the summary.
/// Sequence numbers are unwrapped past 65535. Not thread-safe: <see cref="PingRecorder"/> holds a lock around it.
/// </summary>
internal sealed partial class PingOutputParser
{
    private readonly List<PingReply> replies = [];
    private readonly HashSet<int> answered = [];
    private readonly List<int> unanswered = [];
    private int epoch;
    private int lastRaw = -1;
    private int highestSequence;

    public string? Destination { get; private set; }

    public DateTimeOffset? FirstTimestamp { get; private set; }

    public DateTimeOffset? LastTimestamp { get; private set; }

    public int Duplicates { get; private set; }

    public int Errors { get; private set; }

    public int? ReportedSent { get; private set; }

    public int? ReportedReceived { get; private set; }

    public int? ReportedDuplicates { get; private set; }

    public IReadOnlyList<PingReply> Replies => replies;

    public IReadOnlyList<int> Unanswered => unanswered;

    public int HighestSequence => highestSequence;

    public void Add(string line, bool standardError = false)
    {
        if (Header().Match(line) is { Success: true } header)
        {
            Destination = header.Groups["dest"].Value;
            return;
        }

        if (Reply().Match(line) is { Success: true } reply)
        {
            var at = Timestamp(reply);
            var sequence = Unwrap(reply);
            if (reply.Groups["dup"].Success || !answered.Add(sequence))
            {
                Duplicates++;
                return;
            }

            TimeSpan? rtt = reply.Groups["rtt"].Success
                ? TimeSpan.FromMilliseconds(double.Parse(reply.Groups["rtt"].Value, CultureInfo.InvariantCulture))
                : null;
            replies.Add(new PingReply(sequence, at, rtt));
            return;
        }

        if (NoAnswer().Match(line) is { Success: true } noAnswer)
        {
            Timestamp(noAnswer);
            unanswered.Add(Unwrap(noAnswer));
            return;
        }

        if (IcmpError().Match(line) is { Success: true } error)
        {
            if (error.Groups["ts"].Success)
            {
                Timestamp(error);
            }

            Unwrap(error);
            Errors++;
            return;
        }

        if (Summary().Match(line) is { Success: true } summary)
        {
            ReportedSent = int.Parse(summary.Groups["sent"].Value, CultureInfo.InvariantCulture);
            ReportedReceived = int.Parse(summary.Groups["received"].Value, CultureInfo.InvariantCulture);
            ReportedDuplicates = summary.Groups["dup"].Success ? int.Parse(summary.Groups["dup"].Value, CultureInfo.InvariantCulture) : 0;
            return;
        }

        if (standardError && line.StartsWith("ping: ", StringComparison.Ordinal))
        {
            Errors++; // e.g. "ping: sendmsg: Network is unreachable" while a route is gone
        }
    }

    internal static DateTimeOffset ParseTimestamp(string text)
    {
        var seconds = decimal.Parse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
        return DateTimeOffset.UnixEpoch.AddTicks((long)(seconds * TimeSpan.TicksPerSecond));
    }

    private DateTimeOffset Timestamp(Match match)
    {
        var at = ParseTimestamp(match.Groups["ts"].Value);
        FirstTimestamp ??= at;
        if (LastTimestamp is null || at > LastTimestamp)
        {
            LastTimestamp = at;
        }

        return at;
    }

    private int Unwrap(Match match)
    {
        var raw = int.Parse(match.Groups["seq"].Value, CultureInfo.InvariantCulture);
        if (lastRaw >= 0 && raw < lastRaw - 32768)
        {
            epoch++;
        }
        else if (lastRaw >= 0 && raw > lastRaw + 32768 && epoch > 0)
        {
            // A late line from before the wrap.
            return ((epoch - 1) * 65536) + raw;
        }

        lastRaw = raw;
        var sequence = (epoch * 65536) + raw;
        highestSequence = Math.Max(highestSequence, sequence);
        return sequence;
    }

    [GeneratedRegex(@"^PING (?<dest>[^\s(]+)")]
    private static partial Regex Header();

    [GeneratedRegex(@"^\[(?<ts>\d+(?:\.\d+)?)\] \d+ bytes from .+?: icmp_seq=(?<seq>\d+)(?: ttl=\d+)?(?: time=(?<rtt>\d+(?:\.\d+)?) ms)?(?<dup> \(DUP!\))?")]
    private static partial Regex Reply();

    [GeneratedRegex(@"^\[(?<ts>\d+(?:\.\d+)?)\] no answer yet for icmp_seq=(?<seq>\d+)")]
    private static partial Regex NoAnswer();

    [GeneratedRegex(@"^(?:\[(?<ts>\d+(?:\.\d+)?)\] )?From \S+ icmp_seq=(?<seq>\d+) ")]
    private static partial Regex IcmpError();

    [GeneratedRegex(@"^(?<sent>\d+) packets transmitted, (?<received>\d+) received(?:, \+(?<dup>\d+) duplicates)?")]
    private static partial Regex Summary();
}
