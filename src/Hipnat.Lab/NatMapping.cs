namespace Hipnat.Lab;

/// <summary>RFC 4787 §4.1 mapping behaviour of a <see cref="LabNat"/>.</summary>
public enum NatMapping
{
    /// <summary>
    /// Endpoint-independent mapping: iptables <c>MASQUERADE</c>. Linux keeps the internal source port when it is free,
    /// so one internal endpoint gets the same external address and port towards every destination (and the external
    /// port equals the internal one unless another flow already holds it).
    /// </summary>
    EndpointIndependent = 0,

    /// <summary>
    /// Address-and-port-dependent mapping ("symmetric"): <c>MASQUERADE --random-fully</c>. Every new 5-tuple gets a
    /// freshly randomized external port, so two destinations see two different ports.
    /// </summary>
    AddressAndPortDependent = 1,
}
