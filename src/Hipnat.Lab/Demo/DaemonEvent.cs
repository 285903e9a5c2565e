namespace Hipnat.Lab.Demo;

/// <summary>One handover or path line of a daemon's log (Information level), as the demo's time line shows it.</summary>
/// <param name="Time">When the daemon logged it (UTC; its log timestamp, or when the lab read the line).</param>
/// <param name="Host">The daemon's name ("alice", "bob").</param>
/// <param name="Kind">Which line it was.</param>
/// <param name="Text">The line without its log prefix, peers' HITs replaced by their names.</param>
/// <param name="Direct">For <see cref="DaemonEventKind.PathChanged"/> and <see cref="DaemonEventKind.IceSelected"/>:
/// whether the new path avoids the relay; null for the other kinds.</param>
public sealed record DaemonEvent(DateTimeOffset Time, string Host, DaemonEventKind Kind, string Text, bool? Direct);
