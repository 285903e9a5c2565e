using Hipnat.Wire;
using Hipnat.Wire.Parameters;

namespace Hipnat.Core.Registration;

/// <summary>
/// Server side of the registration extension (RFC 8003): which services this host offers in REG_INFO, for how
/// long, and who may register. Closed by default: only HITs on the allow-list register unless
/// <see cref="AllowAnyone"/> is set (RFC 8003 §3.3: a registrar SHOULD reject unknown hosts).
/// </summary>
public sealed class RegistrarOptions
{
    /// <summary>Services offered (RFC 8004 RENDEZVOUS = 1, RFC 9028 RELAY_UDP_HIP = 2, RELAY_UDP_ESP = 3).</summary>
    public IReadOnlyList<RegistrationType> Services { get; init; } = [RegistrationType.Rendezvous, RegistrationType.RelayUdpHip];

    public TimeSpan MinLifetime { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan MaxLifetime { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Grant any authenticated HIT. Off unless configured.</summary>
    public bool AllowAnyone { get; init; }

    /// <summary>HITs allowed per service; a HIT listed under <c>null</c>-keyed... use <see cref="AllowedForAll"/> for all services.</summary>
    public IReadOnlyDictionary<RegistrationType, IReadOnlySet<Hit>> Allowed { get; init; } = new Dictionary<RegistrationType, IReadOnlySet<Hit>>();

    /// <summary>HITs allowed for every offered service.</summary>
    public IReadOnlySet<Hit> AllowedForAll { get; init; } = new HashSet<Hit>();

    /// <summary>Address on which relayed ports are opened; defaults to the address registrations arrive on.</summary>
    public System.Net.IPAddress? DataRelayAddress { get; init; }

    /// <summary>UDP ports from which RELAY_UDP_ESP relayed addresses are allocated, one per client (RFC 9028 §7.5).</summary>
    public int DataRelayPortMin { get; init; } = 40000;

    public int DataRelayPortMax { get; init; } = 49999;

    /// <summary>Permission lifetime (RFC 9028 §4.12.1: five minutes).</summary>
    public TimeSpan PermissionLifetime { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Bound on permissions per client.</summary>
    public int MaxPermissionsPerClient { get; init; } = 64;

    /// <summary>Bound on registered clients; beyond it requests fail with "insufficient resources".</summary>
    public int MaxClients { get; init; } = 100_000;

    /// <summary>I1s relayed towards one client per second (token bucket), beyond which they are dropped and counted.</summary>
    public double RelayedI1PerSecond { get; init; } = 20;

    public int RelayedI1Burst { get; init; } = 40;

    /// <summary>Control packets of any type relayed per second for one client, towards it and from it (token
    /// bucket, on top of the I1 limit), beyond which they are dropped and counted as RelayRateLimited.</summary>
    public double RelayedControlPerSecond { get; init; } = 200;

    public int RelayedControlBurst { get; init; } = 400;

    public bool IsAllowed(Hit client, RegistrationType type) =>
        AllowAnyone || AllowedForAll.Contains(client) || (Allowed.TryGetValue(type, out var set) && set.Contains(client));
}
