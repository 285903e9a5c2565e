using Hipnat.Core.Association;
using Hipnat.Core.Ice;
using Hipnat.Core.Registration;
using Hipnat.Core.Transport;
using Hipnat.Wire;
using Hipnat.Wire.Packets;
using Hipnat.Wire.Parameters;

namespace Hipnat.Core.Host;

/// <summary>
/// ICE for HIP (RFC 9028 §4.2-4.7, native ICE-HIP-UDP): candidates gathered from our addresses, our relays'
/// REG_FROM and RELAYED_ADDRESS and the driver's STUN/TURN results, offered in LOCATOR_SET (I2 = offer,
/// R2 = answer); connectivity checks as UPDATEs with SEQ, ECHO_REQUEST_SIGNED and CANDIDATE_PRIORITY, answered
/// with ACK, ECHO_RESPONSE_SIGNED and MAPPED_ADDRESS; nomination by the Initiator (controlling) with NOMINATE;
/// the nominated pair carries HIP and ESP from then on. The decisions are <see cref="IceAgent"/>'s; this file is its
/// wire glue: candidates from our sockets and registrations, the check packets, routes through relays, events.
/// </summary>
public sealed partial class HipHost
{
    private readonly List<IceCandidate> _extraCandidates = [];

    /// <summary>Adds a candidate the driver discovered (server-reflexive from a STUN server, relayed from TURN); it
    /// is offered to peers from the next base exchange on.</summary>
    public void AddLocalCandidate(TransportAddress address, TransportAddress baseAddress, CandidateKind type)
    {
        if (_extraCandidates.Exists(c => c.Address == address))
        {
            return;
        }

        _extraCandidates.Add(new IceCandidate(address, baseAddress, type, 0));
    }

    /// <summary>
    /// Adds a candidate and offers it at once to every ICE association still without a pair (checking, or every
    /// pair failed): an UPDATE with SEQ and our LOCATOR_SET, after which both sides check the new pairs (RFC 9028
    /// §4.6, the way a handover re-offers candidates in §4.9). A STUN or TURN result that comes in after a base
    /// exchange so still helps it.
    /// </summary>
    public void AddLocalCandidate(TransportAddress address, TransportAddress baseAddress, CandidateKind type, TimeSpan now)
    {
        bool known = _extraCandidates.Exists(c => c.Address == address);
        AddLocalCandidate(address, baseAddress, type);
        if (known)
        {
            return;
        }

        // With its priority among our candidates now.
        var added = GatherCandidates().FirstOrDefault(c => c.Address == address);
        if (added.Address != address)
        {
            return;
        }

        foreach (var a in _associations.Values)
        {
            if (a.Ice is not { } ice || a.State != AssociationState.Established || ice.Selected is { IsRelayed: false }
                || (added.Type == CandidateKind.Relayed && (!_options.Ice.GatherRelayed || a.NatMode == NatTraversalMode.IceStunUdp)))
            {
                continue;
            }

            ice.AddLocal(added);
            if (a.PendingUpdateId is null)
            {
                StartUpdate(a.PeerHit, now, UpdateKind.Locators, null);
            }
            else
            {
                a.CandidatesUpdateWanted = true;
            }

            ScheduleIce(a, now);
            ScheduleTimer(a);
        }
    }

    /// <summary>An UPDATE's LOCATOR_SET of an ICE association: remote candidates new to the checklist join it.</summary>
    private void CheckNewPeerCandidates(HostAssociation a, TimeSpan now)
    {
        if (a.Ice is not { } ice)
        {
            return;
        }

        foreach (var c in a.PeerCandidates)
        {
            if (!ice.AddRemote(c))
            {
                Counters.IceCandidatesDropped++;
            }
        }

        ScheduleIce(a, now);
    }

    /// <summary>Withdraws a candidate added with <see cref="AddLocalCandidate"/> (e.g. a server-reflexive address
    /// that changed after a NAT rebinding); it is no longer offered.</summary>
    public bool RemoveLocalCandidate(TransportAddress address) => _extraCandidates.RemoveAll(c => c.Address == address) > 0;

