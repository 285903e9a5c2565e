using Hipnat.Core.Association;
using Hipnat.Core.Limits;
using Hipnat.Core.Registration;
using Hipnat.Core.Transport;
using Hipnat.Wire.Packets;
using Hipnat.Wire.Parameters;
using Hipnat.Wire;

namespace Hipnat.Core.Host;

/// <summary>
/// The registration extension (RFC 8003): REG_INFO in R1, REG_REQUEST in I2 or UPDATE, REG_RESPONSE / REG_FAILED
/// (and REG_FROM, RFC 9028 §4.1) in R2 or UPDATE, lifetimes, renewal before expiry and cancellation.
/// </summary>
public sealed partial class HipHost
{
    private const int MaxRequestedTypes = 16;

    private readonly Dictionary<Hit, ServerRegistration> _registrations = [];

    /// <summary>Registrar side: the clients currently registered.</summary>
    public IReadOnlyCollection<ServerRegistration> RegisteredClients => _registrations.Values;

    public ServerRegistration? GetRegisteredClient(Hit client) => _registrations.GetValueOrDefault(client);

    /// <summary>Client side: our registrations with <paramref name="registrar"/>.</summary>
    public IReadOnlyList<ClientRegistration> GetRegistrations(Hit registrar) =>
        _associations.TryGetValue(registrar, out var a) ? a.ClientRegistrations.ToArray() : [];

    /// <summary>Client side: the services <paramref name="registrar"/> listed in REG_INFO (empty before its R1).</summary>
    public IReadOnlyList<RegistrationType> GetOfferedServices(Hit registrar) =>
        _associations.TryGetValue(registrar, out var a) ? a.OfferedServices : [];

    /// <summary>All our registrations (client side), across registrars.</summary>
    public IEnumerable<ClientRegistration> Registrations => _associations.Values.SelectMany(a => a.ClientRegistrations);

    /// <summary>
    /// Registers for <paramref name="types"/> with <paramref name="registrar"/>: in the I2 of a new base exchange
    /// (RFC 8003 §3.2: at the earliest possibility), or in an UPDATE if an association exists. A lifetime of zero
    /// cancels (§4.1). Types in <paramref name="ifOffered"/> are asked for only if the registrar offers them.
    /// </summary>
    public void Register(Hit registrar, IReadOnlyList<RegistrationType> types, TimeSpan lifetime, TimeSpan now, IReadOnlyList<RegistrationType>? ifOffered = null)
    {
        var request = new RegistrationRequest(registrar, types, lifetime) { IfOffered = ifOffered ?? [] };
        if (_associations.TryGetValue(registrar, out var a) && a.State is AssociationState.Established or AssociationState.R2Sent)
        {
            a.PendingRegistration = request;
            TrackRequested(a, request);
            if (a.PendingUpdateId is null)
            {
                StartUpdate(registrar, now, UpdateKind.Registration, null);
            }
            else
            {
                a.RegistrationUpdateWanted = true; // RFC 7401 §6.11: one UPDATE at a time
            }

            return;
        }

        Connect(registrar, now);
        if (_associations.TryGetValue(registrar, out a))
        {
            a.PendingRegistration = request;
            TrackRequested(a, request);
        }
    }

    private static void TrackRequested(HostAssociation a, RegistrationRequest request)
    {
        foreach (var t in request.Types)
        {
            TrackRequested(a, request, t);
        }
    }

    private static void TrackRequested(HostAssociation a, RegistrationRequest request, RegistrationType t)
    {
        var reg = a.ClientRegistrations.Find(r => r.Type == t);
        if (reg is null)
        {
            reg = new ClientRegistration(request.Registrar, t);
            a.ClientRegistrations.Add(reg);
        }

        if (reg.State != RegistrationState.Granted)
        {
            reg.State = RegistrationState.Requested;
        }

        reg.RequestedLifetime = request.Lifetime;
    }

