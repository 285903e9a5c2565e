namespace Hipnat.Nat.Stun;

/// <summary>
/// The per-server RTO cache of RFC 8489 §6.2.1: RTT estimates per RFC 6298 §2 (alpha 1/8, beta 1/4, K 4) from
/// transactions that were not retransmitted (Karn's algorithm), used as the next transaction's starting RTO,
/// never below the configured initial RTO, and forgotten after 10 minutes without a transaction to that server.
/// </summary>
public sealed class StunRtoEstimator
{
    /// <summary>Cached values older than this are stale (RFC 8489 §6.2.1).</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromMinutes(10);

    private readonly TimeSpan _minimum;
    private TimeSpan _srtt;
    private TimeSpan _rttvar;
    private TimeSpan _rto;
    private TimeSpan _lastUsed;
    private bool _measured;

    public StunRtoEstimator(TimeSpan minimum)
    {
        _minimum = minimum;
        _rto = minimum;
    }

    /// <summary>The RTO to start a transaction with at <paramref name="now"/>.</summary>
    public TimeSpan Current(TimeSpan now)
    {
        if (_measured && now - _lastUsed > StaleAfter)
        {
            _measured = false;
            _rto = _minimum;
        }

        _lastUsed = now;
        return _rto;
    }

    /// <summary>Adds one RTT measurement; call only for transactions answered without retransmission.</summary>
    public void AddSample(TimeSpan rtt, TimeSpan now)
    {
        _lastUsed = now;
        if (!_measured)
        {
            _srtt = rtt;
            _rttvar = rtt / 2;
            _measured = true;
        }
        else
        {
            var delta = (_srtt - rtt).Duration();
            _rttvar = (_rttvar * 3 / 4) + (delta / 4);
            _srtt = (_srtt * 7 / 8) + (rtt / 8);
        }

        // RFC 6298 §2: RTO = SRTT + max(G, 4 RTTVAR), with a 1 ms clock; kept at or above the initial RTO.
        var rto = _srtt + TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond, (_rttvar * 4).Ticks));
        _rto = rto < _minimum ? _minimum : rto;
    }
}
