namespace Hipnat.Lab;

/// <summary>RFC 4787 §5 filtering behaviour of a <see cref="LabNat"/> for UDP.</summary>
public enum NatFiltering
{
    /// <summary>
    /// Address-and-port-dependent filtering: Linux conntrack's own behaviour. Only packets matching an existing
    /// connection's reply tuple (exact remote address and port) are translated; everything else unsolicited on the
    /// outside is dropped.
    /// </summary>
    AddressAndPortDependent = 0,

    /// <summary>
    /// Address-dependent filtering, emulated: the NAT records every remote address its inside hosts send to
    /// (xt_recent, for <see cref="NatOptions.FilteringTimeout"/>); a new inbound UDP flow from such an address to the
    /// public address is DNATed, port kept, to the <see cref="LabNat.ExposedHost"/>.
    /// </summary>
    AddressDependent = 1,

    /// <summary>
    /// Endpoint-independent filtering, emulated: every new inbound UDP flow to the public address is DNATed, port kept,
    /// to the <see cref="LabNat.ExposedHost"/>.
    /// </summary>
    EndpointIndependent = 2,
}
