namespace Hipnat.Lab;

/// <summary>A stretch of a ping run during which one path carried the traffic (e.g. "relay", "direct via nat2").</summary>
/// <param name="Label">The path's name in the plot's legend; ranges with the same label share a colour.</param>
/// <param name="From">Start of the stretch (UTC, the clock of <see cref="PingMark"/>).</param>
/// <param name="To">End of the stretch.</param>
public readonly record struct HandoverPath(string Label, DateTimeOffset From, DateTimeOffset To)
{
    /// <summary>True when <paramref name="instant"/> lies in [<see cref="From"/>, <see cref="To"/>).</summary>
    public bool Contains(DateTimeOffset instant) => instant >= From && instant < To;
}
