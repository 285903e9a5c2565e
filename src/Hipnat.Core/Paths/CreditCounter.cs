namespace Hipnat.Core.Paths;

/// <summary>
/// Credit-based authorization of one peer (RFC 8046 §3.3.2, §5.6): what the peer sent us recently is what we may
/// send to an address of it that return routability has not verified yet, so a redirection cannot amplify a flood.
/// Bytes received add credit (§5.6.1), bytes sent to an unverified address spend it, and credit ages by
/// <see cref="AgingFactor"/> every <see cref="AgingInterval"/> (§5.6.2). Thread-safe without locks: a data plane
/// earns on its receive threads and spends on its send thread; aging is driven by the owner's timer with its
/// <c>now</c>.
/// </summary>
public sealed class CreditCounter
{
    /// <summary>RFC 8046 §5.6.2: CreditAgingFactor 7/8.</summary>
    public const double AgingFactor = 7.0 / 8.0;

    /// <summary>RFC 8046 §5.6.2: CreditAgingInterval 5 seconds.</summary>
    public static readonly TimeSpan AgingInterval = TimeSpan.FromSeconds(5);

    private long _credit;
    private long _spent;
    private long _refused;
    private TimeSpan _agedAt;
    private bool _aging;

    /// <summary>Bytes that may go to an unverified address now.</summary>
    public long Credit => Volatile.Read(ref _credit);

    /// <summary>Bytes sent to unverified addresses so far.</summary>
    public long Spent => Volatile.Read(ref _spent);

    /// <summary>Packets that found too little credit (held or dropped by the caller).</summary>
    public long Refused => Volatile.Read(ref _refused);

    /// <summary>§5.6.1: a packet of <paramref name="bytes"/> arrived from the peer.</summary>
    public void Earn(int bytes)
    {
        if (bytes > 0)
        {
            Interlocked.Add(ref _credit, bytes);
        }
    }

    /// <summary>
    /// §5.6.1: a packet of <paramref name="bytes"/> is to go to an unverified address. True (and the credit reduced)
    /// when the credit is at least the packet's size; false when it must be held or dropped.
    /// </summary>
    public bool TrySpend(int bytes)
    {
        while (true)
        {
            long current = Volatile.Read(ref _credit);
            if (current < bytes)
            {
                Interlocked.Increment(ref _refused);
                return false;
            }

            if (Interlocked.CompareExchange(ref _credit, current - bytes, current) == current)
            {
                Interlocked.Add(ref _spent, bytes);
                return true;
            }
        }
    }

    /// <summary>§5.6.2: multiplies the credit by <see cref="AgingFactor"/> once per elapsed <see cref="AgingInterval"/>.</summary>
    public void Age(TimeSpan now)
    {
        if (!_aging || now < _agedAt)
        {
            _aging = true;
            _agedAt = now;
            return;
        }

        long intervals = (now - _agedAt).Ticks / AgingInterval.Ticks;
        if (intervals <= 0)
        {
            return;
        }

        _agedAt += AgingInterval * intervals;
        double factor = Math.Pow(AgingFactor, Math.Min(intervals, 64));
        while (true)
        {
            long current = Volatile.Read(ref _credit);
            long aged = (long)(current * factor);
            if (Interlocked.CompareExchange(ref _credit, aged, current) == current)
            {
                return;
            }
        }
    }
}
