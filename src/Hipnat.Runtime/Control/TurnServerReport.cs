namespace Hipnat.Runtime.Control;

/// <summary>One configured TURN server and our allocation there (a relayed ICE candidate, RFC 8656).</summary>
public sealed class TurnServerReport
{
    public string Server { get; set; } = string.Empty;

    public string Username { get; set; } = string.Empty;

    /// <summary>Our HIP socket the allocation is made from.</summary>
    public string? Local { get; set; }

    /// <summary>"idle", "allocating", "allocated", "deallocating", "failed" or "closed".</summary>
    public string State { get; set; } = string.Empty;

    /// <summary>The relayed transport address (our relayed candidate) while allocated.</summary>
    public string? Relayed { get; set; }

    /// <summary>Our address as the server saw it (XOR-MAPPED-ADDRESS).</summary>
    public string? Mapped { get; set; }

    public double? LifetimeSeconds { get; set; }

    public double? ExpiresInSeconds { get; set; }

    public double? AllocatedSecondsAgo { get; set; }

    /// <summary>Peer IP addresses with an installed permission.</summary>
    public List<string> Permissions { get; set; } = [];

    /// <summary>Bound channels: "0x4000 ADDR:PORT".</summary>
    public List<string> Channels { get; set; } = [];

    /// <summary>Allocations made since start, and how many failed or were lost.</summary>
    public int Allocations { get; set; }

    public int Failures { get; set; }

    public string? LastError { get; set; }

    /// <summary>Seconds until the next Allocate attempt while there is no allocation.</summary>
    public double? NextAttemptInSeconds { get; set; }
}
