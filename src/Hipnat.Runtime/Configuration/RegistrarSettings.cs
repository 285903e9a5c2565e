using System.Net;
using Hipnat.Core.Registration;
using Hipnat.Wire;
using Hipnat.Wire.Parameters;

namespace Hipnat.Runtime.Configuration;

/// <summary>
/// What this host offers as a registrar (<c>hipnat relay</c>, config "registrar"): services, who may register,
/// lifetimes, the data relay's address and port range, and the bounds on per-client state.
/// </summary>
public sealed class RegistrarSettings
{
    public const int DefaultRelayPortMin = 40000;
    public const int DefaultRelayPortMax = 49999;
    public const int DefaultMaxClients = 100_000;

    /// <summary>Services offered in REG_INFO; default all three.</summary>
    public List<RegistrationType> Services { get; set; } = [RegistrationType.Rendezvous, RegistrationType.RelayUdpHip, RegistrationType.RelayUdpEsp];

    /// <summary>Grant any authenticated HIT (open registration). Off by default.</summary>
    public bool AllowAny { get; set; }

    /// <summary>HITs allowed every offered service.</summary>
    public HashSet<Hit> Allow { get; } = [];

    /// <summary>HITs allowed only some services.</summary>
    public Dictionary<RegistrationType, HashSet<Hit>> AllowByService { get; } = [];

    /// <summary>Address of the relayed ports (RELAY_UDP_ESP); null = the first concrete listen address.</summary>
    public IPAddress? RelayAddress { get; set; }

    public int RelayPortMin { get; set; } = DefaultRelayPortMin;

    public int RelayPortMax { get; set; } = DefaultRelayPortMax;

    public int MaxClients { get; set; } = DefaultMaxClients;

    public TimeSpan LifetimeMin { get; set; } = TimeSpan.FromSeconds(10);

    public TimeSpan LifetimeMax { get; set; } = TimeSpan.FromHours(1);

    public double? RelayedI1PerSecond { get; set; }

    public int? RelayedI1Burst { get; set; }

    public int? MaxPermissionsPerClient { get; set; }

    /// <summary>True when nobody can register: not open, and no HIT on any allow-list.</summary>
    public bool IsClosed => !AllowAny && Allow.Count == 0 && AllowByService.Values.All(s => s.Count == 0);

    public void AllowFor(Hit hit, IEnumerable<RegistrationType> services)
    {
        foreach (var s in services)
        {
            if (!AllowByService.TryGetValue(s, out var set))
            {
                AllowByService[s] = set = [];
            }

            set.Add(hit);
        }
    }

    /// <summary>The core's registrar options; <paramref name="relayAddress"/> is the resolved relayed-port address.</summary>
    public RegistrarOptions ToOptions(IPAddress? relayAddress)
    {
        var d = new RegistrarOptions();
        return new RegistrarOptions
        {
            Services = Services.Distinct().ToArray(),
            AllowAnyone = AllowAny,
            AllowedForAll = new HashSet<Hit>(Allow),
            Allowed = AllowByService.ToDictionary(kv => kv.Key, kv => (IReadOnlySet<Hit>)new HashSet<Hit>(kv.Value)),
            MinLifetime = LifetimeMin,
            MaxLifetime = LifetimeMax,
            DataRelayAddress = relayAddress,
            DataRelayPortMin = RelayPortMin,
            DataRelayPortMax = RelayPortMax,
            MaxClients = MaxClients,
            RelayedI1PerSecond = RelayedI1PerSecond ?? d.RelayedI1PerSecond,
            RelayedI1Burst = RelayedI1Burst ?? d.RelayedI1Burst,
            MaxPermissionsPerClient = MaxPermissionsPerClient ?? d.MaxPermissionsPerClient,
            PermissionLifetime = d.PermissionLifetime,
        };
    }
}
