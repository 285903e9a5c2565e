namespace Hipnat.Simulator;

/// <summary>RFC 4787 section 4.1: when a NAT reuses an external mapping for an internal endpoint.</summary>
public enum MappingBehavior
{
    /// <summary>One mapping per internal endpoint, whatever the destination (REQ-1).</summary>
    EndpointIndependent,

    /// <summary>One mapping per internal endpoint and destination address.</summary>
    AddressDependent,

    /// <summary>One mapping per internal endpoint and destination endpoint ("symmetric" NAT).</summary>
    AddressAndPortDependent,
}
