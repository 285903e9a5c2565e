namespace Hipnat.Bench;

/// <summary>The kinds of move of the mobility matrix.</summary>
internal enum MobilityMove
{
    /// <summary>A's only address moves into a new realm behind a new NAT of the same behaviour (or to a new public
    /// address without a NAT); A's core is told right after.</summary>
    BreakBeforeMake,

    /// <summary>A gains a second address behind a new NAT of the same behaviour; one second later the old one is
    /// removed. The core is told each time.</summary>
    MakeBeforeBreak,

    /// <summary>B's NAT is renumbered (new public address, every mapping forgotten); neither host sees a local change.
    /// Not applicable when B has no NAT.</summary>
    NatRebinding,

    /// <summary>Both hosts move as in <see cref="BreakBeforeMake"/>, B 10–90 ms after A (the delay drawn from the seed).</summary>
    DoubleJump,

    /// <summary>A has two uplinks behind two NATs of the same behaviour (the second verified as a hot standby); the
    /// NAT of the uplink in use starts dropping everything, and A sees no local change (draft §3.2.1 hot backup).</summary>
    UplinkFailsHot,

    /// <summary>As <see cref="UplinkFailsHot"/>, but A keeps no standby: it gathers and offers its candidates again
    /// when the active pair fails (cold backup).</summary>
    UplinkFailsCold,

    /// <summary>A has two uplinks (the second a hot standby); the interface in use goes down and A's core is told
    /// (a link event).</summary>
    UplinkDown,

    /// <summary>A has two uplinks (hot standby); for 30 s one of them at a time fails silently (its NAT drops
    /// everything) and comes back, at random moments drawn from the seed.</summary>
    RandomFailures,
}
