namespace Hipnat.Core.Ice;

/// <summary>
/// ICE policy a user sets (RFC 9028 §4.2, §4.6; RFC 8445): which candidates to gather and offer, how checks are
/// paced and retried, when to give up on a direct path, and aggressive use of the first working pair (the
/// draft §5.1.4). Pacing itself is <see cref="Host.HipHostOptions.TransactionPacing"/> (negotiated, RFC 9028 §4.4).
/// </summary>
public sealed class IceOptions
{
    /// <summary>Offer host candidates (the host's own addresses).</summary>
    public bool GatherHost { get; init; } = true;

    /// <summary>Offer server-reflexive candidates (REG_FROM of our relays, STUN servers).</summary>
    public bool GatherServerReflexive { get; init; } = true;

    /// <summary>Offer relayed candidates (RELAYED_ADDRESS of our data relay).</summary>
    public bool GatherRelayed { get; init; } = true;

    /// <summary>Cap on candidate pairs per association (RFC 9028 §4.6.2 recommends 100).</summary>
    public int MaxPairs { get; init; } = 100;

    /// <summary>Cap on remote candidates accepted from one peer; the rest are dropped and counted.</summary>
    public int MaxRemoteCandidates { get; init; } = 32;

    /// <summary>Transmissions of one check before its pair fails (RTO doubling from RFC 9028 §4.6.2's value).</summary>
    public int MaxCheckAttempts { get; init; } = 5;

    /// <summary>The controlling side waits this long after the first direct pair succeeded for a better pair that is
    /// still being checked before it nominates (zero: nominate the first one).</summary>
    public TimeSpan NominationWait { get; init; } = TimeSpan.FromMilliseconds(150);

    /// <summary>A pair through a data relay is nominated only when no direct pair succeeded this long after the checks
    /// started, or when every direct pair failed.</summary>
    public TimeSpan RelayFallbackDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// While a relayed pair carries the traffic because every direct pair failed, the direct pairs are checked
    /// again after this long, then after twice as long each time up to <see cref="DirectRetryMax"/>: NAT state that
    /// made them fail (a Linux NAT remembers an early unanswered check for 30 s) does not pin the pair to the relay
    /// forever. Zero turns it off.
    /// </summary>
    public TimeSpan DirectRetryInitial { get; init; } = TimeSpan.FromSeconds(35);

    /// <summary>The longest interval between retries of the direct pairs.</summary>
    public TimeSpan DirectRetryMax { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Use the first pair that works for HIP and ESP at once, before nomination completes, and nominate it
    /// without waiting (the draft §5.1.4 faster recovery).</summary>
    public bool Aggressive { get; init; }

    /// <summary>
    /// Hot backup (draft-melen-hip-nat-mm §3.2.1): once a direct pair is selected, the other direct pairs are still
    /// checked, so the ones that work are verified standbys before the selected pair fails. False: checks stop at the
    /// nomination (RFC 9028 §4.6.2), and a failure needs new candidates and checks (cold backup).
    /// </summary>
    public bool CheckBackups { get; init; } = true;
}
