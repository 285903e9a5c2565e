using System.Globalization;
using Hipnat.Core.Association;
using Hipnat.Core.Host;
using Hipnat.Core.Registration;
using Hipnat.Runtime.Configuration;
using Hipnat.Runtime.Control;
using Hipnat.Runtime.Metrics;
using Hipnat.Wire;
using Hipnat.Wire.Parameters;
using Microsoft.Extensions.Logging;

namespace Hipnat.Runtime;

/// <summary>
/// The daemon's side of registration: registering with the configured relays and keeping those registrations,
/// logging registration events of both roles, binding the data relay's relayed ports, and the metrics snapshot.
/// Everything here runs on the driver thread.
/// </summary>
public sealed partial class HipDaemon
{
    private static readonly TimeSpan InitialBackoff = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan MaintenanceInterval = TimeSpan.FromMilliseconds(500);

    private TimeSpan _nextMaintenance;

    /// <summary>Text of a REG_FAILED failure type as status and logs show it.</summary>
    public static string FailureName(RegistrationFailureType failure) => failure switch
    {
        RegistrationFailureType.AdditionalCredentialsRequired => "additional-credentials-required",
        RegistrationFailureType.TypeUnavailable => "type-unavailable",
        RegistrationFailureType.InsufficientResources => "insufficient-resources",
        RegistrationFailureType.InvalidCertificate => "invalid-certificate",
        RegistrationFailureType.BadCertificate => "bad-certificate",
        RegistrationFailureType.UnsupportedCertificate => "unsupported-certificate",
        RegistrationFailureType.CertificateExpired => "certificate-expired",
        RegistrationFailureType.CertificateOther => "certificate-other",
        RegistrationFailureType.UnknownCa => "unknown-ca",
        _ => ((int)failure).ToString(CultureInfo.InvariantCulture),
    };

    private RelayClient? FindRelay(Hit hit)
    {
        foreach (var r in _relays)
        {
            if (r.Settings.Hit == hit)
            {
                return r;
            }
        }

        return null;
    }

    /// <summary>Registers with each configured relay when due (at start, and again after failures with backoff).</summary>
    private void MaintainRegistrations()
    {
        if (_relays.Count == 0)
        {
            return;
        }

        var now = Now;
        if (now < _nextMaintenance)
        {
            return;
        }

        _nextMaintenance = now + MaintenanceInterval;
        foreach (var relay in _relays)
        {
            var hit = relay.Settings.Hit;
            var state = _host.GetState(hit);
            if (state is AssociationState.I1Sent or AssociationState.I2Sent or AssociationState.Closing)
            {
                continue; // a base exchange (or close) with the relay is under way
            }

            var registrations = _host.GetRegistrations(hit);
            var missing = new List<RegistrationType>();
            bool waiting = false;
            foreach (var service in relay.Settings.Services)
            {
                var reg = registrations.FirstOrDefault(r => r.Type == service);
                if (reg is { State: RegistrationState.Granted } && state is AssociationState.Established or AssociationState.R2Sent)
                {
                    continue;
                }

                if (reg is { State: RegistrationState.Requested } && state is AssociationState.Established or AssociationState.R2Sent)
                {
                    waiting = true; // the REG_REQUEST is in flight
                    continue;
                }

                missing.Add(service);
            }

            // Services asked for only where the relay offers them (the data relay by default): before the relay's
            // R1 they ride along with the base exchange; afterwards only if REG_INFO listed them. One the relay
            // refused is not asked for again until the registrations start over.
            var optional = new List<RegistrationType>();
            foreach (var service in UsesIce ? relay.Settings.OptionalServices : [])
            {
                var reg = registrations.FirstOrDefault(r => r.Type == service);
                bool established = state is AssociationState.Established or AssociationState.R2Sent;
                if (reg is { State: RegistrationState.Requested } && established)
                {
                    waiting = true;
                }
                else if (reg is { State: RegistrationState.Granted or RegistrationState.Failed } && established)
                {
                    continue;
                }
                else if (!established || _host.GetOfferedServices(hit).Contains(service))
                {
                    optional.Add(service);
                }
            }

            if (missing.Count == 0 && optional.Count == 0)
            {
                relay.Backoff = InitialBackoff;
                if (!waiting)
                {
                    relay.LastError = null;
                }

                continue;
            }

            if (waiting || now < relay.NextAttempt)
            {
                continue;
            }

            if (relay.Attempts == 0)
            {
                _logger.LogInformation("registering with relay {Relay} at {Address} for {Services}, lifetime {Lifetime:0} s",
                    hit, relay.Settings.Address, Names(missing, optional), relay.Settings.Lifetime.TotalSeconds);
            }
            else
            {
                _logger.LogDebug("registering again with relay {Relay} at {Address} for {Services} (attempt {Attempt})",
                    hit, relay.Settings.Address, Names(missing, optional), relay.Attempts + 1);
            }

            relay.Attempts++;
            relay.NextAttempt = now + relay.Backoff;
            relay.Backoff = relay.Backoff * 2 > MaxBackoff ? MaxBackoff : relay.Backoff * 2;
            try
            {
                _host.Register(hit, missing, relay.Settings.Lifetime, now, optional);
            }
            catch (Exception e) when (e is InvalidOperationException or ArgumentException)
            {
                relay.LastError = $"cannot register with the relay: {e.Message}";
                _logger.LogWarning("cannot register with relay {Relay}: {Error}", hit, e.Message);
            }
        }
    }

