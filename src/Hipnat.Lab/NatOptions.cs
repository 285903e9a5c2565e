namespace Hipnat.Lab;

/// <summary>The RFC 4787 behaviour of a <see cref="LabNat"/>; changeable at run time with <see cref="LabNat.Reconfigure"/>.</summary>
public sealed record NatOptions
{
    /// <summary>Mapping behaviour (default endpoint-independent).</summary>
    public NatMapping Mapping { get; init; } = NatMapping.EndpointIndependent;

    /// <summary>Filtering behaviour (default address-and-port-dependent, Linux's own).</summary>
    public NatFiltering Filtering { get; init; } = NatFiltering.AddressAndPortDependent;

    /// <summary>
    /// Hairpinning (RFC 4787 §6): an inside host sending to the public address reaches the
    /// <see cref="LabNat.ExposedHost"/> with the sender's public address as source. Off: such packets are dropped.
    /// </summary>
    public bool Hairpinning { get; init; }

    /// <summary>
    /// True (default): router-like — unsolicited packets from the outside addressed to the NAT itself are dropped in
    /// the filter INPUT chain, before conntrack confirms an entry for them (pings are answered). False: a bare Linux
    /// host doing MASQUERADE — no INPUT filtering, the kernel answers ICMP port unreachable and conntrack keeps an
    /// (unreplied) entry for the inbound flow, so a later outbound flow from an inside host to that same remote
    /// address and port, from the same port, finds its port-preserving tuple taken and gets another external port.
    /// Combines with any mapping and filtering.
    /// </summary>
    public bool InputFirewall { get; init; } = true;

    /// <summary>conntrack's timeout of a UDP flow that has seen no reply yet (Linux default 30 s).</summary>
    public TimeSpan UdpTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>conntrack's timeout of a UDP flow that has seen traffic both ways — the mapping lifetime (Linux default 120 s).</summary>
    public TimeSpan UdpStreamTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>How long an address an inside host sent to stays allowed under <see cref="NatFiltering.AddressDependent"/>.</summary>
    public TimeSpan FilteringTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>EIM + APDF ("port-restricted cone"): plain MASQUERADE. The default.</summary>
    public static NatOptions PortRestrictedCone { get; } = new();

    /// <summary>EIM + ADF ("restricted cone").</summary>
    public static NatOptions RestrictedCone { get; } = new() { Filtering = NatFiltering.AddressDependent };

    /// <summary>EIM + EIF ("full cone").</summary>
    public static NatOptions FullCone { get; } = new() { Filtering = NatFiltering.EndpointIndependent };

    /// <summary>APDM + APDF ("symmetric"): MASQUERADE --random-fully.</summary>
    public static NatOptions Symmetric { get; } = new() { Mapping = NatMapping.AddressAndPortDependent };

    internal void Validate()
    {
        if (Mapping == NatMapping.AddressAndPortDependent && (Filtering != NatFiltering.AddressAndPortDependent || Hairpinning))
        {
            throw new NotSupportedException(
                "the lab emulates endpoint-independent/address-dependent filtering and hairpinning by DNAT to the inside host with the port kept, " +
                "which needs endpoint-independent (port-preserving) mapping; --random-fully mappings cannot be reversed by iptables");
        }

        if (UdpTimeout <= TimeSpan.Zero || UdpStreamTimeout <= TimeSpan.Zero || FilteringTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(UdpTimeout), "timeouts must be positive");
        }
    }
}
