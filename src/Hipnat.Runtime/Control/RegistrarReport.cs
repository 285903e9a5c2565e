namespace Hipnat.Runtime.Control;

/// <summary>The registrar side of the daemon (present when it offers services, e.g. <c>hipnat relay</c>).</summary>
public sealed class RegistrarReport
{
    /// <summary>Offered services: "rendezvous", "relay-hip", "relay-esp".</summary>
    public List<string> Services { get; set; } = [];

    /// <summary>Open registration (--allow-any).</summary>
    public bool AllowAny { get; set; }

    /// <summary>HITs allowed every service (--allow).</summary>
    public List<string> Allowed { get; set; } = [];

    /// <summary>Address of the relayed ports (RELAY_UDP_ESP).</summary>
    public string? RelayAddress { get; set; }

    /// <summary>Relayed port range, "MIN-MAX".</summary>
    public string RelayPorts { get; set; } = string.Empty;

    public int MaxClients { get; set; }

    public double LifetimeMinSeconds { get; set; }

    public double LifetimeMaxSeconds { get; set; }

    /// <summary>Relayed UDP ports bound right now.</summary>
    public int RelayedPortsOpen { get; set; }

    public List<RegisteredClientReport> Clients { get; set; } = [];
}

/// <summary>One registered client of the registrar.</summary>
public sealed class RegisteredClientReport
{
    public string ClientHit { get; set; } = string.Empty;

    /// <summary>The client's address as we see it (its server-reflexive address).</summary>
    public string ClientAddress { get; set; } = string.Empty;

    /// <summary>Our address the client registered on.</summary>
    public string LocalAddress { get; set; } = string.Empty;

    public List<ServiceExpiryReport> Services { get; set; } = [];

    /// <summary>RELAY_UDP_ESP: the relayed address opened for the client.</summary>
    public string? RelayedAddress { get; set; }

    /// <summary>HIP control packets relayed to and from the client.</summary>
    public long RelayedPackets { get; set; }

    public long RelayedBytes { get; set; }

    /// <summary>ESP packets and octets relayed for the client (sum over its permissions).</summary>
    public long EspPackets { get; set; }

    public long EspBytes { get; set; }

    public List<PermissionReport> Permissions { get; set; } = [];
}

/// <summary>A granted service and when it runs out.</summary>
public sealed class ServiceExpiryReport
{
    public string Service { get; set; } = string.Empty;

    public double ExpiresInSeconds { get; set; }
}

/// <summary>A data-relay permission (PEER_PERMISSION, RFC 9028 §4.12.1).</summary>
public sealed class PermissionReport
{
    public string Peer { get; set; } = string.Empty;

    public string OutboundSpi { get; set; } = string.Empty;

    public string InboundSpi { get; set; } = string.Empty;

    public double ExpiresInSeconds { get; set; }

    public long PacketsToClient { get; set; }

    public long PacketsToPeer { get; set; }

    public long Bytes { get; set; }
}
