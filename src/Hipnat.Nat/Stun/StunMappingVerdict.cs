using System.Net;

namespace Hipnat.Nat.Stun;

/// <summary>
/// What <see cref="StunMappingComparison.Analyze"/> concluded from the reflexive addresses one local socket got from
/// several servers: the RFC 4787 §4.1 mapping behaviour and the evidence for it.
/// </summary>
/// <param name="Behavior">The mapping behaviour.</param>
/// <param name="Reflexive">The distinct reflexive transport addresses seen, in the order of the servers.</param>
/// <param name="Destinations">How many distinct servers (address and port) answered.</param>
/// <param name="DestinationAddresses">How many distinct server addresses answered.</param>
/// <param name="VariesByAddress">Two server addresses saw different reflexive addresses (null: no such pair was compared).</param>
/// <param name="VariesByPort">Two ports of one server address saw different reflexive addresses (null: no such pair was compared).</param>
public sealed record StunMappingVerdict(
    NatMappingBehavior Behavior,
    IReadOnlyList<IPEndPoint> Reflexive,
    int Destinations,
    int DestinationAddresses,
    bool? VariesByAddress,
    bool? VariesByPort)
{
    /// <summary>True when the reflexive address shows a NAT (or another address-translating middlebox) on the path; null when nothing answered.</summary>
    public bool? BehindNat => Behavior switch
    {
        NatMappingBehavior.NoNat => false,
        _ when Reflexive.Count == 0 => null,
        _ => true,
    };

    /// <summary>The mapping was seen to depend on the destination.</summary>
    public bool DependsOnDestination => Behavior is NatMappingBehavior.DestinationDependent or NatMappingBehavior.AddressDependent or NatMappingBehavior.AddressAndPortDependent;
}
