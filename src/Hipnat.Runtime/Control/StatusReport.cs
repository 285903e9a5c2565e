namespace Hipnat.Runtime.Control;

/// <summary>The daemon's state as "status" reports it.</summary>
public sealed class StatusReport
{
    public string LocalHit { get; set; } = string.Empty;

    /// <summary>Host identity algorithm, e.g. "EcdsaP256".</summary>
    public string HostIdentity { get; set; } = string.Empty;

    /// <summary>"udp" or "raw".</summary>
    public string Transport { get; set; } = string.Empty;

    public List<string> Listen { get; set; } = [];

    public double UptimeSeconds { get; set; }

    public int ProcessId { get; set; }

    public CountersReport Counters { get; set; } = new();

    public List<PeerReport> Peers { get; set; } = [];

    public List<AssociationReport> Associations { get; set; } = [];

    /// <summary>Our registrations with relays (client side), including configured relays still pending.</summary>
    public List<RegistrationReport> Registrations { get; set; } = [];

    /// <summary>The registrar side; null when this daemon offers no services.</summary>
    public RegistrarReport? Registrar { get; set; }

    /// <summary>The Prometheus endpoint, e.g. "http://127.0.0.1:9464/metrics"; null when off.</summary>
    public string? MetricsUrl { get; set; }

    /// <summary>NAT traversal modes offered in R1 / chosen from in I2, in preference order ("ice-hip-udp", ...).</summary>
    public List<string> NatTraversalModes { get; set; } = [];

    /// <summary>Our ICE candidates as offered to peers now (after the ice.candidates policy).</summary>
    public List<IceCandidateReport> IceCandidates { get; set; } = [];

    /// <summary>Configured STUN servers and the server-reflexive addresses they reported.</summary>
    public List<StunServerReport> StunServers { get; set; } = [];

    /// <summary>Configured TURN servers and our allocations there (relayed candidates).</summary>
    public List<TurnServerReport> TurnServers { get; set; } = [];

    /// <summary>The ESP data plane (TUN interface, LSIs, SA traffic); null when the daemon runs without one.</summary>
    public DataPlaneReport? DataPlane { get; set; }

    /// <summary>The local DNS responder; null when it is off.</summary>
    public DnsResponderReport? DnsResponder { get; set; }
}