    /// <summary>
    /// Whether this host offers an ICE mode: the data relay's relayed address is an ICE candidate (RFC 9028 §4.12), so
    /// a host limited to UDP-ENCAPSULATION, which uses no connectivity checks (§4.7.1), asks for it only when told to.
    /// </summary>
    private bool UsesIce => _host.Options.EffectiveNatTraversalModes.Any(m => m is NatTraversalMode.IceHipUdp or NatTraversalMode.IceStunUdp);

    private static string Names(List<RegistrationType> services, List<RegistrationType> ifOffered) =>
        string.Join(",", services.Select(SettingParsers.ServiceName).Concat(ifOffered.Select(t => SettingParsers.ServiceName(t) + " (if offered)")));

    private void OnRegistrationGranted(RegistrationGranted g)
    {
        var relay = FindRelay(g.Peer);
        string service = SettingParsers.ServiceName(g.Type);
        string reflexive = g.Reflexive?.ToString() ?? "unknown";
        string relayed = g.Relayed is { } ra ? $", relayed address {ra}" : string.Empty;
        bool first = relay is null || !relay.Granted.TryGetValue(g.Type, out var previous) || previous != reflexive + relayed;
        if (first)
        {
            _logger.LogInformation(
                "registered with relay {Relay} for {Service}: lifetime {Lifetime:0} s, reflexive address {Reflexive}{Relayed}",
                g.Peer, service, g.Lifetime.TotalSeconds, reflexive, relayed);
            Metrics.RegistrationEvent("client", "granted", g.Type);
        }
        else
        {
            _logger.LogDebug("registration with relay {Relay} for {Service} renewed: lifetime {Lifetime:0} s", g.Peer, service, g.Lifetime.TotalSeconds);
            Metrics.RegistrationEvent("client", "renewed", g.Type);
        }

        if (relay is not null)
        {
            relay.Granted[g.Type] = reflexive + relayed;
            relay.Refusals.Remove(g.Type);
            relay.LastError = null;
        }
    }

    private void OnRegistrationRefused(RegistrationRefused r)
    {
        var relay = FindRelay(r.Peer);
        string service = SettingParsers.ServiceName(r.Type);
        string why = r.Failure switch
        {
            RegistrationFailureType.AdditionalCredentialsRequired =>
                $"this host is not on the relay's allow-list (additional credentials required); on the relay run `hipnat relay --allow {_host.LocalHit}` (or --allow-any)",
            RegistrationFailureType.TypeUnavailable => $"the relay does not offer {service}; check its --services",
            RegistrationFailureType.InsufficientResources => "the relay is full (its --max-clients or relayed port range is used up)",
            _ => $"REG_FAILED {FailureName(r.Failure)}",
        };
        string message = $"refused by the relay: {why}";
        Metrics.RegistrationEvent("client", "refused", r.Type);
        if (relay is null || !relay.Refusals.TryGetValue(r.Type, out var before) || before != r.Failure)
        {
            _logger.LogWarning("relay {Relay} refused {Service}: {Why}", r.Peer, service, why);
        }
        else
        {
            _logger.LogDebug("relay {Relay} refused {Service} again: {Why}", r.Peer, service, why);
        }

        if (relay is not null)
        {
            relay.Refusals[r.Type] = r.Failure;
            relay.Granted.Remove(r.Type);
            relay.LastError = message;
        }
    }

