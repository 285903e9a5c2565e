namespace Hipnat.Lab;

/// <summary>One echo reply ping printed.</summary>
/// <param name="Sequence">The echo's icmp_seq, unwrapped past 65535 (the first request is 1).</param>
/// <param name="ReceivedAt">ping's <c>-D</c> timestamp of the reply (CLOCK_REALTIME, the clock of <see cref="DateTimeOffset.UtcNow"/>).</param>
/// <param name="RoundTripTime">The round-trip time ping measured, when it printed one.</param>
public readonly record struct PingReply(int Sequence, DateTimeOffset ReceivedAt, TimeSpan? RoundTripTime);
