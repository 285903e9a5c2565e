using System.Net;

namespace Hipnat.Nat.Stun;

/// <summary>
/// Compares the XOR-MAPPED-ADDRESS that several servers (or one server on two ports) reported for the same local
/// socket: equal addresses mean an endpoint-independent mapping, different ones a destination-dependent mapping,
/// which defeats server-reflexive candidates (the question `hipnat netcheck` asks).
/// </summary>
public static class StunMappingComparison
{
    public static NatMappingBehavior Classify(IEnumerable<StunBindingResult> results, IPEndPoint? localEndPoint = null)
    {
        var mapped = results.Where(r => r.Succeeded && r.MappedAddress is not null).Select(r => Normalize(r.MappedAddress!)).ToList();
        if (mapped.Count == 0)
        {
            return NatMappingBehavior.Unknown;
        }

        if (localEndPoint is not null && !localEndPoint.Address.Equals(IPAddress.Any) && !localEndPoint.Address.Equals(IPAddress.IPv6Any)
            && mapped.All(m => m.Equals(Normalize(localEndPoint))))
        {
            return NatMappingBehavior.NoNat;
        }

        if (mapped.Count < 2)
        {
            return NatMappingBehavior.Unknown;
        }

        return mapped.Distinct().Count() == 1 ? NatMappingBehavior.EndpointIndependent : NatMappingBehavior.DestinationDependent;
    }

    private static IPEndPoint Normalize(IPEndPoint endPoint) => endPoint.Address.IsIPv4MappedToIPv6
        ? new IPEndPoint(endPoint.Address.MapToIPv4(), endPoint.Port)
        : endPoint;
}
