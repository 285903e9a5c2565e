namespace Hipnat.Core.Association;

/// <summary>
/// The last handover of an association, as a status view shows it: why it started, and each step
/// (registrations updated, UPDATE sent and acknowledged, checks restarted, new path selected) with its time
/// since the start.
/// </summary>
public sealed class HandoverRecord
{
    private readonly List<(string Step, TimeSpan At)> _steps = [];

    public HandoverRecord(TimeSpan started, string reason, bool mobile)
    {
        Started = started;
        Reason = reason;
        Mobile = mobile;
    }

    public TimeSpan Started { get; }

    /// <summary>What started it: our addresses changed, the peer moved, a new source address of the peer.</summary>
    public string Reason { get; }

    /// <summary>True on the host that moved; false on its correspondent.</summary>
    public bool Mobile { get; }

    /// <summary>When traffic had a working path again (a pair selected or verified); null while in progress.</summary>
    public TimeSpan? Completed { get; private set; }

    public IReadOnlyList<(string Step, TimeSpan At)> Steps => _steps;

    internal void Step(string step, TimeSpan now)
    {
        if (_steps.Count < 32)
        {
            _steps.Add((step, now - Started));
        }
    }

    internal void Complete(string step, TimeSpan now)
    {
        Step(step, now);
        Completed ??= now;
    }

    public override string ToString() =>
        $"{Reason}: {string.Join(", ", _steps.Select(s => $"{s.Step} +{s.At.TotalMilliseconds:F0} ms"))}";
}