    /// <summary>The ICE state of the association with <paramref name="peer"/>, if it runs ICE.</summary>
    public IceAgent? GetIceSession(Hit peer) => _associations.TryGetValue(peer, out var a) ? a.Ice : null;

    /// <summary>Our candidates as offered now (RFC 9028 §4.2): host candidates of every configured address,
    /// server-reflexive ones from REG_FROM and the driver, relayed ones from our data relays.</summary>
    public IReadOnlyList<IceCandidate> GatherCandidates()
    {
        var ice = _options.Ice;
        var hosts = new List<TransportAddress>();
        foreach (var l in _localLocators)
        {
            if (l.Kind == TransportKind.Udp && l.Port != 0 && !IsWildcardAddress(l.Address) && !hosts.Contains(l))
            {
                hosts.Add(l);
            }
        }

        // A socket bound to a wildcard address still needs a base to check from: it pairs, but is never offered.
        foreach (var l in _localLocators)
        {
            if (l.Kind == TransportKind.Udp && l.Port != 0 && IsWildcardAddress(l.Address) && !hosts.Exists(h => h.IsIPv4 == l.IsIPv4) && !hosts.Contains(l))
            {
                hosts.Add(l);
            }
        }

        var prefs = IcePriority.LocalPreferences(hosts);
        var list = new List<IceCandidate>();
        for (int i = 0; i < hosts.Count; i++)
        {
            list.Add(new IceCandidate(hosts[i], hosts[i], CandidateKind.Host, IcePriority.Compute(CandidateKind.Host, prefs[i])));
        }

        ushort PrefOfBase(TransportAddress b)
        {
            int i = hosts.IndexOf(b);
            return i >= 0 ? prefs[i] : (ushort)(65535 - (list.Count * 256 % 65535));
        }

        TransportAddress BaseFor(TransportAddress addr)
        {
            foreach (var h in hosts)
            {
                if (h.IsIPv4 == addr.IsIPv4)
                {
                    return h;
                }
            }

            return DefaultLocal(addr);
        }

        var reflexive = new List<(TransportAddress Address, TransportAddress Base)>();
        var relayed = new List<TransportAddress>();
        foreach (var r in Registrations)
        {
            if (r.State != RegistrationState.Granted)
            {
                continue;
            }

            if (r.ReflexiveAddress is { } x && !reflexive.Exists(c => c.Address == x))
            {
                reflexive.Add((x, BaseFor(x)));
            }

            if (r.Type == RegistrationType.RelayUdpEsp && r.RelayedAddress is { } ra && !relayed.Contains(ra))
            {
                relayed.Add(ra);
            }
        }

        foreach (var a in _associations.Values)
        {
            foreach (var c in a.ReflexivePerBase)
            {
                if (!reflexive.Exists(r => r.Address == c.Address))
                {
                    reflexive.Add((c.Address, c.Base));
                }
            }
        }

        foreach (var c in _extraCandidates)
        {
            if (c.Type == CandidateKind.Relayed)
            {
                if (!relayed.Contains(c.Address))
                {
                    relayed.Add(c.Address);
                }
            }
            else if (!reflexive.Exists(r => r.Address == c.Address))
            {
                reflexive.Add((c.Address, c.Base));
            }
        }

        foreach (var (x, b) in reflexive)
        {
            if (!list.Exists(c => c.Address == x))
            {
                list.Add(new IceCandidate(x, b, CandidateKind.ServerReflexive, IcePriority.Compute(CandidateKind.ServerReflexive, PrefOfBase(b))));
            }
        }

        for (int i = 0; i < relayed.Count; i++)
        {
            list.Add(new IceCandidate(relayed[i], relayed[i], CandidateKind.Relayed, IcePriority.Compute(CandidateKind.Relayed, (ushort)(65535 - (i * 256)))));
        }

        return list;
    }

    private static bool IsWildcardAddress(System.Net.IPAddress ip) =>
        ip.Equals(System.Net.IPAddress.Any) || ip.Equals(System.Net.IPAddress.IPv6Any);

