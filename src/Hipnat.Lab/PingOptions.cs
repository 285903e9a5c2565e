using System.Globalization;

namespace Hipnat.Lab;

/// <summary>
/// How <see cref="PingRecorder"/> runs the unmodified iputils <c>ping</c>: always <c>-D -n -i INTERVAL</c>, plus the
/// optional limits below. The defaults measure a handover: 100 echoes a second until stopped.
/// </summary>
public sealed record PingOptions
{
    /// <summary>Time between echo requests (<c>-i</c>, default 10 ms; below 200 ms needs root, which the lab has).</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>Stop after this many echo requests (<c>-c</c>); null runs until <see cref="Deadline"/> or a stop.</summary>
    public int? Count { get; init; }

    /// <summary>Stop after this long whatever was received (<c>-w</c>); null runs until <see cref="Count"/> or a stop.</summary>
    public TimeSpan? Deadline { get; init; }

    /// <summary>How long ping waits for a reply (<c>-W</c>), which matters only with <see cref="Count"/> and after the last request.</summary>
    public TimeSpan? ReplyTimeout { get; init; }

    /// <summary>The source interface or address (<c>-I</c>, e.g. <c>hip0</c>); null lets routing choose.</summary>
    public string? Interface { get; init; }

    /// <summary>Echo payload size in bytes (<c>-s</c>); null keeps ping's 56.</summary>
    public int? PayloadSize { get; init; }

    /// <summary>Report requests still unanswered when the next one is sent (<c>-O</c>, "no answer yet" lines).</summary>
    public bool ReportOutstanding { get; init; }

    /// <summary>The command-line arguments for <paramref name="destination"/>.</summary>
    public IReadOnlyList<string> ToArguments(string destination)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(destination);
        Validate();
        var args = new List<string> { "-D", "-n", "-i", Seconds(Interval) };
        if (ReportOutstanding)
        {
            args.Add("-O");
        }

        if (Count is { } count)
        {
            args.AddRange(["-c", count.ToString(CultureInfo.InvariantCulture)]);
        }

        if (Deadline is { } deadline)
        {
            args.AddRange(["-w", ((int)Math.Ceiling(deadline.TotalSeconds)).ToString(CultureInfo.InvariantCulture)]);
        }

        if (ReplyTimeout is { } wait)
        {
            args.AddRange(["-W", Seconds(wait)]);
        }

        if (Interface is { } source)
        {
            args.AddRange(["-I", source]);
        }

        if (PayloadSize is { } size)
        {
            args.AddRange(["-s", size.ToString(CultureInfo.InvariantCulture)]);
        }

        args.Add(destination);
        return args;
    }

    internal void Validate()
    {
        if (Interval < TimeSpan.FromMilliseconds(1))
        {
            throw new ArgumentOutOfRangeException(nameof(Interval), "ping's interval is at least 1 ms");
        }

        if (Count is <= 0 || Deadline is { } d && d <= TimeSpan.Zero || ReplyTimeout is { } w && w <= TimeSpan.Zero || PayloadSize is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Count), "count, deadline, reply timeout and payload size must be positive");
        }
    }

    private static string Seconds(TimeSpan value) => value.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
}
