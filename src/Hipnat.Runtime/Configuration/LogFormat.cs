namespace Hipnat.Runtime.Configuration;

/// <summary>How log lines are written to stdout.</summary>
public enum LogFormat
{
    /// <summary>One human-readable line per entry: <c>2026-01-01T12:00:00.000 info: hipnat[0] message</c>.</summary>
    Simple,

    /// <summary>One JSON object per line (timestamp, level, category, message and the message's named values).</summary>
    Json,
}