    /// <summary>Candidates we announce, after the user's policy on which types to offer.</summary>
    private List<IceCandidate> OfferedCandidates()
    {
        var ice = _options.Ice;
        return GatherCandidates().Where(c => !IsWildcardAddress(c.Address.Address) && c.Type switch
        {
            CandidateKind.Host => ice.GatherHost,
            CandidateKind.ServerReflexive => ice.GatherServerReflexive,
            CandidateKind.Relayed => ice.GatherRelayed,
            _ => false,
        }).ToList();
    }

    private static bool IsIceMode(NatTraversalMode mode) => mode is NatTraversalMode.IceHipUdp or NatTraversalMode.IceStunUdp;

    /// <summary>The address a base exchange packet of the peer came from (directly, or as the relay saw it in
    /// RELAY_FROM) is a candidate too: the peer's NAT mapping towards the relay, often valid towards us as well.</summary>
    private static void AddObservedCandidate(HostAssociation a, TransportAddress observed) => a.Peer.AddObserved(observed);

    /// <summary>Starts connectivity checks once both candidate sets are known (RFC 9028 §4.6).</summary>
    private void StartIce(HostAssociation a, TimeSpan now, bool holdForEcho = false)
    {
        if (!IsIceMode(a.NatMode) || a.Ice is not null)
        {
            return;
        }

        ulong tieBreaker = ((ulong)_random.NextUInt32() << 32) | _random.NextUInt32();
        var ta = a.Pacing > TimeSpan.Zero ? a.Pacing : TimeSpan.FromMilliseconds(50);
        var ice = new IceAgent(a.NatMode, a.IsInitiator, ta, _options.Ice, new IceGlue(this, a), now)
        {
            TieBreaker = tieBreaker,
            StunKey = a.NatMode == NatTraversalMode.IceStunUdp ? DrawStunKey(a) : null,
            Multihomed = _localLocators.Count(l => !IsWildcardAddress(l.Address)) > 1,
            CheckPeerBackups = _options.MultihomingPolicy != MultihomingPolicy.Failover,
        };
        a.Ice = ice;
        if (holdForEcho)
        {
            ice.Hold();
        }

        var list = ice.CheckList;
        foreach (var c in GatherCandidates())
        {
            // Policy: a relayed candidate not offered is not checked either; in ICE-STUN-UDP a HIP data relay
            // would not forward the STUN checks.
            if (c.Type == CandidateKind.Relayed && (!_options.Ice.GatherRelayed || a.NatMode == NatTraversalMode.IceStunUdp))
            {
                continue;
            }

            ice.AddLocal(c);
        }

        foreach (var r in a.PeerCandidates)
        {
            if (!ice.AddRemote(r))
            {
                Counters.IceCandidatesDropped++;
            }
        }

        RequestRelayPermissions(a, null, now);
        DebugLog?.Invoke($"ICE with {a.PeerHit}: {list.LocalCandidates.Count} local and {list.RemoteCandidates.Count} remote candidates, {list.Pairs.Count} pairs, {(a.IsInitiator ? "controlling" : "controlled")}, Ta {list.Ta.TotalMilliseconds} ms");
        OnIceTimer(a, now);
    }

