namespace Hipnat.Lab;

/// <summary>
/// Impairment of one link (a host interface and its switch port). Loss is applied in the switch namespace with
/// iptables <c>-m statistic --mode random</c> on the bridged frames (so the hosts' own firewalls and conntrack see the
/// link as a real wire would), each direction independently; rate is a tc <c>tbf</c> qdisc on both ends' egress.
/// This kernel has no netem, so there is no delay or reordering.
/// </summary>
/// <param name="LossToHost">Probability in [0, 1] that a packet travelling towards the host is dropped.</param>
/// <param name="LossFromHost">Probability in [0, 1] that a packet sent by the host is dropped.</param>
/// <param name="RateBitsPerSecond">Rate limit in bits per second for each direction, or null for none.</param>
public sealed record LinkImpairment(double LossToHost = 0, double LossFromHost = 0, long? RateBitsPerSecond = null)
{
    /// <summary>No loss, no rate limit.</summary>
    public static LinkImpairment None { get; } = new();

    /// <summary>The same loss probability in both directions.</summary>
    public static LinkImpairment Loss(double probability) => new(probability, probability);

    /// <summary>A rate limit in both directions.</summary>
    public static LinkImpairment Rate(long bitsPerSecond) => new(RateBitsPerSecond: bitsPerSecond);

    internal void Validate()
    {
        if (LossToHost is < 0 or > 1 || double.IsNaN(LossToHost) || LossFromHost is < 0 or > 1 || double.IsNaN(LossFromHost))
        {
            throw new ArgumentOutOfRangeException(nameof(LossToHost), "loss is a probability in [0, 1]");
        }

        if (RateBitsPerSecond is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(RateBitsPerSecond), "rate must be positive");
        }
    }
}
