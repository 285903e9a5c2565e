namespace Hipnat.Nat.Stun;

/// <summary>What Binding results from one local socket to several servers say about the NAT mapping (RFC 4787 §4.1).</summary>
public enum NatMappingBehavior
{
    /// <summary>Fewer than two successful results: nothing to compare.</summary>
    Unknown,

    /// <summary>The reflexive address equals the local address: no NAT on the path.</summary>
    NoNat,

    /// <summary>Every server saw the same reflexive transport address: the mapping does not depend on the destination.</summary>
    EndpointIndependent,

    /// <summary>
    /// Servers saw different reflexive addresses: the mapping depends on the destination (a "symmetric" NAT), and the
    /// servers asked cannot tell whether the address alone or the address and port matter.
    /// </summary>
    DestinationDependent,

    /// <summary>
    /// The mapping changes with the destination address but not with the destination port: two ports of one server saw
    /// the same reflexive address, two server addresses different ones (RFC 4787 §4.1 "address-dependent mapping").
    /// </summary>
    AddressDependent,

    /// <summary>
    /// The mapping changes even between two ports of one server address (RFC 4787 §4.1 "address and port-dependent
    /// mapping", the classic symmetric NAT; Linux <c>MASQUERADE --random-fully</c>).
    /// </summary>
    AddressAndPortDependent,
}
