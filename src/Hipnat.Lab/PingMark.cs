namespace Hipnat.Lab;

/// <summary>An event marked during a ping run (e.g. "uplink down"), on the clock of ping's <c>-D</c> timestamps.</summary>
/// <param name="Label">What happened.</param>
/// <param name="At">When (UTC, <see cref="DateTimeOffset.UtcNow"/>: CLOCK_REALTIME, as ping's <c>-D</c>).</param>
public readonly record struct PingMark(string Label, DateTimeOffset At);
