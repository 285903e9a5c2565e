namespace Hipnat.Simulator;

/// <summary>
/// The behaviour of one link: a host attachment's access link, a realm's default for its attachments, or a NAT hop.
/// A packet crossing a realm goes through the sender's link and then the receiver's link; each applies its own
/// loss, delay, jitter, reordering and duplication.
/// </summary>
public sealed record LinkProfile
{
    /// <summary>No delay, no loss, no duplication, no reordering.</summary>
    public static LinkProfile Ideal { get; } = new();

    /// <summary>Fixed one-way delay.</summary>
    public TimeSpan Delay
    {
        get;
        init => field = NonNegative(value);
    }

    /// <summary>Extra delay drawn uniformly from [0, Jitter] per packet.</summary>
    public TimeSpan Jitter
    {
        get;
        init => field = NonNegative(value);
    }

    /// <summary>Probability in [0, 1] that a packet is lost on this link.</summary>
    public double Loss
    {
        get;
        init => field = Probability(value);
    }

    /// <summary>Probability in [0, 1] that a packet is delivered twice (the copy gets its own delay).</summary>
    public double Duplication
    {
        get;
        init => field = Probability(value);
    }

    /// <summary>Fraction in [0, 1] of packets held back by <see cref="ReorderDelay"/>, so later packets overtake them.</summary>
    public double Reordering
    {
        get;
        init => field = Probability(value);
    }

    /// <summary>Extra delay applied to the reordered fraction.</summary>
    public TimeSpan ReorderDelay
    {
        get;
        init => field = NonNegative(value);
    }

    internal bool IsIdeal =>
        Delay == TimeSpan.Zero && Jitter == TimeSpan.Zero && Loss == 0 && Duplication == 0 && Reordering == 0;

    public static LinkProfile WithDelay(TimeSpan delay) => new() { Delay = delay };

    internal TimeSpan SampleDelay(SimRandom random)
    {
        TimeSpan delay = Delay;
        if (Jitter > TimeSpan.Zero)
        {
            delay += random.NextTimeSpan(Jitter);
        }

        if (Reordering > 0 && random.Chance(Reordering))
        {
            delay += ReorderDelay;
        }

        return delay;
    }

    private static TimeSpan NonNegative(TimeSpan value)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero);
        return value;
    }

    private static double Probability(double value)
    {
        if (!(value >= 0 && value <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "Probability must be in [0, 1].");
        }

        return value;
    }
}
