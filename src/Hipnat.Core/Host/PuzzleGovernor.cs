namespace Hipnat.Core.Host;

/// <summary>
/// Adaptive puzzle difficulty (RFC 7401 §4.1.1: "The Responder SHOULD use heuristics to determine when it is under a
/// denial-of-service attack, and set the puzzle difficulty value #K appropriately"). The signal is the number of I2s
/// that reached Diffie-Hellman work in a sliding window: only those cost the responder more than a hash, and only
/// they can be made scarcer by a harder puzzle. Above the threshold #K rises by <see cref="RaiseStep"/> at most once
/// per window, up to the ceiling; once the load has stayed at or under a quarter of the threshold for the calm
/// interval, #K falls by one per calm interval back to the configured floor (hysteresis). Allocation-free; time
/// comes from the caller.
/// </summary>
internal sealed class PuzzleGovernor
{
    /// <summary>Largest #K ever used: 2^28 hashes is already tens of seconds for an honest Initiator.</summary>
    public const byte HardCeiling = 28;

    /// <summary>Bits added per raise (each bit doubles the Initiator's expected work).</summary>
    public const int RaiseStep = 2;

    private const int Buckets = 10;

    private readonly int[] _counts = new int[Buckets];
    private readonly long _bucketTicks;
    private readonly int _high;
    private readonly int _low;
    private readonly TimeSpan _window;
    private readonly TimeSpan _calm;
    private long _epoch;
    private int _sum;
    private TimeSpan _lastChange;
    private TimeSpan _busySince;

    public PuzzleGovernor(HipHostOptions options)
    {
        Floor = options.PuzzleDifficulty;
        Ceiling = Math.Max(Floor, Math.Min(options.PuzzleDifficultyCeiling, HardCeiling));
        _window = options.PuzzleLoadWindow > TimeSpan.Zero ? options.PuzzleLoadWindow : TimeSpan.FromSeconds(1);
        _bucketTicks = Math.Max(1, _window.Ticks / Buckets);
        _high = Math.Max(1, options.PuzzleLoadThreshold);
        _low = _high / 4;
        _calm = options.PuzzleCalmInterval > TimeSpan.Zero ? options.PuzzleCalmInterval : TimeSpan.FromSeconds(5);
        _lastChange = TimeSpan.FromDays(-1);
        _busySince = _lastChange;
        K = Floor;
    }

    public byte Floor { get; }

    public byte Ceiling { get; }

    /// <summary>The #K put in R1s now.</summary>
    public byte K { get; private set; }

    /// <summary>I2s that reached DH work within the window ending at the last call.</summary>
    public int InWindow => _sum;

    /// <summary>When #K may next fall (if the load stays low); never while #K is at the floor.</summary>
    public TimeSpan NextDue => K > Floor ? Later(_lastChange, _busySince) + _calm : TimeSpan.MaxValue;

    /// <summary>Counts one I2 that reached Diffie-Hellman work.</summary>
    public void Record(TimeSpan now)
    {
        Advance(now);
        _counts[(int)(_epoch % Buckets)]++;
        _sum++;
        if (_sum > _low)
        {
            _busySince = now;
        }
    }

    /// <summary>Moves #K if the load asks for it; true when it changed.</summary>
    public bool Update(TimeSpan now)
    {
        Advance(now);
        if (_sum > _high)
        {
            _busySince = now;
            if (K < Ceiling && now - _lastChange >= _window)
            {
                K = (byte)Math.Min(Ceiling, K + RaiseStep);
                _lastChange = now;
                return true;
            }

            return false;
        }

        if (_sum > _low)
        {
            _busySince = now;
            return false;
        }

        if (K > Floor && now >= NextDue)
        {
            K--;
            _lastChange = now;
            return true;
        }

        return false;
    }

    private static TimeSpan Later(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private void Advance(TimeSpan now)
    {
        long e = now.Ticks / _bucketTicks;
        if (e <= _epoch)
        {
            return; // same bucket (or a clock that went back: keep counting into the newest one)
        }

        if (e - _epoch >= Buckets)
        {
            Array.Clear(_counts);
            _sum = 0;
        }
        else
        {
            for (long i = _epoch + 1; i <= e; i++)
            {
                int idx = (int)(i % Buckets);
                _sum -= _counts[idx];
                _counts[idx] = 0;
            }
        }

        _epoch = e;
    }
}
