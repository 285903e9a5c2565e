namespace Hipnat.Runtime.Control;

/// <summary>One step of a handover and when it happened, in milliseconds after the handover started.</summary>
public sealed class HandoverStepReport
{
    public string Step { get; set; } = string.Empty;

    public double AtMs { get; set; }
}
