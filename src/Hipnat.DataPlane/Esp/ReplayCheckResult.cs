namespace Hipnat.DataPlane.Esp;

/// <summary>Outcome of the anti-replay check of one sequence number (RFC 4303 §3.4.3).</summary>
public enum ReplayCheckResult
{
    /// <summary>New and inside the window, or ahead of it: go on to the integrity check.</summary>
    Accepted,

    /// <summary>Inside the window and already received.</summary>
    Duplicate,

    /// <summary>Left of the window (older than T - W + 1), or the never-valid sequence number 0.</summary>
    TooOld,
}