    /// <summary>Client: adds REG_REQUEST for the pending request, limited to what the registrar offered (if known).</summary>
    private void AddRegRequest(ref HipPacketBuilder b, HostAssociation a, TimeSpan now, bool inI2)
    {
        if (a.PendingRegistration is not { } req)
        {
            return;
        }

        var types = new List<RegistrationType>();
        foreach (var t in req.Types)
        {
            if (inI2 && !a.OfferedServices.Contains(t))
            {
                // Not in REG_INFO: the registrar does not offer it (RFC 8003 §3.1).
                var reg = a.ClientRegistrations.Find(r => r.Type == t);
                if (reg is not null && reg.State == RegistrationState.Requested)
                {
                    reg.State = RegistrationState.Failed;
                    reg.Failure = RegistrationFailureType.TypeUnavailable;
                    Raise(new RegistrationRefused(now, a.PeerHit, t, RegistrationFailureType.TypeUnavailable));
                }

                continue;
            }

            types.Add(t);
        }

        foreach (var t in req.IfOffered)
        {
            // Asked for only when REG_INFO (R1) listed it; otherwise left out quietly, not refused.
            if (a.OfferedServices.Contains(t) && !types.Contains(t))
            {
                types.Add(t);
                TrackRequested(a, req, t);
            }
        }

        if (types.Count > 0)
        {
            b.Add(new RegRequestParameter(RegistrationLifetime.FromTimeSpan(req.Lifetime), types.ToArray()));
        }
    }

    /// <summary>Registrar: evaluates REG_REQUEST of an authenticated I2 or UPDATE and adds the answer to the reply.</summary>
    private void AnswerRegRequest(HipPacket packet, HostAssociation a, TransportAddress local, TransportAddress remote, TimeSpan now, ref HipPacketBuilder b)
    {
        var opts = _options.Registrar;
        if (!packet.TryGet<RegRequestParameter>(out var req))
        {
            return;
        }

        if (req.Types.Length > MaxRequestedTypes)
        {
            // Four registration types exist (RFC 8003, 8004, 9028); a request for hundreds is not processed.
            Drop(DropReason.Malformed, $"REG_REQUEST from {a.PeerHit} lists {req.Types.Length} types (at most {MaxRequestedTypes} processed): ignored");
            return;
        }

        var granted = new List<RegistrationType>();
        var unavailable = new List<RegistrationType>();
        var denied = new List<RegistrationType>();
        var noResources = new List<RegistrationType>();
        var lifetime = RegistrationLifetime.ToTimeSpan(req.Lifetime);
        bool cancel = req.Lifetime == RegistrationLifetime.Cancel;
        if (!cancel && opts is not null)
        {
            lifetime = lifetime < opts.MinLifetime ? opts.MinLifetime : lifetime > opts.MaxLifetime ? opts.MaxLifetime : lifetime;
        }

        _registrations.TryGetValue(a.PeerHit, out var reg);
        foreach (var t in req.Types.Distinct())
        {
            if (opts is null || !opts.Services.Contains(t))
            {
                unavailable.Add(t);
            }
            else if (cancel)
            {
                granted.Add(t);
                if (reg is not null && reg.Services.Remove(t))
                {
                    if (t == RegistrationType.RelayUdpEsp)
                    {
                        ReleaseDataRelay(reg, now);
                    }

                    Raise(new ClientUnregistered(now, a.PeerHit, t, Cancelled: true));
                }
            }
            else if (!opts.IsAllowed(a.PeerHit, t))
            {
                denied.Add(t); // RFC 8003 §3.3: Failure Type 0, additional credentials required
            }
            else if (reg is null && _registrations.Count >= opts.MaxClients)
            {
                noResources.Add(t);
            }
            else
            {
                reg ??= _registrations[a.PeerHit] = new ServerRegistration(a.PeerHit)
                {
                    RelayedI1Tokens = new TokenBucket(opts.RelayedI1Burst, now),
                    ControlTokens = new TokenBucket(opts.RelayedControlBurst, now),
                };
                if (reg.ClientAddress != remote && _espClientsByAddress.TryGetValue(reg.ClientAddress, out var old) && ReferenceEquals(old, reg))
                {
                    _espClientsByAddress.Remove(reg.ClientAddress);
                }

                reg.ClientAddress = remote;
                reg.LocalAddress = local;
                if (t == RegistrationType.RelayUdpEsp)
                {
                    if (AllocateRelayedAddress(reg, local, opts, now) is null)
                    {
                        noResources.Add(t); // RFC 9028 §4.1: "Insufficient resources"
                        continue;
                    }

                    _espClientsByAddress[remote] = reg;
                }

                reg.Services[t] = now + lifetime;
                granted.Add(t);
                Raise(new ClientRegistered(now, a.PeerHit, t, lifetime, remote));
            }
        }

        if (reg is not null && reg.Services.Count == 0)
        {
            ReleaseDataRelay(reg, now);
            _registrations.Remove(a.PeerHit);
        }

        if (granted.Count > 0)
        {
            b.Add(new RegResponseParameter(cancel ? RegistrationLifetime.Cancel : RegistrationLifetime.FromTimeSpan(lifetime), granted.ToArray()));
        }

        if (denied.Count > 0)
        {
            b.Add(new RegFailedParameter(RegistrationFailureType.AdditionalCredentialsRequired, denied.ToArray()));
            DebugLog?.Invoke($"registration of {a.PeerHit} refused for {string.Join(",", denied)}: not on the allow-list");
        }

        if (unavailable.Count > 0)
        {
            b.Add(new RegFailedParameter(RegistrationFailureType.TypeUnavailable, unavailable.ToArray()));
        }

        if (noResources.Count > 0)
        {
            b.Add(new RegFailedParameter(RegistrationFailureType.InsufficientResources, noResources.ToArray()));
        }

        // RFC 9028 §4.1: REG_FROM with the client's transport address as we observe it, and the relayed address.
        if (remote.Kind == TransportKind.Udp)
        {
            b.Add(new RegFromParameter(remote.Address, remote.Port));
        }

        if (reg is not null && granted.Contains(RegistrationType.RelayUdpEsp) && !cancel && reg.RelayedAddress is { } relayedAddress)
        {
            b.Add(new RelayedAddressParameter(relayedAddress.Address, relayedAddress.Port));
        }

        UpdateRegistrationDeadline(a, now);
    }