    private void OnRelayedPortChanged(RelayedPortChanged p)
    {
        if (p.Open)
        {
            if (_relayedPorts is null)
            {
                _logger.LogError("relayed port {Relayed} for client {Client} cannot be opened: no UDP transport", p.Relayed, p.Peer);
                return;
            }

            if (_relayedPorts.OpenRelayedPort(p.Relayed, out var error))
            {
                _logger.LogInformation("relayed port {Relayed} opened for client {Client}", p.Relayed, p.Peer);
            }
            else
            {
                _logger.LogError("relayed port {Relayed} for client {Client} could not be bound: {Error}; that client's data relay will not work until it registers again",
                    p.Relayed, p.Peer, error);
            }
        }
        else
        {
            _relayedPorts?.CloseRelayedPort(p.Relayed);
            _logger.LogInformation("relayed port {Relayed} of client {Client} closed", p.Relayed, p.Peer);
        }
    }

    /// <summary>Advice appended to a failed connect when the locator tried is (or may be) a relay.</summary>
    private string RelayHint(Hit peer, AssociationState state)
    {
        if (state != AssociationState.I1Sent)
        {
            return string.Empty;
        }

        var locators = _host.GetPeerLocators(peer);
        foreach (var l in locators)
        {
            foreach (var relay in _relays)
            {
                if (relay.Settings.Address == l)
                {
                    return $"; {l} is the relay {relay.Settings.Hit}, which forwards only to hosts registered with it: " +
                        $"check that {peer} runs with --relay {relay.Settings.Hit}={l} and that the relay's `hipnat status` lists it";
                }
            }

            foreach (var a in _host.GetAssociations())
            {
                if (a.PeerAddress == l && _host.GetRegistrations(a.PeerHit).Count > 0)
                {
                    return $"; {l} is the relay {a.PeerHit}, which forwards only to hosts registered with it: check that {peer} is registered there";
                }
            }
        }

        return $"; if {string.Join(", ", locators)} is a relay, {peer} must be registered with it (its `hipnat status` shows its registrations) — a relay silently drops packets for unregistered hosts";
    }

