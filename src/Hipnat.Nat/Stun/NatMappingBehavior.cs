namespace Hipnat.Nat.Stun;

/// <summary>What Binding results from one local socket to several servers say about the NAT mapping.</summary>
public enum NatMappingBehavior
{
    /// <summary>Fewer than two successful results: nothing to compare.</summary>
    Unknown,

    /// <summary>The reflexive address equals the local address: no NAT on the path.</summary>
    NoNat,

    /// <summary>Every server saw the same reflexive transport address: the mapping does not depend on the destination.</summary>
    EndpointIndependent,

    /// <summary>Servers saw different reflexive addresses: the mapping depends on the destination (a "symmetric" NAT).</summary>
    DestinationDependent,
}
