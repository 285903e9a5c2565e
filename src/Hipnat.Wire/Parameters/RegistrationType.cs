namespace Hipnat.Wire.Parameters;

/// <summary>Registration Types carried in REG_INFO/REG_REQUEST/REG_RESPONSE/REG_FAILED (RFC 8003 §7).</summary>
public enum RegistrationType : byte
{
    /// <summary>Rendezvous service (RFC 8004 §4.1).</summary>
    Rendezvous = 1,

    /// <summary>Control Relay Server: relaying of UDP-encapsulated HIP control packets (RFC 5770 §5.9, RFC 9028 §5.9).</summary>
    RelayUdpHip = 2,

    /// <summary>Data Relay Server: relaying of UDP-encapsulated ESP (RFC 9028 §5.9).</summary>
    RelayUdpEsp = 3,

    /// <summary>Server-reflexive candidate discovery (RFC 9028 §4.2, §8).</summary>
    CandidateDiscovery = 4,
}
