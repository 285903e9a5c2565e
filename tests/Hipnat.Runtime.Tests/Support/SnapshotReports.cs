using System.Collections.Concurrent;
using System.Diagnostics;
using Hipnat.Runtime.Netlink;

namespace Hipnat.Runtime.Tests.Support;

/// <summary>Collects the snapshots an <see cref="AddressMonitor"/> reports, with the time each arrived.</summary>
public sealed class SnapshotReports : IDisposable
{
    private readonly BlockingCollection<(TimeSpan At, InterfaceSnapshot Snapshot)> _queue = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private int _count;

    /// <summary>Reports received so far.</summary>
    public int Count => Volatile.Read(ref _count);

    public TimeSpan Now => _clock.Elapsed;

    public InterfaceSnapshot? Last { get; private set; }

    public void Add(InterfaceSnapshot snapshot)
    {
        Interlocked.Increment(ref _count);
        _queue.Add((_clock.Elapsed, snapshot));
    }

    /// <summary>Waits for a report that satisfies <paramref name="match"/>; fails naming the last report after <paramref name="within"/>.</summary>
    public InterfaceSnapshot WaitFor(Func<InterfaceSnapshot, bool> match, TimeSpan within, string what)
    {
        var deadline = _clock.Elapsed + within;
        while (true)
        {
            var left = deadline - _clock.Elapsed;
            if (left <= TimeSpan.Zero || !_queue.TryTake(out var report, left))
            {
                throw new Xunit.Sdk.XunitException($"no report with {what} within {within.TotalMilliseconds} ms; last report: {Last?.ToString() ?? "none"}");
            }

            Last = report.Snapshot;
            if (match(report.Snapshot))
            {
                return report.Snapshot;
            }
        }
    }

    public void Dispose() => _queue.Dispose();
}
