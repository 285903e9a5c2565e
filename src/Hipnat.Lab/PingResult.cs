using System.Net;

namespace Hipnat.Lab;

/// <summary>The outcome of <see cref="LabHost.Ping"/>.</summary>
/// <param name="Destination">The address pinged.</param>
/// <param name="Sent">Echo requests sent.</param>
/// <param name="RoundTripTimes">One entry per reply received.</param>
public sealed record PingResult(IPAddress Destination, int Sent, IReadOnlyList<TimeSpan> RoundTripTimes)
{
    /// <summary>Echo replies received.</summary>
    public int Received => RoundTripTimes.Count;

    /// <summary>True when every request got its reply.</summary>
    public bool AllReceived => Received == Sent;

    /// <summary>True when at least one reply came back.</summary>
    public bool Reachable => Received > 0;

    /// <inheritdoc />
    public override string ToString() => $"ping {Destination}: {Received}/{Sent} replies";
}
