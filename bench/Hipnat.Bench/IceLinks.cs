namespace Hipnat.Bench;

/// <summary>Link settings of an ICE scenario: every hop's one-way delay (plus uniform jitter in [0, Jitter]).</summary>
/// <param name="LanDelay">Host ↔ its NAT (or, without a NAT, the host's own access link to the public realm).</param>
/// <param name="NatDelay">The NAT box itself (applied once per crossing, either direction).</param>
/// <param name="PublicDelay">Each attachment on the public realm (relay; NAT public side adds none).</param>
internal sealed record IceLinks(TimeSpan LanDelay, TimeSpan NatDelay, TimeSpan PublicDelay, TimeSpan Jitter)
{
    public static IceLinks Matrix { get; } = new(TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(5), TimeSpan.FromMilliseconds(5));

    /// <summary>50 ms one way per NAT hop, nothing elsewhere: host—NAT 0, NAT 50 ms, public 0.</summary>
    public static IceLinks FiftyPerNat { get; } = new(TimeSpan.Zero, TimeSpan.FromMilliseconds(50), TimeSpan.Zero, TimeSpan.Zero);

    public string Describe() =>
        $"host–NAT link {Ms(LanDelay)}, NAT hop {Ms(NatDelay)}, public attachment {Ms(PublicDelay)} one way" + (Jitter > TimeSpan.Zero ? $", each link + uniform jitter 0–{Ms(Jitter)}" : ", no jitter");

    private static string Ms(TimeSpan t) => $"{t.TotalMilliseconds:0.#} ms";
}
