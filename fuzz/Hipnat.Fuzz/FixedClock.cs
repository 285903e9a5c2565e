namespace Hipnat.Fuzz;

/// <summary>A clock that stands still, so that runs do not depend on when they happen.</summary>
public sealed class FixedClock : TimeProvider
{
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => 1_000_000_000;
}