    /// <summary>RFC 9028 §4.12.1: before checks, a data-relay client lets the peer's ESP through its relayed address.</summary>
    /// <param name="samePort">A permission for the address on another port is asked for again with this one.</param>
    private void RequestRelayPermissions(HostAssociation a, TransportAddress? peerAddress, TimeSpan now, bool samePort = false)
    {
        if (a.SaPairs.Count == 0 || a.Ice is null)
        {
            return;
        }

        // The peer's server-reflexive addresses — one per uplink of a multihomed peer, each a permission of its own
        // (RFC 9028 §4.12.1) — else the active pair's. A permission is kept per address: the port is the one named
        // last, which a check that came through our relayed address may have set (the peer's NAT maps it anew towards
        // that port when its mapping is endpoint-dependent), and a later round does not set it back.
        var targets = new List<TransportAddress>();
        if (peerAddress is { } given)
        {
            targets.Add(given);
        }
        else
        {
            targets.AddRange(a.PeerCandidates.Where(c => c.Type == CandidateKind.ServerReflexive).Select(c => c.Address).Distinct().Take(Registration.PeerPermission.MaxAddresses));
            if (targets.Count == 0 && a.ActivePair is { } p)
            {
                targets.Add(p.RelayedTo ?? p.Peer);
            }
        }

        var sa = a.SaPairs[0];
        if (peerAddress is null)
        {
            // Addresses the peer no longer offers are not asked for again (their permissions lapse at the relay).
            foreach (var server in _associations.Values)
            {
                foreach (var reg in server.ClientRegistrations.Where(r => r.Type == RegistrationType.RelayUdpEsp))
                {
                    reg.Permissions.RemoveAll(x => x.Ospi == sa.OutboundSpi && !targets.Exists(t => t.Address.Equals(x.Peer.Address))
                        && !a.PeerCandidates.Exists(c => c.Address.Address.Equals(x.Peer.Address)));
                }
            }
        }

        foreach (var t in targets)
        {
            foreach (var server in _associations.Values)
            {
                foreach (var reg in server.ClientRegistrations)
                {
                    if (reg.Type == RegistrationType.RelayUdpEsp && reg.State == RegistrationState.Granted && reg.RelayedAddress is not null
                        && reg.ReflexiveAddress is { } refl && refl.IsIPv4 == t.IsIPv4
                        && !reg.Permissions.Exists(x => (samePort ? x.Peer == t : x.Peer.Address.Equals(t.Address)) && x.Ospi == sa.OutboundSpi && x.Ispi == sa.InboundSpi))
                    {
                        RequestPeerPermission(server.PeerHit, t, sa.OutboundSpi, sa.InboundSpi, now);
                    }
                }
            }
        }
    }

    private void OnIceTimer(HostAssociation a, TimeSpan now)
    {
        if (a.Ice is not { } ice || a.State is not (AssociationState.Established or AssociationState.R2Sent))
        {
            a.IceDue = TimeSpan.MaxValue;
            return;
        }

        ice.OnTimer(now);
        ScheduleIce(a, now);
    }

    private static void ScheduleIce(HostAssociation a, TimeSpan now) => a.IceDue = a.Ice?.NextDue(now) ?? TimeSpan.MaxValue;

    /// <summary>Sends one connectivity check on <paramref name="pair"/> (RFC 9028 §4.6.1-4.6.2): an UPDATE with SEQ,
    /// ECHO_REQUEST_SIGNED, CANDIDATE_PRIORITY (the priority a peer-reflexive candidate learned from it would get)
    /// and, when nominating, NOMINATE — protected by HIP_MAC and HIP_SIGNATURE. A retransmission reuses the SEQ.</summary>
    private void SendCheck(HostAssociation a, IceAgent ice, CandidatePair pair, bool nominate, bool fresh, TimeSpan now)
    {
        if (a.NatMode == NatTraversalMode.IceStunUdp)
        {
            SendStunCheck(a, ice, pair, nominate, fresh, now);
            return;
        }

        if (fresh)
        {
            ice.AddTransaction(pair, a.NextUpdateId++, _random.NextBytes(16), nominate);
        }

        Span<byte> hip = stackalloc byte[HipHeader.MaxPacketLength];
        var b = new HipPacketBuilder(hip, HipPacketType.Update, LocalHit, a.PeerHit);
        b.Add(new SeqParameter(pair.TransactionId));
        b.AddRaw(ParameterType.EchoRequestSigned, pair.Nonce);
        uint prflxPriority = IcePriority.Compute(CandidateKind.PeerReflexive, (ushort)((pair.Local.Priority >> 8) & 0xFFFF));
        b.Add(new CandidatePriorityParameter(prflxPriority));
        if (nominate)
        {
            b.Add(new NominateParameter(0));
        }

        AddMac(ref b, a.Suite, a.OurIntegrityKey);
        AddSignature(ref b);
        if (!TryRouteFor(pair, out var from, out var to, out var relayTo))
        {
            return;
        }

        if (relayTo is { } rt)
        {
            b.Add(new RelayToParameter(rt.Address, rt.Port));
        }

        int len = b.Finish();
        EmitCopy(from, to, hip[..len]);
        a.LastSent = now;
        Counters.IceChecksSent++;
    }

