using System.Globalization;
using System.Text.RegularExpressions;

namespace Hipnat.Lab.Demo;

/// <summary>
/// Reads the handover and path lines of a daemon's simple-format log (<c>2025-01-01T12:00:00.000 info: CATEGORY[0]
/// MESSAGE</c>; docs/mobility.md "Seeing it") into <see cref="DaemonEvent"/>s. Other lines are skipped.
/// </summary>
public static partial class DaemonLog
{
    /// <summary>A log timestamp further than this from when the lab read the line is not trusted (another time zone).</summary>
    private static readonly TimeSpan ClockSlack = TimeSpan.FromSeconds(2);

    /// <summary>The events in <paramref name="lines"/>, in time order.</summary>
    /// <param name="host">The daemon's name.</param>
    /// <param name="lines">Its output lines.</param>
    /// <param name="names">HIT → name, to name the peers.</param>
    public static IReadOnlyList<DaemonEvent> Parse(string host, IEnumerable<OutputLine> lines, IReadOnlyDictionary<string, string> names)
    {
        ArgumentNullException.ThrowIfNull(lines);
        return [.. lines.Select(l => ParseLine(host, l, names)).OfType<DaemonEvent>().OrderBy(e => e.Time)];
    }

    /// <summary>The event of one line, or null when it is none of <see cref="DaemonEventKind"/>.</summary>
    public static DaemonEvent? ParseLine(string host, OutputLine line, IReadOnlyDictionary<string, string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        var text = line.Text;
        var time = line.Timestamp;
        var prefix = Prefix().Match(text);
        if (prefix.Success)
        {
            text = prefix.Groups["msg"].Value;
            if (DateTime.TryParseExact(prefix.Groups["ts"].Value, "yyyy-MM-ddTHH:mm:ss.fff", CultureInfo.InvariantCulture, DateTimeStyles.AssumeLocal, out var logged)
                && (new DateTimeOffset(logged) - line.Timestamp).Duration() <= ClockSlack)
            {
                time = new DateTimeOffset(logged).ToUniversalTime();
            }
        }

        string Name(string hit) => names.FirstOrDefault(kv => HipnatStatus.SameHit(kv.Key, hit)).Value ?? hit;

        if (AddressesChanged().Match(text) is { Success: true } a)
        {
            return new DaemonEvent(time, host, DaemonEventKind.AddressesChanged, $"local addresses changed: {a.Groups["what"].Value}", null);
        }

        if (HandoverStarted().Match(text) is { Success: true } s)
        {
            return new DaemonEvent(time, host, DaemonEventKind.HandoverStarted,
                $"handover with {Name(s.Groups["peer"].Value)} started ({s.Groups["role"].Value}): {s.Groups["reason"].Value}", null);
        }

        if (HandoverDone().Match(text) is { Success: true } d)
        {
            return new DaemonEvent(time, host, DaemonEventKind.HandoverDone,
                $"handover with {Name(d.Groups["peer"].Value)} done in {d.Groups["ms"].Value} ms ({d.Groups["role"].Value}): {d.Groups["path"].Value}", null);
        }

        if (PathSuspected().Match(text) is { Success: true } ps)
        {
            return new DaemonEvent(time, host, DaemonEventKind.PathSuspected, $"path to {Name(ps.Groups["peer"].Value)} suspected: {ps.Groups["reason"].Value}", null);
        }

        if (PathChanged().Match(text) is { Success: true } p)
        {
            var direct = p.Groups["how"].Value == "direct";
            return new DaemonEvent(time, host, DaemonEventKind.PathChanged,
                $"path to {Name(p.Groups["peer"].Value)}: {p.Groups["from"].Value} -> {p.Groups["to"].Value} ({p.Groups["how"].Value}): {p.Groups["reason"].Value}", direct);
        }

        if (IceCompleted().Match(text) is { Success: true } i)
        {
            var direct = i.Groups["how"].Value == "direct";
            return new DaemonEvent(time, host, DaemonEventKind.IceSelected,
                $"ICE with {Name(i.Groups["peer"].Value)} selected {i.Groups["pair"].Value} ({i.Groups["how"].Value}) in {i.Groups["ms"].Value} ms after {i.Groups["checks"].Value} checks", direct);
        }

        return null;
    }

    [GeneratedRegex(@"^(?<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})\s+\w+:\s+[^\s\[]+\[\d+\]\s+(?<msg>.*)$")]
    private static partial Regex Prefix();

    [GeneratedRegex(@"local addresses changed: (?<what>.*)$")]
    private static partial Regex AddressesChanged();

    [GeneratedRegex(@"handover with (?<peer>\S+) started \((?<role>[^)]*)\): (?<reason>.*)$")]
    private static partial Regex HandoverStarted();

    [GeneratedRegex(@"handover with (?<peer>\S+) done in (?<ms>\d+) ms \((?<role>[^)]*)\): (?<path>.*)$")]
    private static partial Regex HandoverDone();

    [GeneratedRegex(@"path to (?<peer>\S+) suspected: (?<reason>.*)$")]
    private static partial Regex PathSuspected();

    [GeneratedRegex(@"path to (?<peer>\S+): (?<from>\S+) -> (?<to>\S+) \((?<how>direct|via relay)\): (?<reason>.*)$")]
    private static partial Regex PathChanged();

    [GeneratedRegex(@"ICE with (?<peer>\S+) completed in (?<ms>\d+) ms after (?<checks>\d+) checks: (?<pair>.*) \((?<how>direct|via data relay)\)$")]
    private static partial Regex IceCompleted();
}
