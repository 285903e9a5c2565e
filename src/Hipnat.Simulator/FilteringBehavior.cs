namespace Hipnat.Simulator;

/// <summary>RFC 4787 section 5: which inbound packets a NAT lets through an existing mapping.</summary>
public enum FilteringBehavior
{
    /// <summary>Any external endpoint may send through the mapping.</summary>
    EndpointIndependent,

    /// <summary>Only addresses the internal endpoint has sent to through the mapping.</summary>
    AddressDependent,

    /// <summary>Only endpoints (address and port) the internal endpoint has sent to through the mapping.</summary>
    AddressAndPortDependent,
}