    /// <summary>Client: processes REG_RESPONSE / REG_FAILED / REG_FROM from an authenticated R2 or UPDATE.</summary>
    private void ProcessRegResponse(HipPacket packet, HostAssociation a, TimeSpan now)
    {
        var previousReflexive = a.ClientRegistrations.Find(r => r.ReflexiveAddress is not null)?.ReflexiveAddress;
        TransportAddress? reflexive = null;
        if (packet.TryGet<RegFromParameter>(out var from))
        {
            var ip = from.Address.IsIPv4MappedToIPv6 ? from.Address.MapToIPv4() : from.Address;
            reflexive = TransportAddress.Udp(ip, from.Port);
        }

        TransportAddress? relayedAddr = null;
        if (packet.TryGet<RelayedAddressParameter>(out var relayedParam))
        {
            relayedAddr = TransportAddress.Udp(relayedParam.Address.IsIPv4MappedToIPv6 ? relayedParam.Address.MapToIPv4() : relayedParam.Address, relayedParam.Port);
        }

        if (packet.TryGet<RegResponseParameter>(out var resp))
        {
            var lifetime = RegistrationLifetime.ToTimeSpan(resp.Lifetime);
            foreach (var t in resp.Types)
            {
                var reg = a.ClientRegistrations.Find(r => r.Type == t);
                if (reg is null)
                {
                    continue;
                }

                if (resp.Lifetime == RegistrationLifetime.Cancel)
                {
                    reg.State = RegistrationState.Cancelled;
                    reg.ExpiresAt = reg.RenewAt = TimeSpan.MaxValue;
                    Raise(new RegistrationEnded(now, a.PeerHit, t, Cancelled: true));
                    continue;
                }

                reg.State = RegistrationState.Granted;
                reg.Failure = null;
                reg.Lifetime = lifetime;
                reg.ExpiresAt = now + lifetime;
                reg.RenewAt = now + (lifetime * _options.RegistrationRenewFraction);
                reg.ReflexiveAddress = reflexive ?? reg.ReflexiveAddress;
                if (t == RegistrationType.RelayUdpEsp)
                {
                    reg.RelayedAddress = relayedAddr ?? reg.RelayedAddress;
                }

                Raise(new RegistrationGranted(now, a.PeerHit, t, lifetime, reflexive, t == RegistrationType.RelayUdpEsp ? reg.RelayedAddress : null));
            }
        }

        GatherMissingReflexive(now);

        foreach (var p in packet.Parameters)
        {
            if (p.Type == ParameterType.RegFailed && HipPacket.TryRead<RegFailedParameter>(p, out var failed, out _))
            {
                foreach (var t in failed.Types)
                {
                    var reg = a.ClientRegistrations.Find(r => r.Type == t);
                    if (reg is null)
                    {
                        continue;
                    }

                    reg.State = RegistrationState.Failed;
                    reg.Failure = failed.FailureType;
                    Raise(new RegistrationRefused(now, a.PeerHit, t, failed.FailureType));
                }
            }
        }

        if (reflexive is { } r)
        {
            foreach (var reg in a.ClientRegistrations)
            {
                reg.ReflexiveAddress = r;
            }
        }

        a.PendingRegistration = null;
        UpdateRegistrationDeadline(a, now);
        if (reflexive is { } now2 && previousReflexive is { } before && before != now2 && !_handoverRegistrars.Contains(a.PeerHit))
        {
            OnReflexiveAddressChanged(a, before, now2, now);
        }

        OnRegistrarAnswered(a, now);
    }

