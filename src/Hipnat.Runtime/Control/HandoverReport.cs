namespace Hipnat.Runtime.Control;

/// <summary>The last handover of an association: why, whose move, and each step with its time from the start.</summary>
public sealed class HandoverReport
{
    /// <summary>"mobile" when our locators changed, "correspondent" when the peer moved.</summary>
    public string Role { get; set; } = string.Empty;

    public string Reason { get; set; } = string.Empty;

    public double StartedSecondsAgo { get; set; }

    /// <summary>From the start to a working path; null while in progress.</summary>
    public double? DurationMs { get; set; }

    public List<HandoverStepReport> Steps { get; set; } = [];
}
