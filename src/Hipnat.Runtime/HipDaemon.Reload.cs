using Hipnat.Core.Association;
using Hipnat.Core.Registration;
using Hipnat.Core.Transport;
using Hipnat.Runtime.Configuration;
using Hipnat.Wire;
using Microsoft.Extensions.Logging;

namespace Hipnat.Runtime;

/// <summary>
/// Configuration reload (SIGHUP): the peers and relays of a newly read configuration are applied on the driver
/// thread without touching established associations. New peers and locators are added; a new relay is registered
/// with; a relay whose services or lifetime changed registers again for what is missing; a relay no longer listed
/// has its registrations cancelled (lifetime zero, RFC 8003 §4.1) and is not registered with again. Everything else
/// (key, listen addresses, control socket, data plane, registrar) needs a restart.
/// </summary>
public sealed partial class HipDaemon
{
    /// <summary>Applies the peers and relays of <paramref name="next"/>; returns what changed, in words.</summary>
    public Task<string> ReloadAsync(DaemonSettings next)
    {
        ArgumentNullException.ThrowIfNull(next);
        var peers = next.Peers.ToDictionary(kv => kv.Key, kv => kv.Value.ToList());
        var relays = next.Relays.ToList();
        var names = next.PeerNames.ToList();
        return InvokeAsync(_ => ApplyReload(peers, names, relays));
    }

    private string ApplyReload(Dictionary<Hit, List<TransportAddress>> peers, List<string> names, List<RelayServerSettings> relays)
    {
        var now = Now;
        int newPeers = 0, newLocators = 0;

        // Peers named by host name: a new one is resolved and kept fresh like those named at start-up (the names
        // file itself is read again whenever it changes).
        foreach (var name in names.Where(n => !_peerNames.Contains(n)))
        {
            _peerNames.Add(name);
            newPeers++;
            StartNamedPeer(name);
        }

        // Peers and locators the configuration no longer lists are forgotten: no new base exchange goes there. An
        // association with such a peer goes on (it holds its own locators) until it closes or fails.
        int removedPeers = 0, removedLocators = 0;
        foreach (var (peer, configured) in _configPeers)
        {
            peers.TryGetValue(peer, out var still);
            foreach (var locator in configured.Where(l => still is null || !still.Contains(l)))
            {
                if (!IsRelayLocator(peer, locator) && _host.RemovePeerLocator(peer, locator))
                {
                    removedLocators++;
                }
            }

            if (still is null)
            {
                removedPeers++;
                if (_host.GetPeerLocators(peer).Count == 0 && FindRelay(peer) is null && _host.GetState(peer) == AssociationState.Unassociated)
                {
                    _knownPeers.Remove(peer);
                }
            }
        }

        _configPeers = peers.ToDictionary(kv => kv.Key, kv => kv.Value.ToHashSet());

        // Names taken out are no longer looked up.
        foreach (var name in _peerNames.Where(n => !names.Contains(n)).ToList())
        {
            _peerNames.Remove(name);
            StopNamedPeer(name);
            removedPeers++;
        }

        foreach (var (peer, locators) in peers)
        {
            bool known = _knownPeers.Contains(peer);
            var have = _host.GetPeerLocators(peer);
            foreach (var locator in locators)
            {
                if (!have.Contains(locator))
                {
                    AddPeerOnDriver(peer, locator);
                    newLocators++;
                }
            }

            if (!known)
            {
                newPeers++;
            }
        }

        var added = new List<Hit>();
        var changed = new List<Hit>();
        var removed = new List<Hit>();
        foreach (var relay in relays)
        {
            if (relay.Hit == _host.LocalHit)
            {
                _logger.LogWarning("reload: relay {Relay} is this daemon's own HIT; ignored", relay.Hit);
                continue;
            }

            var current = FindRelay(relay.Hit);
            if (current is null)
            {
                _relays.Add(new RelayClient(relay));
                AddPeerOnDriver(relay.Hit, relay.Address);
                added.Add(relay.Hit);
                continue;
            }

            if (!SameRelay(current.Settings, relay))
            {
                if (!_host.GetPeerLocators(relay.Hit).Contains(relay.Address))
                {
                    AddPeerOnDriver(relay.Hit, relay.Address);
                }

                current.Settings = relay;
                current.Backoff = InitialBackoff;
                current.NextAttempt = now;
                current.Refusals.Clear();
                changed.Add(relay.Hit);
            }
        }

        foreach (var gone in _relays.Where(r => !relays.Exists(x => x.Hit == r.Settings.Hit)).ToList())
        {
            _relays.Remove(gone);
            var hit = gone.Settings.Hit;
            var granted = _host.GetRegistrations(hit).Where(r => r.State is RegistrationState.Granted or RegistrationState.Requested).Select(r => r.Type).ToArray();
            if (granted.Length > 0 && _host.GetState(hit) is AssociationState.Established)
            {
                _host.Register(hit, granted, TimeSpan.Zero, now);
            }

            removed.Add(hit);
        }

        _nextMaintenance = now;
        string Hits(List<Hit> list) => list.Count == 0 ? "0" : $"{list.Count} ({string.Join(", ", list)})";
        return $"peers: {newPeers} new, {newLocators} new locator(s), {removedPeers} removed, {removedLocators} locator(s) forgotten; relays: {Hits(added)} new, {Hits(changed)} changed, {Hits(removed)} removed";
    }

    private bool IsRelayLocator(Hit peer, TransportAddress locator) => FindRelay(peer) is { } r && r.Settings.Address == locator;

    private static bool SameRelay(RelayServerSettings a, RelayServerSettings b) =>
        a.Address == b.Address && a.Lifetime == b.Lifetime && a.RelayEspIfOffered == b.RelayEspIfOffered && a.Services.SequenceEqual(b.Services);
}