    private void UpdateRegistrationDeadline(HostAssociation a, TimeSpan now)
    {
        var due = TimeSpan.MaxValue;
        foreach (var reg in a.ClientRegistrations)
        {
            if (reg.State == RegistrationState.Granted)
            {
                var t = reg.RenewAt < reg.ExpiresAt ? reg.RenewAt : reg.ExpiresAt;
                due = t < due ? t : due;
                foreach (var p in reg.Permissions)
                {
                    due = p.RefreshAt < due ? p.RefreshAt : due;
                }
            }
        }

        if (_registrations.TryGetValue(a.PeerHit, out var server))
        {
            foreach (var exp in server.Services.Values)
            {
                due = exp < due ? exp : due;
            }
        }

        a.RegistrationDeadline = due;
        _ = now;
    }

    /// <summary>Renews client registrations that are due and expires what ran out (both sides).</summary>
    private void OnRegistrationTimer(HostAssociation a, TimeSpan now)
    {
        var renew = new List<RegistrationType>();
        TimeSpan lifetime = TimeSpan.Zero;
        foreach (var reg in a.ClientRegistrations)
        {
            if (reg.State != RegistrationState.Granted)
            {
                continue;
            }

            if (reg.ExpiresAt <= now)
            {
                reg.State = RegistrationState.Expired;
                Raise(new RegistrationEnded(now, a.PeerHit, reg.Type, Cancelled: false));
            }
            else if (reg.RenewAt <= now)
            {
                renew.Add(reg.Type);
                lifetime = reg.RequestedLifetime > lifetime ? reg.RequestedLifetime : lifetime;
                reg.RenewAt = reg.ExpiresAt; // one renewal attempt per period; the UPDATE retransmits itself
            }
        }

        bool refreshPermissions = false;
        foreach (var reg in a.ClientRegistrations)
        {
            for (int i = 0; i < reg.Permissions.Count; i++)
            {
                if (reg.Permissions[i].RefreshAt <= now)
                {
                    var p = reg.Permissions[i];
                    reg.Permissions[i] = (p.Peer, p.Ospi, p.Ispi, now + PermissionRefresh);
                    refreshPermissions = true;
                }
            }
        }

        if (refreshPermissions && renew.Count == 0 && a.State == AssociationState.Established && a.PendingUpdateId is null)
        {
            StartUpdate(a.PeerHit, now, UpdateKind.Permission, null);
        }

        if (renew.Count > 0 && a.State == AssociationState.Established)
        {
            a.PendingRegistration = new RegistrationRequest(a.PeerHit, renew, lifetime);
            if (a.PendingUpdateId is null)
            {
                StartUpdate(a.PeerHit, now, UpdateKind.Registration, null);
            }
            else
            {
                a.RegistrationUpdateWanted = true;
            }
        }

        if (_registrations.TryGetValue(a.PeerHit, out var server))
        {
            foreach (var (type, exp) in server.Services.ToArray())
            {
                if (exp <= now)
                {
                    server.Services.Remove(type);
                    if (type == RegistrationType.RelayUdpEsp)
                    {
                        ReleaseDataRelay(server, now);
                    }

                    Raise(new ClientUnregistered(now, a.PeerHit, type, Cancelled: false));
                }
            }

            if (server.Services.Count == 0)
            {
                _registrations.Remove(a.PeerHit);
            }
        }

        UpdateRegistrationDeadline(a, now);
    }

    /// <summary>Registrar: an association that ends takes its registrations with it (RFC 9028 §4.1).</summary>
    private void DropServerRegistrations(Hit client, TimeSpan now)
    {
        if (_registrations.Remove(client, out var server))
        {
            ReleaseDataRelay(server, now);
            foreach (var type in server.Services.Keys)
            {
                Raise(new ClientUnregistered(now, client, type, Cancelled: true));
            }
        }
    }
}
