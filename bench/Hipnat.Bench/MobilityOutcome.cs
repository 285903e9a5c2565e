namespace Hipnat.Bench;

/// <summary>What one run of <see cref="MobilityScenario"/> observed. Times are virtual; "the move" is the first
/// change of the run (for make-before-break, the new address appearing; the old one goes one second later).</summary>
internal sealed class MobilityOutcome
{
    /// <summary>Why the association never had a path before the move (the run then measured nothing), if so.</summary>
    public string? SetupFailure { get; set; }

    /// <summary>The move does not apply to the cell (NAT rebinding without a NAT at B).</summary>
    public bool NotApplicable { get; set; }

    /// <summary>Virtual time of the move.</summary>
    public TimeSpan MoveAt { get; set; }

    /// <summary>End of the observation.</summary>
    public TimeSpan End { get; set; }

    /// <summary>For <see cref="MobilityMove.RandomFailures"/>: each failure (its time, the uplink) and how long until
    /// emulated ESP flowed again both ways.</summary>
    public List<(TimeSpan At, string Uplink, TimeSpan Recovery)> Failures { get; } = [];

    /// <summary>For the failover moves: which of A's uplinks failed ("A" or "A2").</summary>
    public string? FailedUplink { get; set; }

    /// <summary>Path in use when the move happened ("direct" or "relayed").</summary>
    public string PathBefore { get; set; } = "none";

    /// <summary>Path at the end: "direct" (both sides direct), "relayed" (both relayed), "mixed" or "none".</summary>
    public string PathAfter { get; set; } = "none";

    /// <summary>Established on both sides at the end, and neither raised AssociationFailed or AssociationClosed.</summary>
    public bool Survived { get; set; }

    /// <summary>Why the association did not survive.</summary>
    public string? Failure { get; set; }

    /// <summary>Longest time without a delivered datagram A → B (B hears A), from the last delivery before the move
    /// to the end; the silence at the end counts.</summary>
    public TimeSpan GapAToB { get; set; }

    public TimeSpan GapBToA { get; set; }

    /// <summary>The longer of the two gaps.</summary>
    public TimeSpan LongestGap => GapAToB > GapBToA ? GapAToB : GapBToA;

    /// <summary>From the move to the moment after which neither direction was silent for more than
    /// <see cref="MobilityScenario.OutageThreshold"/> (zero when no outage at all).</summary>
    public TimeSpan FlowingAgainAfter { get; set; }

    /// <summary>Traffic flows both ways at the end of the observation (each direction delivered within the last
    /// <see cref="MobilityScenario.OutageThreshold"/>), and the association survived.</summary>
    public bool Recovered { get; set; }

    /// <summary>Datagrams offered (one per side every 10 ms) from the move to one second before the end.</summary>
    public int Offered { get; set; }

    /// <summary>Of those, never delivered (including those the emulated data plane held back for want of a route).</summary>
    public int Lost { get; set; }

    /// <summary>Durations of the HandoverCompleted events raised at either host after the move ("A"/"B", mobile).</summary>
    public List<(string Side, bool Mobile, TimeSpan Duration)> Handovers { get; } = [];

    public int HandoversStarted { get; set; }

    public int PathsSuspected { get; set; }

    /// <summary>Both hosts' debug log and the scenario's steps (only when asked for).</summary>
    public List<string> Log { get; } = [];

    public string? Trace { get; set; }
}
