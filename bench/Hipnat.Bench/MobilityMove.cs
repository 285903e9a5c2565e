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
}
