namespace Hipnat.Runtime.Control;

/// <summary>ICE state of one host association as "status" reports it (RFC 9028 §4.6, RFC 5770 §4.6).</summary>
public sealed class IceReport
{
    /// <summary>"ice-hip-udp" (checks are HIP UPDATEs) or "ice-stun-udp" (checks are STUN Binding requests).</summary>
    public string Mode { get; set; } = string.Empty;

    /// <summary>"controlling" (the Initiator, which nominates) or "controlled".</summary>
    public string Role { get; set; } = string.Empty;

    /// <summary>"checking", "selected" (a pair carries traffic, nomination not yet confirmed),
    /// "completed" (both sides agree on the selected pair) or "failed" (every pair failed).</summary>
    public string State { get; set; } = string.Empty;

    /// <summary>The selected pair, "TYPE LOCAL -> TYPE REMOTE".</summary>
    public string? Selected { get; set; }

    /// <summary>Why it was selected (e.g. nominated, highest-priority working pair; or relay fallback).</summary>
    public string? SelectedReason { get; set; }

    /// <summary>"direct" or "relay" (a relayed candidate: through a data relay), for the selected pair.</summary>
    public string? SelectedPath { get; set; }

    public double? SelectedSecondsAgo { get; set; }

    public double StartedSecondsAgo { get; set; }

    public bool Concluded { get; set; }

    public bool Failed { get; set; }

    /// <summary>Ta, the pacing between checks, in milliseconds.</summary>
    public double PacingMs { get; set; }

    public int ChecksSent { get; set; }

    public int ChecksReceived { get; set; }

    public int ChecksRateLimited { get; set; }

    public int PairsPruned { get; set; }

    public int RemoteCandidatesDropped { get; set; }

    public List<IceCandidateReport> LocalCandidates { get; set; } = [];

    public List<IceCandidateReport> RemoteCandidates { get; set; } = [];

    /// <summary>The checklist in priority order.</summary>
    public List<IcePairReport> Pairs { get; set; } = [];
}

/// <summary>One ICE candidate (RFC 8445 §5.1).</summary>
public sealed class IceCandidateReport
{
    /// <summary>"host", "srflx", "prflx" or "relay".</summary>
    public string Type { get; set; } = string.Empty;

    public string Address { get; set; } = string.Empty;

    /// <summary>Where packets for it leave from, when that differs from <see cref="Address"/>.</summary>
    public string? Base { get; set; }

    public uint Priority { get; set; }

    /// <summary>Daemon-level list only: where the candidate came from ("interface eth0", "STUN 192.0.2.1:3478",
    /// "relay REG_FROM", "relay RELAYED_ADDRESS").</summary>
    public string? Source { get; set; }
}

/// <summary>One candidate pair of an ICE checklist.</summary>
public sealed class IcePairReport
{
    public string Local { get; set; } = string.Empty;

    public string LocalType { get; set; } = string.Empty;

    public string Remote { get; set; } = string.Empty;

    public string RemoteType { get; set; } = string.Empty;

    /// <summary>"Waiting", "InProgress", "Succeeded" or "Failed".</summary>
    public string State { get; set; } = string.Empty;

    public bool Nominated { get; set; }

    public bool Selected { get; set; }

    /// <summary>Either candidate is relayed: traffic on this pair crosses a data relay.</summary>
    public bool Relayed { get; set; }

    /// <summary>Round-trip time of the first answered check; null until one was answered.</summary>
    public double? RttMs { get; set; }

    public int ChecksSent { get; set; }

    /// <summary>Pair priority (RFC 8445 §6.1.2.3).</summary>
    public ulong Priority { get; set; }

    /// <summary>Our address as the peer saw it in the answer (MAPPED_ADDRESS / XOR-MAPPED-ADDRESS).</summary>
    public string? Mapped { get; set; }
}

/// <summary>One configured STUN server and what it told us (server-reflexive candidate gathering).</summary>
public sealed class StunServerReport
{
    public string Server { get; set; } = string.Empty;

    /// <summary>Our HIP socket the Binding request left from.</summary>
    public string? Local { get; set; }

    /// <summary>"pending", "ok" or "failed".</summary>
    public string State { get; set; } = string.Empty;

    /// <summary>The server-reflexive address it saw (XOR-MAPPED-ADDRESS).</summary>
    public string? Reflexive { get; set; }

    public double? RttMs { get; set; }

    public string? LastError { get; set; }

    /// <summary>Seconds until the next Binding request (a refresh, or a retry after a failure).</summary>
    public double? NextQueryInSeconds { get; set; }
}
