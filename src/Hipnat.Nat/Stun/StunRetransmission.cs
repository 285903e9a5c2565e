namespace Hipnat.Nat.Stun;

/// <summary>What a request's retransmission timer asks for when it fires.</summary>
public enum StunRetransmissionAction
{
    /// <summary>The deadline has not come yet.</summary>
    Wait,

    /// <summary>Send the same request again (same transaction ID).</summary>
    Retransmit,

    /// <summary>Rc requests went out and Rm x RTO passed after the last: the transaction failed.</summary>
    TimedOut,
}

/// <summary>
/// The timer of one STUN request over UDP (RFC 8489 §6.2.1): the interval starts at RTO and doubles after each
/// retransmission until Rc requests have been sent; the transaction fails Rm x RTO after the last one.
/// Pure state: it is told the time and never reads a clock.
/// </summary>
public sealed class StunRetransmission
{
    private readonly StunRetransmissionOptions _options;
    private TimeSpan _interval;

    public StunRetransmission(StunRetransmissionOptions options, TimeSpan now, TimeSpan? rto = null)
    {
        _options = options;
        Rto = rto ?? options.InitialRto;
        _interval = Rto;
        FirstSent = now;
        LastSent = now;
        Transmissions = 1;
        Deadline = Transmissions >= options.Rc ? now + (Rto * options.Rm) : now + _interval;
    }

    /// <summary>The RTO this transaction started with.</summary>
    public TimeSpan Rto { get; }

    public TimeSpan FirstSent { get; }

    public TimeSpan LastSent { get; private set; }

    /// <summary>Requests sent so far, the first included.</summary>
    public int Transmissions { get; private set; }

    /// <summary>When <see cref="OnTimeout"/> next has something to do.</summary>
    public TimeSpan Deadline { get; private set; }

    public StunRetransmissionAction OnTimeout(TimeSpan now)
    {
        if (now < Deadline)
        {
            return StunRetransmissionAction.Wait;
        }

        if (Transmissions >= _options.Rc)
        {
            return StunRetransmissionAction.TimedOut;
        }

        Transmissions++;
        LastSent = now;

        // RFC 8489 §6.2.1: the interval doubles after each retransmission; after the last (Rc-th) request the
        // client waits Rm times the RTO.
        _interval *= 2;
        Deadline = Transmissions >= _options.Rc ? now + (Rto * _options.Rm) : now + _interval;
        return StunRetransmissionAction.Retransmit;
    }
}
