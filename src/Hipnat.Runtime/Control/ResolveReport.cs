namespace Hipnat.Runtime.Control;

/// <summary>A peer name resolved by the daemon: its HIT and the locators the core now knows for it.</summary>
public sealed class ResolveReport
{
    public string Name { get; set; } = string.Empty;

    public string Hit { get; set; } = string.Empty;

    /// <summary>The locators: the relays' (rendezvous servers') addresses, or the peer's own.</summary>
    public List<string> Locators { get; set; } = [];

    /// <summary>"DNS" or "names file PATH line N".</summary>
    public string Source { get; set; } = string.Empty;

    /// <summary>The rendezvous servers of the HIP record, most preferred first (DNS only).</summary>
    public List<string> RendezvousServers { get; set; } = [];

    /// <summary>Seconds until the answer is fetched again; null: from the names file, no expiry.</summary>
    public double? TtlSeconds { get; set; }
}
