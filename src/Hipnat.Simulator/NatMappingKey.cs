using System.Net;

namespace Hipnat.Simulator;

/// <summary>The lookup key of a NAT mapping: the internal endpoint plus as much of the remote as the mapping behaviour uses.</summary>
internal readonly record struct NatMappingKey(SimEndpoint Internal, IPAddress? RemoteAddress, int RemotePort)
{
    public static NatMappingKey For(MappingBehavior behavior, SimEndpoint inside, SimEndpoint remote) => behavior switch
    {
        MappingBehavior.EndpointIndependent => new NatMappingKey(inside, null, -1),
        MappingBehavior.AddressDependent => new NatMappingKey(inside, remote.Address, -1),
        _ => new NatMappingKey(inside, remote.Address, remote.Port),
    };
}
