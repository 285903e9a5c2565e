namespace Hipnat.Runtime.Control;

/// <summary>The ESP data plane as "status" reports it (absent when the daemon runs without a TUN device).</summary>
public sealed class DataPlaneReport
{
    /// <summary>TUN interface name, e.g. "hip0".</summary>
    public string Device { get; set; } = string.Empty;

    public int Mtu { get; set; }

    /// <summary>Queues of the TUN device, each with its reader thread.</summary>
    public int Queues { get; set; } = 1;

    /// <summary>Offloads the kernel granted (e.g. "Checksum, Tso4, Tso6"), or "none" (a plain device).</summary>
    public string Offloads { get; set; } = "none";

    /// <summary>This host's LSI.</summary>
    public string LocalLsi { get; set; } = string.Empty;

    /// <summary>The LSI network, e.g. "198.18.0.0/16".</summary>
    public string LsiNetwork { get; set; } = string.Empty;

    public long PacketsOut { get; set; }

    public long BytesOut { get; set; }

    public long PacketsIn { get; set; }

    public long BytesIn { get; set; }

    /// <summary>Packets waiting for a base exchange right now.</summary>
    public int Queued { get; set; }

    /// <summary>Base exchanges started by a packet from an application.</summary>
    public long OnDemandConnects { get; set; }

    /// <summary>Drops by reason (only reasons that occurred).</summary>
    public Dictionary<string, long> Drops { get; set; } = [];

    public List<DataPlanePeerReport> Peers { get; set; } = [];
}

/// <summary>One peer of the data plane: its HIT, the LSI this host gave it, the route and its SA pairs.</summary>
public sealed class DataPlanePeerReport
{
    public string Hit { get; set; } = string.Empty;

    public string Lsi { get; set; } = string.Empty;

    /// <summary>Local locator ESP leaves from.</summary>
    public string? Local { get; set; }

    /// <summary>Peer locator ESP goes to.</summary>
    public string? Peer { get; set; }

    /// <summary>True when the locator pair goes through a relay.</summary>
    public bool Relayed { get; set; }

    public List<EspSaReport> SecurityAssociations { get; set; } = [];
}

/// <summary>One installed ESP SA pair with its traffic.</summary>
public sealed class EspSaReport
{
    /// <summary>Inbound SPI, 8 hex digits.</summary>
    public string InboundSpi { get; set; } = string.Empty;

    public string OutboundSpi { get; set; } = string.Empty;

    /// <summary>Transform name, e.g. "AES-128-GCM-16".</summary>
    public string Transform { get; set; } = string.Empty;

    /// <summary>True for the pair outbound traffic uses; false for a pair kept after a rekey until its grace period ends.</summary>
    public bool Active { get; set; }

    public long PacketsIn { get; set; }

    public long BytesIn { get; set; }

    public long PacketsOut { get; set; }

    public long BytesOut { get; set; }

    public long ReplayDrops { get; set; }

    public long IcvDrops { get; set; }

    /// <summary>Other inbound drops of this SA (padding, dummy packets).</summary>
    public long OtherDrops { get; set; }

    /// <summary>Seconds since a packet was last sealed or opened (since installation if none).</summary>
    public double LastUseSecondsAgo { get; set; }

    public double AgeSeconds { get; set; }

    /// <summary>For a multihoming lane: the path its packets take (null: the peer's route).</summary>
    public string? Path { get; set; }

    /// <summary>For a multihoming lane under load-balance: the share of flows it gets, in percent (null otherwise).</summary>
    public double? SharePercent { get; set; }
}
