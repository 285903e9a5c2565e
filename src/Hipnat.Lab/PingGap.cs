namespace Hipnat.Lab;

/// <summary>A stretch of a ping run without replies.</summary>
/// <param name="From">The reply (or instant) the gap starts at.</param>
/// <param name="To">The first reply after it.</param>
public readonly record struct PingGap(DateTimeOffset From, DateTimeOffset To)
{
    /// <summary>How long no reply came.</summary>
    public TimeSpan Duration => To - From;

    /// <inheritdoc />
    public override string ToString() => $"{Duration.TotalMilliseconds:0} ms ({From:HH:mm:ss.fff} to {To:HH:mm:ss.fff})";
}