    /// <summary>Where a packet on <paramref name="pair"/> physically goes: from the local base to the remote
    /// candidate, or, for our own relayed candidate, to our data relay with RELAY_TO (RFC 9028 §4.12.2).</summary>
    private bool TryRouteFor(CandidatePair pair, out TransportAddress from, out TransportAddress to, out TransportAddress? relayTo)
    {
        relayTo = null;
        if (IsDataRelayCandidate(pair.Local))
        {
            if (FindDataRelayFor(pair.Local.Address) is { ActivePair: { } route })
            {
                from = route.Local;
                to = route.Peer;
                relayTo = pair.Remote.Address;
                return true;
            }

            from = default;
            to = default;
            return false;
        }

        from = pair.Local.Base;
        to = pair.Remote.Address;
        return true;
    }

    /// <summary>Our relayed candidate from a HIP data relay (checked through it with RELAY_TO). A relayed candidate
    /// the driver added (a TURN allocation) is used like a host candidate whose packets the driver relays: the core
    /// sends from that address and the driver wraps them for the TURN server (RFC 8656).</summary>
    private bool IsDataRelayCandidate(IceCandidate c) => c.Type == CandidateKind.Relayed && FindDataRelayFor(c.Address) is not null;

    /// <summary>The association with the data relay that gave us <paramref name="relayed"/>.</summary>
    private HostAssociation? FindDataRelayFor(TransportAddress relayed)
    {
        foreach (var s in _associations.Values)
        {
            foreach (var r in s.ClientRegistrations)
            {
                if (r.RelayedAddress == relayed && r.State == RegistrationState.Granted)
                {
                    return s;
                }
            }
        }

        return null;
    }

    /// <summary>Our relayed candidate at the data relay <paramref name="relayAddress"/> (a check that came through it).</summary>
    private IceCandidate? RelayedCandidateAt(IceAgent ice, TransportAddress relayAddress)
    {
        foreach (var c in ice.CheckList.LocalCandidates)
        {
            if (c.Type == CandidateKind.Relayed && FindDataRelayFor(c.Address) is { ActivePair: { } route } && route.Peer == relayAddress)
            {
                return c;
            }
        }

        return null;
    }

    /// <summary>
    /// An authenticated UPDATE of an ICE association that is a check (CANDIDATE_PRIORITY), an answer to one of our
    /// checks, or part of the nomination exchange. Returns false when the UPDATE is ordinary and goes the usual way.
    /// </summary>
    private bool TryHandleIceUpdate(HipPacket packet, HostAssociation a, TransportAddress local, TransportAddress remote, RelayedVia? via, TimeSpan now)
    {
        if (a.Ice is not { } ice)
        {
            return false;
        }

        bool isCheck = packet.TryGet<CandidatePriorityParameter>(out var candPrio);
        bool hasAck = packet.TryGet<AckParameter>(out var ack);
        bool answersCheck = false;
        bool answersNomination = false;
        if (hasAck)
        {
            foreach (var id in ack.UpdateIds)
            {
                if (ice.Transactions.ContainsKey(id))
                {
                    answersCheck = true;
                }

                if (ice.NominationAnswerSeq == id)
                {
                    answersNomination = true;
                }
            }
        }

        if (!isCheck && !answersCheck && !answersNomination)
        {
            return false;
        }

        a.LastSeen = now;
        if (answersCheck)
        {
            OnCheckAnswer(packet, a, ice, ack, local, remote, via, now);
        }

        if (answersNomination)
        {
            ice.NominationAnswerAcked(now);
        }

        if (packet.TryGet<SeqParameter>(out var seq))
        {
            AnswerCheck(packet, a, ice, seq.UpdateId, isCheck ? candPrio.Priority : (uint?)null, local, remote, via, now);
        }

        ScheduleIce(a, now);
        return true;
    }

