namespace Hipnat.Runtime;

/// <summary>
/// Keeps a repeating problem from flooding the log: per key (a driver step, a refusal reason), the first occurrence
/// is logged and then at most one every <see cref="Interval"/>; the ones in between are only counted, and the next
/// line logged says how many there were. Thread-safe.
/// </summary>
internal sealed class LogThrottle(TimeSpan interval)
{
    private readonly object _gate = new();
    private readonly Dictionary<string, (TimeSpan LastLogged, long Suppressed)> _keys = [];

    public TimeSpan Interval { get; } = interval;

    /// <summary>
    /// True when an occurrence of <paramref name="key"/> at <paramref name="now"/> is to be logged;
    /// <paramref name="suppressed"/> is then the number of occurrences not logged since the previous line.
    /// </summary>
    public bool ShouldLog(string key, TimeSpan now, out long suppressed)
    {
        lock (_gate)
        {
            if (_keys.TryGetValue(key, out var entry) && now - entry.LastLogged < Interval)
            {
                _keys[key] = (entry.LastLogged, entry.Suppressed + 1);
                suppressed = 0;
                return false;
            }

            suppressed = entry.Suppressed;
            _keys[key] = (now, 0);
            return true;
        }
    }
}
