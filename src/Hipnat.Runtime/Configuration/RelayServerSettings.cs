using Hipnat.Core.Transport;
using Hipnat.Wire;
using Hipnat.Wire.Parameters;

namespace Hipnat.Runtime.Configuration;

/// <summary>
/// A relay (registrar) this host registers with at start-up (<c>hipnat run --relay HIT=ADDR:PORT</c>, config
/// "relays"): its HIT, where it is, the services to ask for and the registration lifetime to request.
/// </summary>
public sealed class RelayServerSettings
{
    /// <summary>Registration lifetime asked for when none is given (RFC 8003 §3.2: the registrar may shorten it).</summary>
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromMinutes(10);

    public const double MinLifetimeSeconds = 10;

    public const double MaxLifetimeSeconds = 604800;

    public RelayServerSettings(Hit hit, TransportAddress address)
    {
        Hit = hit;
        Address = address;
    }

    public Hit Hit { get; }

    /// <summary>The relay's HIP port (UDP).</summary>
    public TransportAddress Address { get; }

    /// <summary>Services to register for; default RELAY_UDP_HIP.</summary>
    public List<RegistrationType> Services { get; } = [RegistrationType.RelayUdpHip];

    /// <summary>
    /// Whether to also ask for the data relay (RELAY_UDP_ESP) when the relay offers it, though <see cref="Services"/>
    /// does not name it: on by default, so an association has a data path whatever NATs lie between the peers; ICE
    /// still prefers every direct pair. Config <c>relays[].relayEspIfOffered</c>, flag <c>--no-relay-esp</c>.
    /// </summary>
    public bool RelayEspIfOffered { get; set; } = true;

    /// <summary>The services asked for only if the relay offers them.</summary>
    public IReadOnlyList<RegistrationType> OptionalServices =>
        RelayEspIfOffered && Services.Contains(RegistrationType.RelayUdpHip) && !Services.Contains(RegistrationType.RelayUdpEsp)
            ? [RegistrationType.RelayUdpEsp]
            : [];

    /// <summary>Lifetime to request; the core renews the registration before it runs out.</summary>
    public TimeSpan Lifetime { get; set; } = DefaultLifetime;

    public override string ToString() =>
        $"{Hit}={Address} ({string.Join(",", Services.Select(SettingParsers.ServiceName).Concat(OptionalServices.Select(t => SettingParsers.ServiceName(t) + " if offered")))})";
}