    private void OnCheckAnswer(HipPacket packet, HostAssociation a, IceAgent ice, AckParameter ack, TransportAddress local, TransportAddress remote, RelayedVia? via, TimeSpan now)
    {
        packet.TryFind(ParameterType.EchoResponseSigned, out var echo);
        foreach (var id in ack.UpdateIds)
        {
            if (!ice.TryGetTransaction(id, out var tx))
            {
                continue;
            }

            var pair = tx.Pair;

            // RFC 9028 §4.6.2: the answer must use the same pair of ports as the check (and echo its nonce).
            bool routeOk = IsDataRelayCandidate(pair.Local)
                ? via is { Rendezvous: false } v && v.From == pair.Remote.Address
                : via is null && remote == pair.Remote.Address && IceCheckList.SameLocal(pair.Local.Base, local);
            if (!routeOk || echo.Contents.IsEmpty || !FixedEquals(echo.Contents, tx.Nonce))
            {
                Counters.Drop(DropReason.CheckMismatch);
                DebugLog?.Invoke($"drop {DropReason.CheckMismatch}: answer to check {id} of {a.PeerHit} from {via?.From ?? remote} to {local} does not match pair {pair}");
                continue;
            }

            TransportAddress? mapped = null;
            if (packet.TryGet<MappedAddressParameter>(out var m))
            {
                var ip = m.Address.IsIPv4MappedToIPv6 ? m.Address.MapToIPv4() : m.Address;
                mapped = TransportAddress.Udp(ip, m.Port);
            }

            ice.CheckAnswered(id, now, mapped);
        }

        ice.MaybeNominate(now);
    }

    /// <summary>Counts a received check against the association's rate (<see cref="IceAgent.TakeCheckToken"/>);
    /// a flood beyond it is dropped and counted (a nomination is always answered).</summary>
    private bool TakeCheckToken(HostAssociation a, IceAgent ice, TimeSpan now, bool nominate, TransportAddress from)
    {
        Counters.IceChecksReceived++;
        if (ice.TakeCheckToken(now, nominate))
        {
            return true;
        }

        Counters.Drop(DropReason.RateLimited);
        DebugLog?.Invoke($"drop {DropReason.RateLimited}: connectivity check flood from {a.PeerHit} at {from}");
        return false;
    }

    /// <summary>Answers a check (or the nomination answer) with ACK, ECHO_RESPONSE_SIGNED and MAPPED_ADDRESS from the
    /// address it reached to the address it came from; a check on a pair not yet known to work triggers our own
    /// check of it (RFC 8445 §7.3.1.4), a check from an unknown address adds a peer-reflexive candidate (§7.3.1.3).
    /// A nomination (controlled side) is answered with SEQ, ECHO_REQUEST_SIGNED and NOMINATE too (§4.6.3).</summary>
    private void AnswerCheck(HipPacket packet, HostAssociation a, IceAgent ice, uint id, uint? priority, TransportAddress local, TransportAddress remote, RelayedVia? via, TimeSpan now)
    {
        var observed = via?.From ?? remote;
        bool nominate = priority is not null && packet.Has(ParameterType.Nominate) && !ice.CheckList.Controlling;
        if (priority is not null && !TakeCheckToken(a, ice, now, nominate, observed))
        {
            return;
        }

        Span<byte> hip = stackalloc byte[HipHeader.MaxPacketLength];
        var b = new HipPacketBuilder(hip, HipPacketType.Update, LocalHit, a.PeerHit);
        if (nominate)
        {
            if (ice.NeedsNominationAnswer(id))
            {
                ice.SetNominationAnswer(id, a.NextUpdateId++, _random.NextBytes(16));
            }

            b.Add(new SeqParameter(ice.NominationAnswerSeq!.Value));
        }

        b.Add(new AckParameter([id]));
        if (nominate)
        {
            b.AddRaw(ParameterType.EchoRequestSigned, ice.NominationAnswerNonce);
        }

        if (packet.TryFind(ParameterType.EchoRequestSigned, out var echoRequest))
        {
            b.AddRaw(ParameterType.EchoResponseSigned, echoRequest.Contents);
        }

        if (priority is not null)
        {
            b.Add(new MappedAddressParameter(observed.Address, observed.Port));
        }

        if (nominate)
        {
            b.Add(new NominateParameter(0));
        }

        AddMac(ref b, a.Suite, a.OurIntegrityKey);
        AddSignature(ref b);
        if (via is { Rendezvous: false } v)
        {
            b.Add(new RelayToParameter(v.From.Address, v.From.Port));
        }

        int len = b.Finish();
        EmitCopy(local, remote, hip[..len]);
        a.LastSent = now;
        if (priority is not { } prio)
        {
            return;
        }

        // The pair this check arrived on, from our side.
        IceCandidate? localCand = via is { Rendezvous: false } ? RelayedCandidateAt(ice, remote) : ice.CheckList.FindLocal(local);
        if (localCand is not { } lc)
        {
            return;
        }

        if (via is null && a.Paths.IsRelayAddress(observed))
        {
            // A check forwarded by the peer's control relay: that address is a relay, not a candidate of the peer.
            return;
        }

        if (via is not null && lc.Type == CandidateKind.Relayed)
        {
            // The peer reaches our relayed address from `observed`: the relay must let its ESP through, whether or
            // not the agent takes the address as a new candidate (it may have its fill of peer-reflexive ones).
            RequestRelayPermissions(a, observed, now);
        }

        if (ice.PairForCheck(lc.Address, observed, prio, out bool refused) is not { } pair)
        {
            if (refused)
            {
                Counters.IceCandidatesDropped++;
            }

            return;
        }

        ice.CheckReceived(pair, nominate, now);
    }

