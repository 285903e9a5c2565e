using System.Net;

namespace Hipnat.Simulator;

/// <summary>One NAT binding between an internal endpoint and an external endpoint.</summary>
public sealed class NatMapping
{
    private HashSet<IPAddress>? _permittedAddresses;
    private HashSet<SimEndpoint>? _permittedEndpoints;

    internal NatMapping(long id, NatMappingKey key, SimEndpoint external, TimeSpan now, TimeSpan timeout, TimeSpan? unrepliedTimeout = null, bool singleFlow = false)
    {
        Id = id;
        Timeout = timeout;
        UnrepliedTimeout = unrepliedTimeout ?? timeout;
        Replied = unrepliedTimeout is null;
        IsSingleFlow = singleFlow;
        Key = key;
        External = external;
        CreatedAt = now;
        LastRefreshed = now;
    }

    /// <summary>Creation order within its NAT.</summary>
    public long Id { get; }

    /// <summary>The inside endpoint.</summary>
    public SimEndpoint Internal => Key.Internal;

    /// <summary>The public endpoint the NAT uses for it.</summary>
    public SimEndpoint External { get; }

    /// <summary>The destination address the mapping is bound to (address-dependent mappings), else null.</summary>
    public IPAddress? RemoteAddress => Key.RemoteAddress;

    /// <summary>The destination port the mapping is bound to (address-and-port-dependent mappings), else null.</summary>
    public int? RemotePort => Key.RemotePort < 0 ? null : Key.RemotePort;

    public TimeSpan CreatedAt { get; }

    /// <summary>Last time traffic refreshed the mapping.</summary>
    public TimeSpan LastRefreshed { get; internal set; }

    /// <summary>Idle time after which it expires once it has been answered.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>Idle time after which it expires while no inbound packet has passed it (same as
    /// <see cref="Timeout"/> unless the NAT keeps unsolicited state, as Linux conntrack does).</summary>
    public TimeSpan UnrepliedTimeout { get; }

    /// <summary>Whether an inbound packet has passed through it (or the NAT does not distinguish).</summary>
    public bool Replied { get; internal set; }

    /// <summary>
    /// A mapping for one flow (internal endpoint, remote endpoint) that the NAT moved to another external port because
    /// its usual one collided with an unsolicited inbound entry (<see cref="NatBehavior.KeepsUnsolicitedState"/>);
    /// it only accepts packets from that remote endpoint.
    /// </summary>
    public bool IsSingleFlow { get; }

    /// <summary>When it expires unless refreshed first.</summary>
    public TimeSpan ExpiresAt => LastRefreshed + (Replied ? Timeout : UnrepliedTimeout);

    /// <summary>Packets translated outbound through it.</summary>
    public long PacketsOut { get; internal set; }

    /// <summary>Packets translated inbound through it.</summary>
    public long PacketsIn { get; internal set; }

    internal NatMappingKey Key { get; }

    internal bool IsExpired(TimeSpan now) => now >= ExpiresAt;

    internal void Permit(FilteringBehavior filtering, SimEndpoint remote)
    {
        switch (IsSingleFlow ? FilteringBehavior.AddressAndPortDependent : filtering)
        {
            case FilteringBehavior.AddressDependent:
                (_permittedAddresses ??= []).Add(remote.Address);
                break;
            case FilteringBehavior.AddressAndPortDependent:
                (_permittedEndpoints ??= []).Add(remote);
                break;
        }
    }

    internal bool Allows(FilteringBehavior filtering, SimEndpoint remote) => (IsSingleFlow ? FilteringBehavior.AddressAndPortDependent : filtering) switch
    {
        FilteringBehavior.EndpointIndependent => true,
        FilteringBehavior.AddressDependent => _permittedAddresses?.Contains(remote.Address) == true,
        _ => _permittedEndpoints?.Contains(remote) == true,
    };

    public override string ToString() => $"{Internal} <=> {External}";
}
