namespace Hipnat.Simulator;

/// <summary>
/// The RFC 4787 behaviour of a <see cref="NatBox"/>. The default is endpoint-independent mapping and filtering,
/// a 120 s mapping timeout refreshed by outbound traffic, port preservation with sequential fallback, and hairpinning.
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