    private MetricsSnapshot BuildMetricsSnapshot()
    {
        var now = Now;
        var c = _host.Counters;
        var drops = new long[MetricsSnapshot.DropReasons.Length];
        for (int i = 0; i < drops.Length; i++)
        {
            drops[i] = c.Dropped(MetricsSnapshot.DropReasons[i]);
        }

        var byState = new int[MetricsSnapshot.States.Length];
        foreach (var a in _host.GetAssociations())
        {
            int i = Array.IndexOf(MetricsSnapshot.States, a.State);
            if (i >= 0)
            {
                byState[i]++;
            }
        }

        var client = new int[MetricsSnapshot.Services.Length];
        foreach (var r in _host.Registrations)
        {
            int i = Array.IndexOf(MetricsSnapshot.Services, r.Type);
            if (i >= 0 && r.State == RegistrationState.Granted)
            {
                client[i]++;
            }
        }

        var server = new int[MetricsSnapshot.Services.Length];
        foreach (var reg in _host.RegisteredClients)
        {
            foreach (var (type, expires) in reg.Services)
            {
                int i = Array.IndexOf(MetricsSnapshot.Services, type);
                if (i >= 0 && expires > now)
                {
                    server[i]++;
                }
            }
        }

        return new MetricsSnapshot
        {
            PacketsIn = c.PacketsIn,
            PacketsOut = c.PacketsOut,
            Retransmissions = c.Retransmissions,
            Established = c.Established,
            Failed = c.Failed,
            RelayedControl = c.Relayed,
            EspRelayed = c.EspRelayed,
            EspRelayedBytes = c.EspRelayedBytes,
            KeepalivesSent = c.KeepalivesSent,
            StunAnswered = c.StunAnswered,
            ProbesSent = c.ProbesSent,
            PuzzleDifficulty = c.PuzzleDifficulty,
            I2Received = c.I2Received,
            I2DhComputations = c.I2DhComputations,
            TurnControlPacketsOut = _turnTable?.ControlPacketsOut ?? 0,
            TurnControlPacketsIn = _turnTable?.ControlPacketsIn ?? 0,
            TurnEspPacketsOut = _turnTable?.EspPacketsOut ?? 0,
            TurnEspPacketsIn = _turnTable?.EspPacketsIn ?? 0,
            TurnBytesOut = _turnTable?.BytesOut ?? 0,
            TurnBytesIn = _turnTable?.BytesIn ?? 0,
            TurnAllocations = _turnServers.Count(s => s.Route is not null),
            Drops = drops,
            QueueDropped = _inbox.Dropped,
            TransportBadChecksum = _transports.Sum(t => t.Counters.BadChecksum),
            TransportMalformed = _transports.Sum(t => t.Counters.Malformed),
            TransportReceived = _transports.Sum(t => t.Counters.Received),
            TransportSent = _transports.Sum(t => t.Counters.Sent),
            TransportSendErrors = _transports.Sum(t => t.Counters.SendErrors),
            TransportReceiveErrors = _transports.Sum(t => t.Counters.ReceiveErrors),
            AssociationsByState = byState,
            ClientRegistrations = client,
            ServerRegistrations = server,
            RegisteredClients = _host.RegisteredClients.Count,
            RelayedPortsOpen = _relayedPorts?.RelayedPortCount ?? 0,
            UptimeSeconds = Math.Round(now.TotalSeconds, 3),
        };
    }

    private static string StateName(RegistrationState state) => state switch
    {
        RegistrationState.Requested => "requested",
        RegistrationState.Granted => "granted",
        RegistrationState.Failed => "refused",
        RegistrationState.Expired => "expired",
        RegistrationState.Cancelled => "cancelled",
        _ => state.ToString().ToLowerInvariant(),
    };

    /// <summary>Our registrations (client side): every one the core tracks, plus configured services not yet asked for.</summary>
    private List<RegistrationReport> BuildRegistrationReports(TimeSpan now)
    {
        var list = new List<RegistrationReport>();
        foreach (var reg in _host.Registrations.OrderBy(r => r.Registrar).ThenBy(r => r.Type))
        {
            var relay = FindRelay(reg.Registrar);
            var assoc = _host.GetState(reg.Registrar);
            bool live = assoc is AssociationState.Established or AssociationState.R2Sent;
            string state = StateName(reg.State);
            string? error = relay?.LastError;
            if (!live && reg.State is RegistrationState.Granted or RegistrationState.Requested)
            {
                // The association with the registrar is gone (failed, closing): the registration is being set up again.
                state = "pending";
                error ??= $"the association with the relay is {AssociationStateNames.Of(assoc)}; registering again";
            }

            if (reg.State == RegistrationState.Failed && reg.Failure is { } f && error is null)
            {
                error = $"refused by the relay: {FailureName(f)}";
            }

            bool granted = state == "granted";
            list.Add(new RegistrationReport
            {
                RegistrarHit = reg.Registrar.ToString(),
                RegistrarAddress = relay?.Settings.Address.ToString() ?? _host.GetAssociation(reg.Registrar)?.PeerAddress?.ToString(),
                Service = SettingParsers.ServiceName(reg.Type),
                State = state,
                Failure = reg.State == RegistrationState.Failed && reg.Failure is { } failure ? FailureName(failure) : null,
                LastError = granted ? null : error,
                LifetimeSeconds = granted ? Math.Round(reg.Lifetime.TotalSeconds, 3) : null,
                ExpiresInSeconds = granted && reg.ExpiresAt != TimeSpan.MaxValue ? Math.Round(Math.Max(0, (reg.ExpiresAt - now).TotalSeconds), 3) : null,
                ReflexiveAddress = reg.ReflexiveAddress?.ToString(),
                RelayedAddress = reg.RelayedAddress?.ToString(),
            });
        }

        foreach (var relay in _relays)
        {
            foreach (var service in relay.Settings.Services)
            {
                string name = SettingParsers.ServiceName(service);
                string hit = relay.Settings.Hit.ToString();
                if (list.Exists(r => r.RegistrarHit == hit && r.Service == name))
                {
                    continue;
                }

                list.Add(new RegistrationReport
                {
                    RegistrarHit = hit,
                    RegistrarAddress = relay.Settings.Address.ToString(),
                    Service = name,
                    State = "pending",
                    LastError = relay.LastError,
                });
            }
        }

        return list;
    }

