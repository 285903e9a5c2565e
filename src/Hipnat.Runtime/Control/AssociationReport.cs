namespace Hipnat.Runtime.Control;

/// <summary>One host association as "status" reports it.</summary>
public sealed class AssociationReport
{
    public string PeerHit { get; set; } = string.Empty;

    /// <summary>RFC 7401 §4.4.1 state name: UNASSOCIATED, I1-SENT, I2-SENT, R2-SENT, ESTABLISHED, CLOSING, CLOSED, E-FAILED.</summary>
    public string State { get; set; } = string.Empty;

    public bool Initiator { get; set; }

    public string? LocalAddress { get; set; }

    public string? PeerAddress { get; set; }

    /// <summary>Seconds since ESTABLISHED, if it was reached.</summary>
    public double? EstablishedSecondsAgo { get; set; }

    public double LastSeenSecondsAgo { get; set; }

    public List<string> PeerLocators { get; set; } = [];

    public string DhGroup { get; set; } = string.Empty;

    public string Cipher { get; set; } = string.Empty;

    public string HitSuite { get; set; } = string.Empty;

    public int EspSuite { get; set; }

    public List<SaReport> SecurityAssociations { get; set; } = [];

    public List<LocatorPairReport> LocatorPairs { get; set; } = [];

    /// <summary>The last handover (ours or the peer's); null if there has been none.</summary>
    public HandoverReport? LastHandover { get; set; }

    /// <summary>The last failover to a standby pair, or failback; null if there has been none.</summary>
    public FailoverReport? LastFailover { get; set; }

    /// <summary>How traffic flows: "direct", "relay" (through a relay) or null before there is an active pair.</summary>
    public string? ActivePath { get; set; }

    /// <summary>The relay's address when <see cref="ActivePath"/> is "relay": the control relay, the data relay our
    /// ESP goes to, or the peer's relayed address at its data relay.</summary>
    public string? RelayAddress { get; set; }

    /// <summary>True when the active pair goes through a data relay (a relayed ICE candidate, RFC 9028 §4.12).</summary>
    public bool ViaDataRelay { get; set; }

    /// <summary>True when the active pair's local address is one of our TURN relayed addresses (RFC 8656); <see cref="RelayAddress"/> is then the TURN server.</summary>
    public bool ViaTurn { get; set; }

    /// <summary>ICE connectivity checks and the selected pair; null when the association does not run ICE
    /// (UDP-ENCAPSULATION, raw HIP, or before the base exchange completes).</summary>
    public IceReport? Ice { get; set; }
}
