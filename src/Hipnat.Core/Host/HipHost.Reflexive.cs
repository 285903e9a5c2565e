using System.Net;
using Hipnat.Core.Association;
using Hipnat.Core.Registration;
using Hipnat.Core.Transport;
using Hipnat.Nat.Stun;
using Hipnat.Wire.Parameters;

namespace Hipnat.Core.Host;

/// <summary>
/// Server-reflexive candidates per interface (draft-melen-hip-nat-mm §5.1 step 3, Figure 4; RFC 9028 §4.2): a
/// registrar's REG_FROM tells the mapping of the one path our registration took, so after our locators change we
/// ask each registrar with a STUN Binding request from every host address (relays answer STUN on their HIP port).
/// A host with two uplinks so learns the public address of each, and the handover UPDATE offers all of them.
/// </summary>
public sealed partial class HipHost
{
    private StunBindingClient? _reflexiveClient;
    private readonly Dictionary<StunTransactionId, (TransportAddress Base, TransportAddress Server, HostAssociation Registrar)> _reflexiveQueries = [];

    private StunBindingClient ReflexiveClient => _reflexiveClient ??= new StunBindingClient(new StunBindingClientOptions
    {
        Software = null,
        CacheRto = false,
        TransactionIdFactory = () => new StunTransactionId(((ulong)_random.NextUInt32() << 32) | _random.NextUInt32(), _random.NextUInt32()),
        Retransmission = new StunRetransmissionOptions { InitialRto = TimeSpan.FromMilliseconds(100), Rc = 4, Rm = 4 },
    });

    /// <summary>Queries still unanswered (the handover UPDATE waits for them, as for the registrars).</summary>
    internal int ReflexiveQueriesPending => _reflexiveQueries.Count;

    /// <summary>Asks every registrar we are registered with for our reflexive address from each host address.</summary>
    private void GatherReflexivePerBase(TimeSpan now)
    {
        if (!_options.Ice.GatherServerReflexive)
        {
            return;
        }

        foreach (var (id, _) in _reflexiveQueries)
        {
            ReflexiveClient.Cancel(id);
        }

        _reflexiveQueries.Clear();
        foreach (var r in _associations.Values)
        {
            if (r.State != AssociationState.Established || r.ActivePair is not { IsRelayed: false } route || route.Peer.Kind != TransportKind.Udp
                || !r.ClientRegistrations.Exists(x => x.State is RegistrationState.Granted or RegistrationState.Requested))
            {
                continue;
            }

            foreach (var b in _localLocators)
            {
                if (b.Kind != TransportKind.Udp || b.Port == 0 || IsWildcardAddress(b.Address) || b.IsIPv4 != route.Peer.IsIPv4)
                {
                    continue;
                }

                var id = ReflexiveClient.Start(new IPEndPoint(route.Peer.Address, route.Peer.Port), now);
                _reflexiveQueries[id] = (b, route.Peer, r);
            }
        }

        SendReflexiveTransmits();
        ReleaseIdleReflexiveClient();
    }

    /// <summary>
    /// The STUN client lives while reflexive queries are out (the seconds of a handover) and goes with the last one:
    /// it keeps nothing between queries (RTOs are not cached), and an idle host should hold no per-query state.
    /// </summary>
    private void ReleaseIdleReflexiveClient()
    {
        if (_reflexiveQueries.Count == 0)
        {
            _reflexiveClient = null;
        }
    }

    /// <summary>Server-reflexive candidates our registrars' STUN answers gave, and those the driver added.</summary>
    private IEnumerable<Ice.IceCandidate> LearnedReflexive() =>
        _associations.Values.SelectMany(a => a.ReflexivePerBase)
            .Concat(_extraCandidates.Where(c => c.Type == CandidateKind.ServerReflexive));

    /// <summary>
    /// A multihomed host learns the reflexive address of each of its bases once a registrar answers, not only after
    /// a move: the REG_FROM covers the one base it registered from, and a peer behind a filtering NAT can only be
    /// reached from another base once that base's reflexive candidate was offered (draft §3.2.1 hot backup).
    /// </summary>
    private void GatherMissingReflexive(TimeSpan now)
    {
        if (ReflexiveQueriesPending > 0)
        {
            return;
        }

        var bases = _localLocators.Where(l => l.Kind == TransportKind.Udp && l.Port != 0 && !IsWildcardAddress(l.Address)).ToList();
        if (bases.Count > 1 && bases.Exists(b => !LearnedReflexive().Any(c => c.Base.Address.Equals(b.Address))))
        {
            GatherReflexivePerBase(now);
        }
    }

    private void SendReflexiveTransmits()
    {
        if (_reflexiveClient is null)
        {
            return;
        }

        while (_reflexiveClient.TryPollTransmit(out var t))
        {
            TransportAddress? from = null;
            foreach (var (_, q) in _reflexiveQueries)
            {
                if (q.Server.Address.Equals(t.Destination.Address) && q.Server.Port == t.Destination.Port)
                {
                    from ??= q.Base;
                }
            }

            // One transmit per transaction; the transaction ID in the request says which base it is for.
            var id = new StunTransactionId(t.Payload.AsSpan(8, StunTransactionId.Length));
            if (_reflexiveQueries.TryGetValue(id, out var query))
            {
                from = query.Base;
            }

            if (from is not { } source)
            {
                continue;
            }

            var buf = PacketBuffers.Rent(t.Payload.Length);
            t.Payload.CopyTo(buf, 0);
            Counters.PacketsOut++;
            _transmits.Enqueue(new Transmit(source, TransportAddress.Udp(t.Destination.Address, (ushort)t.Destination.Port), buf, t.Payload.Length));
        }
    }

    /// <summary>A STUN answer to one of our reflexive queries (taken before the other STUN handlers).</summary>
    private bool TryHandleReflexiveAnswer(TransportAddress remote, ReadOnlySpan<byte> payload, TimeSpan now)
    {
        if (_reflexiveClient is not { PendingCount: > 0 } client || !client.HandleDatagram(new IPEndPoint(remote.Address, remote.Port), payload, now))
        {
            return false;
        }

        DrainReflexiveResults(now);
        return true;
    }

    private void OnReflexiveTimer(TimeSpan now)
    {
        if (_reflexiveClient is not { } client || client.NextTimeout is not { } due || due > now)
        {
            return;
        }

        client.HandleTimeout(now);
        SendReflexiveTransmits();
        DrainReflexiveResults(now);
    }

    private void DrainReflexiveResults(TimeSpan now)
    {
        bool done = false;
        while (_reflexiveClient!.TryPollResult(out var result))
        {
            if (!_reflexiveQueries.Remove(result.TransactionId, out var q))
            {
                continue;
            }

            done = true;
            if (result.Succeeded && result.MappedAddress is { } m)
            {
                var mapped = TransportAddress.Udp(m.Address.IsIPv4MappedToIPv6 ? m.Address.MapToIPv4() : m.Address, (ushort)m.Port);
                if (IsCurrent(q.Registrar) && !q.Registrar.ReflexivePerBase.Exists(c => c.Address == mapped))
                {
                    DebugLog?.Invoke($"server-reflexive candidate {mapped} (base {q.Base}) from {q.Server}");
                    q.Registrar.ReflexivePerBase.Add(new Ice.IceCandidate(mapped, q.Base, CandidateKind.ServerReflexive, 0));
                }
            }
            else
            {
                DebugLog?.Invoke($"no reflexive address for base {q.Base} from {q.Server}: {result.Outcome}");
            }
        }

        ReleaseIdleReflexiveClient();
        if (done)
        {
            TrySendWaitingHandovers(now);
        }
    }
}
