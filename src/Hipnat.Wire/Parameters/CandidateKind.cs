namespace Hipnat.Wire.Parameters;

/// <summary>Kind of a transport-address locator, i.e. the ICE candidate type (RFC 9028 §5.7 Table 2).</summary>
public enum CandidateKind : byte
{
    Host = 0,
    ServerReflexive = 1,

    /// <summary>Peer reflexive (currently unused in locators).</summary>
    PeerReflexive = 2,
    Relayed = 3,
}
