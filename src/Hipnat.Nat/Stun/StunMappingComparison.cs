using System.Net;

namespace Hipnat.Nat.Stun;

/// <summary>
/// Compares the XOR-MAPPED-ADDRESS that several servers (or one server on two ports) reported for the same local
/// socket (RFC 4787 §4.1): equal addresses mean an endpoint-independent mapping, different ones a
/// destination-dependent mapping, which defeats server-reflexive candidates (the question `hipnat netcheck` asks).
/// A reflexive address that is one of the host's own addresses, with the socket's port, means there is no NAT.
/// </summary>
public static class StunMappingComparison
{
    /// <summary>
    /// The coarse verdict of <see cref="Analyze"/>: <see cref="NatMappingBehavior.AddressDependent"/> and
    /// <see cref="NatMappingBehavior.AddressAndPortDependent"/> are reported as <see cref="NatMappingBehavior.DestinationDependent"/>.
    /// </summary>
    public static NatMappingBehavior Classify(IEnumerable<StunBindingResult> results, IPEndPoint? localEndPoint = null)
    {
        var behavior = Analyze(
            results.Select(r => (r.Server, r.Succeeded ? r.MappedAddress : null)),
            localEndPoint).Behavior;
        return behavior is NatMappingBehavior.AddressDependent or NatMappingBehavior.AddressAndPortDependent
            ? NatMappingBehavior.DestinationDependent
            : behavior;
    }

    /// <summary>
    /// Classifies the mapping from (server, reflexive address or null when it did not answer) pairs, all from one
    /// local socket bound to <paramref name="localEndPoint"/>. When the socket is bound to a wildcard address,
    /// <paramref name="localAddresses"/> (the host's interface addresses) tell whether a reflexive address is local.
    /// </summary>
    /// <remarks>
    /// Pairs of servers are compared two ways (RFC 4787 §4.1): two ports of one server address (does the mapping
    /// depend on the destination port?) and two server addresses (does it depend on the destination address?).
    /// With only one server address asked, an endpoint-independent verdict cannot exclude address-dependent mapping;
    /// with only different addresses asked, a changing mapping cannot be told apart as address- or
    /// address-and-port-dependent (<see cref="NatMappingBehavior.DestinationDependent"/>).
    /// </remarks>
    public static StunMappingVerdict Analyze(
        IEnumerable<(IPEndPoint Server, IPEndPoint? Reflexive)> observations,
        IPEndPoint? localEndPoint = null,
        IReadOnlyCollection<IPAddress>? localAddresses = null)
    {
        // One observation per destination: the first answer from each server.
        var answered = new List<(IPEndPoint Server, IPEndPoint Reflexive)>();
        foreach (var (server, reflexive) in observations)
        {
            if (reflexive is null)
            {
                continue;
            }

            var s = Normalize(server);
            if (!answered.Any(a => a.Server.Equals(s)))
            {
                answered.Add((s, Normalize(reflexive)));
            }
        }

        var distinct = answered.Select(a => a.Reflexive).Distinct().ToList();
        int addresses = answered.Select(a => a.Server.Address).Distinct().Count();
        if (answered.Count == 0)
        {
            return new StunMappingVerdict(NatMappingBehavior.Unknown, distinct, 0, 0, null, null);
        }

        if (localEndPoint is not null && distinct.All(r => IsLocal(r, Normalize(localEndPoint), localAddresses)))
        {
            return new StunMappingVerdict(NatMappingBehavior.NoNat, distinct, answered.Count, addresses, false, answered.Count > addresses ? false : null);
        }

        bool? byAddress = null, byPort = null;
        for (int i = 0; i < answered.Count; i++)
        {
            for (int j = i + 1; j < answered.Count; j++)
            {
                bool differs = !answered[i].Reflexive.Equals(answered[j].Reflexive);
                if (answered[i].Server.Address.Equals(answered[j].Server.Address))
                {
                    byPort = (byPort ?? false) || differs;
                }
                else
                {
                    byAddress = (byAddress ?? false) || differs;
                }
            }
        }

        var behavior = (byAddress, byPort) switch
        {
            (null, null) => NatMappingBehavior.Unknown,
            (_, true) => NatMappingBehavior.AddressAndPortDependent,
            (true, false) => NatMappingBehavior.AddressDependent,
            (true, null) => NatMappingBehavior.DestinationDependent,
            _ => NatMappingBehavior.EndpointIndependent,
        };
        return new StunMappingVerdict(behavior, distinct, answered.Count, addresses, byAddress, byPort);
    }

    private static bool IsLocal(IPEndPoint reflexive, IPEndPoint local, IReadOnlyCollection<IPAddress>? localAddresses)
    {
        if (reflexive.Port != local.Port)
        {
            return false;
        }

        if (local.Address.Equals(IPAddress.Any) || local.Address.Equals(IPAddress.IPv6Any))
        {
            return localAddresses is not null && localAddresses.Any(a => Normalize(a).Equals(reflexive.Address));
        }

        return local.Address.Equals(reflexive.Address);
    }

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private static IPEndPoint Normalize(IPEndPoint endPoint) => endPoint.Address.IsIPv4MappedToIPv6
        ? new IPEndPoint(endPoint.Address.MapToIPv4(), endPoint.Port)
        : endPoint;
}