    /// <summary>The registrar side; null when the daemon offers no services.</summary>
    private RegistrarReport? BuildRegistrarReport(TimeSpan now)
    {
        if (_host.Options.Registrar is not { } o)
        {
            return null;
        }

        var report = new RegistrarReport
        {
            Services = o.Services.Select(SettingParsers.ServiceName).ToList(),
            AllowAny = o.AllowAnyone,
            Allowed = o.AllowedForAll.Select(h => h.ToString()).Order(StringComparer.Ordinal).ToList(),
            RelayAddress = o.DataRelayAddress?.ToString(),
            RelayPorts = $"{o.DataRelayPortMin}-{o.DataRelayPortMax}",
            MaxClients = o.MaxClients,
            LifetimeMinSeconds = o.MinLifetime.TotalSeconds,
            LifetimeMaxSeconds = o.MaxLifetime.TotalSeconds,
            RelayedPortsOpen = _relayedPorts?.RelayedPortCount ?? 0,
        };
        foreach (var (service, hits) in o.Allowed)
        {
            foreach (var hit in hits)
            {
                report.Allowed.Add($"{hit} ({SettingParsers.ServiceName(service)})");
            }
        }

        foreach (var c in _host.RegisteredClients.OrderBy(c => c.Client))
        {
            var perms = c.ByOutboundSpi.Values.ToList();
            report.Clients.Add(new RegisteredClientReport
            {
                ClientHit = c.Client.ToString(),
                ClientAddress = c.ClientAddress.ToString(),
                LocalAddress = c.LocalAddress.ToString(),
                Services = c.Services.OrderBy(kv => kv.Key).Select(kv => new ServiceExpiryReport
                {
                    Service = SettingParsers.ServiceName(kv.Key),
                    ExpiresInSeconds = Math.Round(Math.Max(0, (kv.Value - now).TotalSeconds), 3),
                }).ToList(),
                RelayedAddress = c.RelayedAddress?.ToString(),
                RelayedPackets = c.RelayedPackets,
                RelayedBytes = c.RelayedBytes,
                EspPackets = perms.Sum(p => p.PacketsToClient + p.PacketsToPeer),
                EspBytes = perms.Sum(p => p.Bytes),
                Permissions = perms.Select(p => new PermissionReport
                {
                    Peer = p.Peer.ToString(),
                    OutboundSpi = p.OutboundSpi.ToString("x8", CultureInfo.InvariantCulture),
                    InboundSpi = p.InboundSpi.ToString("x8", CultureInfo.InvariantCulture),
                    ExpiresInSeconds = Math.Round(Math.Max(0, (p.ExpiresAt - now).TotalSeconds), 3),
                    PacketsToClient = p.PacketsToClient,
                    PacketsToPeer = p.PacketsToPeer,
                    Bytes = p.Bytes,
                }).ToList(),
            });
        }

        return report;
    }

    /// <summary>A configured relay and how registering with it is going.</summary>
    private sealed class RelayClient(RelayServerSettings settings)
    {
        public RelayServerSettings Settings { get; set; } = settings;

        public TimeSpan NextAttempt { get; set; }

        public TimeSpan Backoff { get; set; } = InitialBackoff;

        public int Attempts { get; set; }

        public string? LastError { get; set; }

        /// <summary>Granted services and the addresses last logged for them (to log changes, not renewals).</summary>
        public Dictionary<RegistrationType, string> Granted { get; } = [];

        /// <summary>The last refusal per service (to log a refusal once, not at every retry).</summary>
        public Dictionary<RegistrationType, RegistrationFailureType> Refusals { get; } = [];
    }
}
