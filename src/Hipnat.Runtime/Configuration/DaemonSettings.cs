using System.Net;
using Hipnat.Core.Transport;
using Hipnat.Wire;
using Microsoft.Extensions.Logging;

namespace Hipnat.Runtime.Configuration;

/// <summary>Everything <c>hipnat run</c> needs: the config file's values with command-line flags applied on top.</summary>
public sealed class DaemonSettings
{
    /// <summary>PKCS#8 PEM file with the host identity's private key.</summary>
    public string? KeyFile { get; set; }

    /// <summary>Addresses to listen on; empty = the defaults of <see cref="Transport"/>.</summary>
    public List<TransportAddress> Listen { get; } = [];

    /// <summary>Known peers: HIT → locators.</summary>
    public Dictionary<Hit, List<TransportAddress>> Peers { get; } = [];

    /// <summary>
    /// Peers named by host name instead of HIT (config "peers" keys that are names, --peer NAME): resolved through
    /// the names file and the DNS once the daemon runs, and again when their records expire.
    /// </summary>
    public List<string> PeerNames { get; } = [];

    /// <summary>The names file (config "namesFile"); null: <see cref="Names.NamesFile.DefaultPath"/> if it exists.</summary>
    public string? NamesFile { get; set; }

    /// <summary>DNS servers for peer names (config "dns").</summary>
    public Names.DnsSettings Dns { get; set; } = new();

    /// <summary>The local DNS responder (config "dnsResponder", --dns-responder); off by default.</summary>
    public Names.DnsResponderSettings DnsResponder { get; set; } = new();

    public TransportMode Transport { get; set; } = TransportMode.Udp;

    public LogLevel LogLevel { get; set; } = LogLevel.Information;

    /// <summary>Control socket path; null = <see cref="Control.ControlSocketPath.Default"/>.</summary>
    public string? ControlSocket { get; set; }

    /// <summary>
    /// A group (name or gid) whose members may use the control socket besides root and the daemon's user (config
    /// "controlGroup", --control-group). Null: nobody else.
    /// </summary>
    public string? ControlGroup { get; set; }

    public ProtocolSettings Protocol { get; set; } = new();

    /// <summary>How log lines are written (config "logFormat", --log-format).</summary>
    public LogFormat LogFormat { get; set; } = LogFormat.Simple;

    /// <summary>Relays to register with at start-up (config "relays", --relay).</summary>
    public List<RelayServerSettings> Relays { get; } = [];

    /// <summary>Registrar services this daemon offers (config "registrar"; always set by <c>hipnat relay</c>). Null: none.</summary>
    public RegistrarSettings? Registrar { get; set; }

    /// <summary>STUN servers for server-reflexive candidates (config "stunServers").</summary>
    public List<TransportAddress> StunServers { get; } = [];

    /// <summary>TURN servers with credentials (config "turnServers").</summary>
    public List<TurnServerSettings> TurnServers { get; } = [];

    /// <summary>Prometheus endpoint (config "metrics", --metrics). Null: no endpoint.</summary>
    public IPEndPoint? Metrics { get; set; }

    /// <summary>The ESP data plane's TUN interface (config "tun", --tun).</summary>
    public DataPlane.DataPlaneSettings Tun { get; set; } = new();

    /// <summary>ICE policy: candidate types, interfaces, pacing, nomination (config "ice", --ice-* flags).</summary>
    public IceSettings Ice { get; set; } = new();

    /// <summary>Following the host's addresses at run time (config "mobility").</summary>
    public MobilitySettings Mobility { get; set; } = new();

    /// <summary>Simultaneous multihoming policy (config "multihoming", --multihoming).</summary>
    public MultihomingSettings Multihoming { get; set; } = new();

    public void AddPeer(Hit peer, TransportAddress locator)
    {
        if (!Peers.TryGetValue(peer, out var list))
        {
            Peers[peer] = list = [];
        }

        if (!list.Contains(locator))
        {
            list.Add(locator);
        }
    }

