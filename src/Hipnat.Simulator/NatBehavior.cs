namespace Hipnat.Simulator;

/// <summary>
/// The RFC 4787 behaviour of a <see cref="NatBox"/>. The default is endpoint-independent mapping and filtering,
/// a 120 s mapping timeout refreshed by outbound traffic, port preservation with sequential fallback, and hairpinning.
/// By default the NAT is a router with an input firewall: an unsolicited inbound packet leaves no state. With
/// <see cref="KeepsUnsolicitedState"/> it is a bare Linux host doing MASQUERADE without INPUT filtering, whose
/// connection tracking remembers unsolicited flows (see <see cref="BareLinux"/>).
/// </summary>
public sealed record NatBehavior
{
    /// <summary>Endpoint-independent mapping and filtering ("full cone").</summary>
    public static NatBehavior FullCone { get; } = new();

    /// <summary>Endpoint-independent mapping, address-dependent filtering ("restricted cone").</summary>
    public static NatBehavior RestrictedCone { get; } = new() { Filtering = FilteringBehavior.AddressDependent };

    /// <summary>Endpoint-independent mapping, address-and-port-dependent filtering ("port-restricted cone").</summary>
    public static NatBehavior PortRestrictedCone { get; } = new() { Filtering = FilteringBehavior.AddressAndPortDependent };

    /// <summary>Address-and-port-dependent mapping and filtering ("symmetric" NAT).</summary>
    public static NatBehavior Symmetric { get; } = new()
    {
        Mapping = MappingBehavior.AddressAndPortDependent,
        Filtering = FilteringBehavior.AddressAndPortDependent,
    };

    /// <summary>
    /// A bare Linux host doing plain MASQUERADE (no INPUT filtering): connection tracking gives endpoint-independent
    /// mapping with port preservation (each flow keeps the internal port unless that tuple is taken, then a random
    /// one), address-and-port-dependent filtering (a flow only accepts replies from its destination), timeouts of
    /// 30 s for an unreplied flow and 120 s once answered (nf_conntrack_udp_timeout, _stream), refreshed both ways,
    /// and it keeps state for unsolicited inbound flows (<see cref="KeepsUnsolicitedState"/>).
    /// </summary>
    public static NatBehavior BareLinux { get; } = new()
    {
        Filtering = FilteringBehavior.AddressAndPortDependent,
        PortAllocation = PortAllocation.Random,
        InboundRefresh = true,
        KeepsUnsolicitedState = true,
    };

    /// <summary>
    /// <see cref="BareLinux"/> with <c>MASQUERADE --random-fully</c>: every flow gets a random external port
    /// (address-and-port-dependent mapping, no port preservation).
    /// </summary>
    public static NatBehavior BareLinuxRandomFully { get; } = BareLinux with
    {
        Mapping = MappingBehavior.AddressAndPortDependent,
        PortPreservation = false,
    };

    public MappingBehavior Mapping { get; init; } = MappingBehavior.EndpointIndependent;

    public FilteringBehavior Filtering { get; init; } = FilteringBehavior.EndpointIndependent;

    /// <summary>Idle time after which a mapping expires (RFC 4787 REQ-5: at least 2 minutes).</summary>
    public TimeSpan MappingTimeout
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(value, TimeSpan.Zero);
            field = value;
        }
    } = TimeSpan.FromSeconds(120);

    /// <summary>
    /// Models Linux connection tracking behind MASQUERADE with no INPUT filtering (UDP). An inbound packet to a public
    /// endpoint X from a remote R that matches no mapping, or that the filtering rejects, is dropped but leaves an
    /// entry (R, X) alive for <see cref="UnsolicitedTimeout"/>, refreshed by further such packets. When an inside
    /// endpoint then sends from the mapping on X to exactly R, the translated tuple would collide with that entry, so
    /// the NAT gives this one flow (internal endpoint, R) another external port: R sees the new port, and the flow
    /// only accepts packets from R. Other destinations of the same internal endpoint keep using X, as Linux only
    /// re-picks the port of the colliding conntrack entry. A mapping that has passed no inbound packet yet also
    /// expires after <see cref="UnsolicitedTimeout"/> (an unreplied conntrack entry), then after
    /// <see cref="MappingTimeout"/>. Hairpinned packets leave no entry. Default false: a router whose input firewall
    /// drops unsolicited packets without state.
    /// </summary>
    public bool KeepsUnsolicitedState { get; init; }

    /// <summary>Lifetime of an unsolicited inbound entry and of an unreplied mapping when
    /// <see cref="KeepsUnsolicitedState"/> is set (Linux nf_conntrack_udp_timeout: 30 s).</summary>
    public TimeSpan UnsolicitedTimeout
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(value, TimeSpan.Zero);
            field = value;
        }
    } = TimeSpan.FromSeconds(30);

    /// <summary>Whether inbound packets that pass filtering also refresh the mapping (outbound always does).</summary>
    public bool InboundRefresh { get; init; }

    /// <summary>Use the internal port as the external port when it is free.</summary>
    public bool PortPreservation { get; init; } = true;

    /// <summary>Fallback port choice when the port is not preserved.</summary>
    public PortAllocation PortAllocation { get; init; } = PortAllocation.Sequential;

    /// <summary>Whether packets from the inside to one of the NAT's own public mappings are looped back.</summary>
    public bool Hairpinning { get; init; } = true;

    /// <summary>Lowest external port the NAT allocates (preserved ports outside the range are still honoured).</summary>
    public int PortRangeStart
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 65535);
            field = value;
        }
    } = 1024;

    /// <summary>Highest external port the NAT allocates.</summary>
    public int PortRangeEnd
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 65535);
            field = value;
        }
    } = 65535;
}
