namespace Hipnat.Simulator;

/// <summary>Queue priority: virtual time, then insertion order, so simultaneous events run deterministically.</summary>
internal readonly struct EventKey(long ticks, long sequence) : IComparable<EventKey>
{
    public long Ticks { get; } = ticks;

    public long Sequence { get; } = sequence;

    public int CompareTo(EventKey other)
    {
        int c = Ticks.CompareTo(other.Ticks);
        return c != 0 ? c : Sequence.CompareTo(other.Sequence);
    }
}