    /// <summary>Adds a peer named by host name (normalized; a name given twice is kept once).</summary>
    public void AddPeerName(string name)
    {
        if (!PeerNames.Contains(name))
        {
            PeerNames.Add(name);
        }
    }

    /// <summary>Adds a relay, replacing an earlier entry for the same HIT.</summary>
    public void AddRelay(RelayServerSettings relay)
    {
        ArgumentNullException.ThrowIfNull(relay);
        Relays.RemoveAll(r => r.Hit == relay.Hit);
        Relays.Add(relay);
    }

    /// <summary>
    /// Checks what only the combination of keys and flags can get wrong. Throws <see cref="ConfigException"/>
    /// naming both the flag and the config key.
    /// </summary>
    public void Validate()
    {
        if (Protocol.NatTraversalModes is { } modes && Registrar is not null && modes.Any(m => m != Wire.Parameters.NatTraversalMode.UdpEncapsulation))
        {
            throw new ConfigException(
                "--nat-modes / config protocol.natTraversalModes: a relay offers only udp-encapsulation (RFC 9028 §4.3: connectivity checks run between the hosts, not with their relay); drop the ICE modes when offering registrar services");
        }

        if (Transport == TransportMode.Raw && Protocol.NatTraversalModes is { } rawModes && rawModes.Any(m => m != Wire.Parameters.NatTraversalMode.UdpEncapsulation))
        {
            throw new ConfigException(
                "--nat-modes / config protocol.natTraversalModes: ICE (ice-hip-udp, ice-stun-udp) needs HIP over UDP; drop --raw or set \"transport\": \"udp\"");
        }

        if (Transport == TransportMode.Raw && Relays.Count > 0)
        {
            throw new ConfigException(
                $"--relay / config \"relays\" ({Relays[0].Hit}) needs HIP over UDP: relays forward UDP-encapsulated HIP (RFC 9028); drop --raw or set \"transport\": \"udp\"");
        }

        if (DnsResponder.Enabled && Tun.Enabled == false)
        {
            throw new ConfigException(
                "--dns-responder / config dnsResponder: the DNS responder answers with HITs and LSIs, which only the ESP data plane carries; drop --tun off (config tun.enabled false) or turn the responder off");
        }

        if (Registrar is { } r)
        {
            if (Transport == TransportMode.Raw)
            {
                throw new ConfigException("a relay serves HIP over UDP (RFC 9028): drop --raw or set \"transport\": \"udp\" when offering registrar services");
            }

            if (r.Services.Contains(Wire.Parameters.RegistrationType.RelayUdpEsp))
            {
                foreach (var l in Listen)
                {
                    if (l.Kind == TransportKind.Udp && l.Port >= r.RelayPortMin && l.Port <= r.RelayPortMax)
                    {
                        string without = l.Port - r.RelayPortMin >= r.RelayPortMax - l.Port
                            ? $"{r.RelayPortMin}-{l.Port - 1}"
                            : $"{l.Port + 1}-{r.RelayPortMax}";
                        throw new ConfigException(
                            $"--relay-ports / config registrar.relayPorts {r.RelayPortMin}-{r.RelayPortMax} includes the listen port {l.Port} ({l}); choose a range without it, e.g. {without}");
                    }
                }

                if (Listen.Count == 0 && TransportAddress.DefaultHipPort >= r.RelayPortMin && TransportAddress.DefaultHipPort <= r.RelayPortMax)
                {
                    throw new ConfigException(
                        $"--relay-ports / config registrar.relayPorts {r.RelayPortMin}-{r.RelayPortMax} includes the default HIP port {TransportAddress.DefaultHipPort}; choose a range without it, e.g. 40000-49999");
                }
            }

            if (r.LifetimeMin > r.LifetimeMax)
            {
                throw new ConfigException(
                    $"--lifetime-max {r.LifetimeMax.TotalSeconds} s is below --lifetime-min {r.LifetimeMin.TotalSeconds} s (config registrar.lifetimeMaxSeconds / lifetimeMinSeconds); make the maximum at least the minimum");
            }
        }
    }
}