    /// <summary>The agent selected <paramref name="pair"/>: it becomes the association's active path for HIP
    /// control and ESP.</summary>
    private void ActivateIcePair(HostAssociation a, CandidatePair pair, string reason, TimeSpan now)
    {
        if (!TryRouteFor(pair, out var from, out var to, out var relayTo))
        {
            return;
        }

        var old = a.ActivePair;

        // The pair from this very local address if there is one (a standby taking over); else the one to that peer
        // address, which follows our address when it moved.
        var lp = a.Pairs.Find(p => p.Peer == to && p.RelayedTo == relayTo && p.Local == from)
            ?? a.Pairs.Find(p => p.Peer == to && p.RelayedTo == relayTo && p.State != LocatorPairState.Standby);

        if (IsDataRelayCandidate(pair.Local))
        {
            // RFC 9028 §4.12.1: our relayed address is selected for data: the relay is told the peer's address and
            // port (behind an endpoint-dependent NAT, the peer's port towards the relayed address is not its
            // server-reflexive one, and a peer that only answers sends no ESP of its own to show it).
            RequestRelayPermissions(a, pair.Remote.Address, now, samePort: true);
        }

        lp ??= new LocatorPair(from, to) { RelayedTo = relayTo };
        lp.Local = from;
        lp.ViaDataRelay = pair.IsRelayed;
        lp.ThroughRelay = false;
        lp.LastReceived = now;
        lp.Rtt = pair.Rtt;
        // The pair it replaces stays a standby only while both its ends still exist (our address, the peer's locator).
        a.Paths.Activate(lp, old is { IsRelayed: false } o && (!IsOurAddress(o.Local) || !IsKnownPeerAddress(a, o.Peer))
            ? LocatorPairState.Deprecated : LocatorPairState.Standby);
        a.Liveness.Reset(now);
        a.ReturnRoutability.EndVerifications();
        a.FailoverDue = TimeSpan.MaxValue;
        Counters.IceSelections++;
        CompleteHandover(a, now, $"pair selected: {pair}");
        DebugLog?.Invoke($"ICE with {a.PeerHit}: selected {pair}: {reason}");
        Raise(new ActivePathChanged(now, a.PeerHit, old?.Peer ?? default, relayTo ?? to, Direct: !pair.IsRelayed, reason));
    }

    private void SendNotify(HostAssociation a, NotifyMessageType type, TimeSpan now)
    {
        if (!a.TryGetRoute(out var local, out var remote))
        {
            return;
        }

        Span<byte> hip = stackalloc byte[HipHeader.MaxPacketLength];
        int len = BuildNotice(a, type, hip);
        EmitCopy(local, remote, hip[..len]);
        a.LastSent = now;
    }
}
