using System.Text;
using System.Text.RegularExpressions;

namespace Hipnat.Lab.Internal;

/// <summary>The thread-safe, timestamped line buffer behind <see cref="LabProcess"/>, with waits for a matching line.</summary>
internal sealed class OutputBuffer
{
    private readonly Lock gate = new();
    private readonly List<OutputLine> lines = [];
    private TaskCompletionSource changed = NewSignal();
    private bool completed;

    public int Count
    {
        get
        {
            lock (gate)
            {
                return lines.Count;
            }
        }
    }

    public bool IsCompleted
    {
        get
        {
            lock (gate)
            {
                return completed;
            }
        }
    }

    public void Append(OutputStream stream, string text)
    {
        TaskCompletionSource signal;
        lock (gate)
        {
            lines.Add(new OutputLine(DateTimeOffset.UtcNow, stream, text));
            signal = changed;
            changed = NewSignal();
        }

        signal.TrySetResult();
    }

    public void Complete()
    {
        TaskCompletionSource signal;
        lock (gate)
        {
            completed = true;
            signal = changed;
            changed = NewSignal();
        }

        signal.TrySetResult();
    }

    public IReadOnlyList<OutputLine> Snapshot()
    {
        lock (gate)
        {
            return [.. lines];
        }
    }

    public IReadOnlyList<OutputLine> SnapshotFrom(int index)
    {
        lock (gate)
        {
            return index >= lines.Count ? [] : lines.GetRange(index, lines.Count - index);
        }
    }

    public string Text(OutputStream? stream)
    {
        var builder = new StringBuilder();
        foreach (var line in Snapshot())
        {
            if (stream is null || line.Stream == stream)
            {
                builder.Append(line.Text).Append('\n');
            }
        }

        return builder.ToString();
    }

    public string Tail(int count) => string.Join('\n', Snapshot().TakeLast(count));

    public Match Wait(Regex pattern, TimeSpan timeout, int fromLine, string what, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        var next = fromLine;
        while (true)
        {
            if (Scan(pattern, ref next, out var match, out var signal, out var done))
            {
                return match!;
            }

            var remaining = Remaining(deadline, pattern, timeout, what, done);
            try
            {
                signal.Wait(remaining, cancellationToken);
            }
            catch (AggregateException)
            {
            }
        }
    }

    public async Task<Match> WaitAsync(Regex pattern, TimeSpan timeout, int fromLine, string what, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        var next = fromLine;
        while (true)
        {
            if (Scan(pattern, ref next, out var match, out var signal, out var done))
            {
                return match!;
            }

            var remaining = Remaining(deadline, pattern, timeout, what, done);
            try
            {
                await signal.WaitAsync(remaining, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
            }
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private bool Scan(Regex pattern, ref int next, out Match? match, out Task signal, out bool done)
    {
        lock (gate)
        {
            for (; next < lines.Count; next++)
            {
                var m = pattern.Match(lines[next].Text);
                if (m.Success)
                {
                    next++;
                    match = m;
                    signal = Task.CompletedTask;
                    done = completed;
                    return true;
                }
            }

            match = null;
            signal = changed.Task;
            done = completed;
            return false;
        }
    }

    private TimeSpan Remaining(DateTime deadline, Regex pattern, TimeSpan timeout, string what, bool done)
    {
        if (done)
        {
            throw new InvalidOperationException($"{what} ended before a line matched /{pattern}/; last output:\n{Tail(40)}");
        }

        var remaining = deadline - DateTime.UtcNow;
        if (remaining <= TimeSpan.Zero)
        {
            throw new TimeoutException($"no line of {what} matched /{pattern}/ within {timeout.TotalSeconds:0.##} s; last output:\n{Tail(40)}");
        }

        return remaining;
    }
}
