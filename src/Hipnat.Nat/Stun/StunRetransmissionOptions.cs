namespace Hipnat.Nat.Stun;

/// <summary>
/// Retransmission parameters for requests over UDP (RFC 8489 §6.2.1): initial RTO (500 ms recommended),
/// Rc total transmissions (default 7), and Rm, the multiple of the RTO waited after the last one (default 16).
/// With the defaults a request goes out at 0, 0.5, 1.5, 3.5, 7.5, 15.5 and 31.5 s and fails at 39.5 s.
/// </summary>
public sealed record StunRetransmissionOptions
{
    public static StunRetransmissionOptions Default { get; } = new();

    public TimeSpan InitialRto { get; init; } = TimeSpan.FromMilliseconds(500);

    public int Rc { get; init; } = 7;

    public int Rm { get; init; } = 16;

    /// <summary>Time from the first transmission until a transaction without response fails.</summary>
    public TimeSpan TransactionTimeout(TimeSpan rto)
    {
        // Sends at 0, RTO, 3 RTO, ... (2^(Rc-1) - 1) RTO, then Rm RTO more.
        long last = (1L << (Math.Max(Rc, 1) - 1)) - 1;
        return (rto * last) + (rto * Rm);
    }
}
