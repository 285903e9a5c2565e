using Hipnat.Core.Association;
using Hipnat.Core.Registration;
using Hipnat.Core.Transport;
using Hipnat.Wire;
using Hipnat.Wire.Packets;
using Hipnat.Wire.Parameters;
using CandidateKind = Hipnat.Wire.Parameters.CandidateKind;

namespace Hipnat.Core.Host;

/// <summary>
/// Mobility through NATs (RFC 8046; RFC 9028 §4.9; draft-melen-hip-nat-mm §5.1): the host's own locator set changes
/// at run time and every association follows it. The mobile host updates its registrations first (REG_REQUEST from
/// the new address, so the relay learns it and answers with the new REG_FROM), then sends each peer an UPDATE with
/// ESP_INFO Old SPI = New SPI = current and its new candidates in ENCRYPTED(LOCATOR_SET) — over the old pair if it
/// is still ours, otherwise through the relay — and restarts ICE with a new checklist. The peer answers with its
/// own candidates and a signed echo, and restarts its checks too. ESP stays on its SA pair throughout.
/// </summary>
public sealed partial class HipHost
{
    private List<TransportAddress> _localLocators;

    /// <summary>Registrars whose answer the pending handover UPDATEs wait for.</summary>
    private readonly HashSet<Hit> _handoverRegistrars = [];

    /// <summary>The host's local locators now (listening addresses with their ports; host candidates).</summary>
    public IReadOnlyList<TransportAddress> LocalLocators => _localLocators;

    /// <summary>
    /// Replaces the host's local locator set (the driver watched its interfaces change). Returns true when the set
    /// changed; then registrations and associations are updated (handover).
    /// </summary>
    public bool SetLocalLocators(IReadOnlyList<TransportAddress> locators, TimeSpan now)
    {
        ArgumentNullException.ThrowIfNull(locators);
        if (locators.Count == _localLocators.Count && locators.SequenceEqual(_localLocators))
        {
            return false;
        }

        var old = _localLocators;
        _localLocators = [.. locators];
        OnLocalLocatorsChanged(old, now);
        return true;
    }

    private bool IsOurAddress(TransportAddress t) =>
        IsWildcardAddress(t.Address) || _localLocators.Exists(l => l.Address.Equals(t.Address));

    private void OnLocalLocatorsChanged(List<TransportAddress> old, TimeSpan now)
    {
        Counters.LocalLocatorChanges++;
        var removed = old.Where(o => !_localLocators.Exists(n => n.Address.Equals(o.Address))).ToList();
        DebugLog?.Invoke($"local locators changed: {string.Join(", ", old)} -> {string.Join(", ", _localLocators)}");

        // Reflexive candidates the driver or a registrar found from a base that is gone no longer exist.
        _extraCandidates.RemoveAll(c => c.Type != Wire.Parameters.CandidateKind.Relayed && removed.Exists(r => r.Address.Equals(c.Base.Address)));
        foreach (var a in _associations.Values)
        {
            a.ReflexivePerBase.RemoveAll(c => removed.Exists(r => r.Address.Equals(c.Base.Address)));
        }

        var peers = new List<HostAssociation>();
        foreach (var a in _associations.Values)
        {
            if (a.State is not (AssociationState.Established or AssociationState.R2Sent))
            {
                continue;
            }

            bool activeLost = a.ActivePair is { } ap && !IsOurAddress(ap.Local);
            MoveLocalsOff(a, removed);

            // Step 1 (draft §5.1; RFC 9028 §4.9): registrations are updated from the new address first.
            var regs = a.ClientRegistrations.Where(r => r.State is RegistrationState.Granted or RegistrationState.Requested).ToList();
            if (regs.Count > 0)
            {
                a.PendingRegistration = new RegistrationRequest(a.PeerHit, regs.Select(r => r.Type).ToArray(), regs.Max(r => r.RequestedLifetime));
                AbandonPendingUpdate(a);
                if (StartUpdate(a.PeerHit, now, UpdateKind.Registration, null))
                {
                    _handoverRegistrars.Add(a.PeerHit);
                    RetransmitSoon(a, now);
                }

                continue;
            }

            if (a.SaPairs.Count == 0 && a.Ice is null)
            {
                continue;
            }

            Counters.HandoversStarted++;
            a.LastHandover = new HandoverRecord(now, activeLost ? "our address of the active path was removed" : "our locators changed", mobile: true);
            Raise(new HandoverStarted(now, a.PeerHit, Mobile: true, a.LastHandover.Reason));
            if (activeLost && !TakeCheckedPair(a, now))
            {
                FallBackToRelay(a, now, "our address of the active path was removed");
            }

            a.HandoverUpdateWanted = true;
            peers.Add(a);
        }

        // In parallel with the registrations: the reflexive address of every base (Figure 4).
        GatherReflexivePerBase(now);
        foreach (var a in peers)
        {
            if (_handoverRegistrars.Count == 0 && ReflexiveQueriesPending == 0)
            {
                SendHandoverUpdate(a, now);
            }
            else
            {
                a.HandoverDue = now + _options.HandoverRegistrationWait;
                a.LastHandover?.Step("registrations being updated", now);
            }

            ScheduleTimer(a);
        }
    }

    /// <summary>Pairs whose local address is gone move to the new address of the same family (or stay if none).</summary>
    private void MoveLocalsOff(HostAssociation a, List<TransportAddress> removed)
    {
        foreach (var p in a.Pairs)
        {
            if (p.State is LocatorPairState.Standby or LocatorPairState.Failed && !p.IsRelayed && removed.Exists(r => r.Address.Equals(p.Local.Address)))
            {
                p.State = LocatorPairState.Deprecated; // a standby on the address that went is no standby
                continue;
            }

            if (removed.Exists(r => r.Address.Equals(p.Local.Address)))
            {
                var replacement = DefaultLocal(p.RelayedTo ?? p.Peer);
                if (!IsWildcardAddress(replacement.Address) || replacement.Port != 0)
                {
                    p.Local = replacement with { Port = replacement.Port != 0 ? replacement.Port : p.Local.Port };
                }
            }
        }

        a.ReturnRoutability.RemoveWhere(p => removed.Exists(r => r.Address.Equals(p.Local.Address)));
    }

    /// <summary>An outstanding UPDATE is superseded (its SEQ is never acknowledged): the next one carries its content.</summary>
    private static void AbandonPendingUpdate(HostAssociation a)
    {
        a.PendingUpdate = null;
        a.PendingUpdateViaRelay = null;
        a.PendingUpdateId = null;
        a.PendingUpdateIsRekey = false;
        a.PendingUpdateIsHandover = false;
        a.PendingUpdateSoft = false;
        a.NextUpdateRetransmit = TimeSpan.MaxValue;
    }

    /// <summary>A registrar answered: once all have, the handover UPDATEs go to the peers (draft §5.1 step 4).</summary>
    private void OnRegistrarAnswered(HostAssociation registrar, TimeSpan now)
    {
        if (_handoverRegistrars.Remove(registrar.PeerHit))
        {
            TrySendWaitingHandovers(now);
        }
    }

    private static string OfferDigest(LocatorSetParameter set) =>
        string.Join(",", set.Locators.Select(l => $"{l.Address}:{l.Port}").Order(StringComparer.Ordinal));

    /// <summary>Once registrations and reflexive queries are answered, the waiting handover UPDATEs go out; one that
    /// went out before them (a registrar slow to answer) is sent again if our candidates changed since.</summary>
    private void TrySendWaitingHandovers(TimeSpan now)
    {
        foreach (var a in _associations.Values.ToList())
        {
            if (!a.HandoverUpdateWanted && a.HandoverOffered is { } offered && a.LastHandover is { Mobile: true } h && now - h.Started < TimeSpan.FromSeconds(30)
                && a.State == AssociationState.Established && (OurLocatorSet(a) ?? LocatorSetFor(_localLocators, a)) is { } current && OfferDigest(current) != offered)
            {
                a.LastHandover?.Step("candidates changed after the UPDATE: offered again", now);
                SendHandoverUpdate(a, now);
            }
        }

        if (_handoverRegistrars.Count > 0 || ReflexiveQueriesPending > 0)
        {
            return;
        }

        foreach (var a in _associations.Values.ToList())
        {
            if (a.HandoverUpdateWanted)
            {
                a.LastHandover?.Step("registrations updated", now);
                SendHandoverUpdate(a, now);
                ScheduleTimer(a);
            }
        }
    }

    private void OnHandoverTimer(HostAssociation a, TimeSpan now)
    {
        a.HandoverDue = TimeSpan.MaxValue;
        if (a.HandoverUpdateWanted)
        {
            a.LastHandover?.Step("registrar did not answer in time", now);
            SendHandoverUpdate(a, now);
        }
    }

    /// <summary>The relayed pair of an association (through its control relay), if it has one.</summary>
    private static LocatorPair? RelayPair(HostAssociation a) => a.Paths.Relay;

    /// <summary>The active direct pair is gone: control traffic falls back to the relay (RFC 9028 §4.8, §4.11).</summary>
    private bool FallBackToRelay(HostAssociation a, TimeSpan now, string reason)
    {
        var relay = RelayPair(a);
        if (relay is null || ReferenceEquals(relay, a.ActivePair))
        {
            return false;
        }

        var old = a.ActivePair;
        a.Paths.Activate(relay, LocatorPairState.Failed);
        a.Liveness.Reset(now);
        a.LastHandover?.Step("control through the relay", now);
        DebugLog?.Invoke($"path to {a.PeerHit}: {reason}; control through the relay {relay}");
        Raise(new ActivePathChanged(now, a.PeerHit, old?.Peer ?? default, relay.RelayedTo ?? relay.Peer, Direct: false, reason));
        return true;
    }

    /// <summary>
    /// Sends the handover UPDATE (draft §5.1, Figure 5; RFC 9028 §4.9): ESP_INFO with Old SPI = New SPI = the SA's
    /// current inbound SPI (the SA stays, RFC 8046 §5.3), SEQ, our candidates in ENCRYPTED(LOCATOR_SET), HIP_MAC and
    /// signature — on the active pair, and through the relay on retransmission — then restarts ICE.
    /// </summary>
    private void SendHandoverUpdate(HostAssociation a, TimeSpan now)
    {
        a.HandoverUpdateWanted = false;
        a.ColdBackupOfferPending = false;
        a.HandoverDue = TimeSpan.MaxValue;
        if (a.State is not (AssociationState.Established or AssociationState.R2Sent))
        {
            return;
        }

        AbandonPendingUpdate(a);
        uint id = a.NextUpdateId++;
        var locators = OurLocatorSet(a) ?? LocatorSetFor(_localLocators, a);
        a.HandoverOffered = OfferDigest(locators);
        var route = a.ActivePair;
        var relay = RelayPair(a);
        a.PendingUpdate = BuildHandoverUpdate(a, id, locators, route);
        a.PendingUpdateLength = a.PendingUpdate.Length;
        a.PendingUpdateViaRelay = relay is not null && !ReferenceEquals(relay, route) ? BuildHandoverUpdate(a, id, locators, relay) : null;
        a.PendingUpdateId = id;
        a.PendingUpdateIsHandover = true;
        a.UpdateRetries = 0;
        RetransmitSoon(a, now);
        if (a.TryGetRoute(out var local, out var remote))
        {
            EmitCopy(local, remote, a.PendingUpdate);
            a.LastSent = now;
        }

        if (a.PendingUpdateViaRelay is { } viaRelay && RelayPair(a) is { } relayRoute)
        {
            // The old pair may be gone already: the relay gets a copy at once (RFC 9028 §4.8).
            EmitCopy(relayRoute.Local, relayRoute.Peer, viaRelay);
        }

        a.LastHandover?.Step(route?.IsRelayed == true ? "UPDATE sent through the relay" : "UPDATE sent on the old pair", now);
        DebugLog?.Invoke($"handover UPDATE {id} to {a.PeerHit} on {route}{(a.PendingUpdateViaRelay is null ? string.Empty : " and through the relay")}");
        RestartIce(a, now, "our locators changed");
        ScheduleTimer(a);
    }

    private byte[] BuildHandoverUpdate(HostAssociation a, uint id, LocatorSetParameter locators, LocatorPair? route)
    {
        Span<byte> hip = stackalloc byte[HipHeader.MaxPacketLength];
        var b = new HipPacketBuilder(hip, HipPacketType.Update, LocalHit, a.PeerHit);
        if (a.SaPairs.Count > 0)
        {
            uint spi = a.SaPairs[0].InboundSpi;
            b.Add(new EspInfoParameter(a.KeymatIndex, spi, spi));
        }

        b.Add(new SeqParameter(id));
        AddEncrypted(ref b, a.Cipher, a.OurEncryptionKey, locators, hostId: false);
        AddMac(ref b, a.Suite, a.OurIntegrityKey);
        AddSignature(ref b);
        if (route is not null)
        {
            AddRelayTo(ref b, route);
        }

        return hip[..b.Finish()].ToArray();
    }

    /// <summary>
    /// ICE restart (RFC 9028 §4.9): a new checklist from our candidates now and the peer's latest ones; the pair in
    /// use keeps carrying traffic until a pair of the new checklist works, and the first working direct pair is used
    /// at once (draft §5.1.4) while the nomination follows.
    /// </summary>
    private void RestartIce(HostAssociation a, TimeSpan now, string why, bool holdForEcho = false)
    {
        if (!IsIceMode(a.NatMode))
        {
            StartDirectProbes(a, now, force: true);
            return;
        }

        // A restart that replaces another before it selected anything keeps what was true before that one.
        bool wasRelayed = a.Ice is { OnRelay: true } || a.ActivePair is { ViaDataRelay: true };

        // Peer-reflexive candidates are learned from the peer's checks; a restart that comes after them (the peer
        // restarted first) would not see them again when the peer's pairs to us succeeded already: they carry over.
        var reflexive = a.Ice?.CheckList.RemoteCandidates.Where(c => c.Type == CandidateKind.PeerReflexive).ToList() ?? [];
        a.Ice = null;
        a.EarlyChecks.Clear();
        StartIce(a, now, holdForEcho);
        if (a.Ice is { } ice)
        {
            foreach (var c in reflexive)
            {
                ice.AddRemote(c);
            }

            ice.MarkRestart(wasRelayed);
            Counters.IceRestarts++;
            a.LastHandover?.Step(holdForEcho ? "checklist ready, checks wait for the signed echo" : "checks restarted", now);
            DebugLog?.Invoke($"ICE with {a.PeerHit}: restarted ({why})");
        }

        ScheduleIce(a, now);
    }

    /// <summary>
    /// The peer announced a new locator set in a handover UPDATE (ESP_INFO Old = New): its withdrawn locators are
    /// no path any more, so a direct pair to one of them gives way to the relay it came through, and our checks
    /// restart with its new candidates.
    /// </summary>
    private void OnPeerMoved(HostAssociation a, int withdrawn, RelayedVia? via, TransportAddress remote, TimeSpan now)
    {
        if (a.ColdBackupOfferPending)
        {
            // Our cold-backup offer was still waiting: the restart below checks our candidates as they are now.
            a.ColdBackupOfferPending = false;
            a.HandoverUpdateWanted = false;
            a.HandoverDue = TimeSpan.MaxValue;
        }

        foreach (var p in a.Pairs)
        {
            if (p.State is LocatorPairState.Standby or LocatorPairState.Failed && !p.IsRelayed && !a.PeerLocators.Contains(p.Peer))
            {
                p.State = LocatorPairState.Deprecated; // RFC 8046 §5.3: its peer address was withdrawn
            }
        }

        Counters.HandoversStarted++;
        a.LastHandover = new HandoverRecord(now, "the peer announced new locators", mobile: false);
        Raise(new HandoverStarted(now, a.PeerHit, Mobile: false, a.LastHandover.Reason));
        DebugLog?.Invoke($"{a.PeerHit} moved: {withdrawn} locators withdrawn, now {string.Join(", ", a.PeerCandidates.Select(c => c.Address))}");
        if (via is { Rendezvous: false } v)
        {
            // It reached us through a relay: its address behind the relay is the one the relay saw now, and that
            // address is a candidate of its own (as RELAY_FROM of an I2 is, RFC 9028 §4.2), whatever it offered.
            AddObservedCandidate(a, v.From);

            foreach (var p in a.Pairs)
            {
                if (p.RelayedTo is not null && p.Peer == remote)
                {
                    p.RelayedTo = v.From;
                }
            }

            if (a.ActivePair is { IsRelayed: false } && !TakeCheckedPair(a, now) && !TryUseWithinCredit(a, now))
            {
                FallBackToRelay(a, now, a.PeerLocators.Contains(a.ActivePair.Peer) ? "the peer moved and reached us through the relay" : "the peer withdrew the address of the active path");
            }
        }
        else if (a.ActivePair is { IsRelayed: false } ap && ap.Peer != remote && !a.PeerLocators.Contains(ap.Peer) && TakeCheckedPair(a, now))
        {
            // Its address of the active path is withdrawn, and a pair to another of its addresses is checked already.
        }
        else if (a.ActivePair is { IsRelayed: false } ap2 && ap2.Peer != remote)
        {
            // Directly from its new address: answer there; the echo in our answer verifies it.
            NoteNewPeerAddress(a, remote, now);
        }

        // RFC 9028 §4.9: our checks start once the peer answered the signed echo our answer carries (step 6,
        // ReleaseHeldChecks). With an UPDATE of our own outstanding (both moved: a double jump) the answer can carry
        // no SEQ and no echo; both sides then check at once — the peer's UPDATE was fresh (a SEQ already seen is
        // never a move, RFC 7401 §6.12), and our own UPDATE's acknowledgement would come only over a path that the
        // checks are there to find.
        RestartIce(a, now, "the peer moved", holdForEcho: a.PendingUpdateId is null);
    }

    /// <summary>RFC 9028 §4.9 step 6: a fresh, signed answer of the peer from where it is now; held checks start.</summary>
    private void ReleaseHeldChecks(HostAssociation a, TimeSpan now, string why)
    {
        if (a.Ice is { } ice && ice.Release())
        {
            a.LastHandover?.Step($"checks restarted ({why})", now);
            DebugLog?.Invoke($"ICE with {a.PeerHit}: checks start: {why}");
            OnIceTimer(a, now);
        }
    }

    /// <summary>
    /// Tells the core that ESP of <paramref name="peer"/> whose ICV checked out arrived from <paramref name="remote"/>
    /// at <paramref name="local"/> (draft §3.3: a NAT rebinding or site-multihoming change the peer itself does not
    /// see). If that is not the active pair's address, the address is verified with a signed echo and the path moves
    /// there once it answers.
    /// </summary>
    public void NotePeerAddress(Hit peer, TransportAddress local, TransportAddress remote, TimeSpan now)
    {
        if (!_associations.TryGetValue(peer, out var a) || a.State != AssociationState.Established)
        {
            return;
        }

        if (a.ActivePair is { } ap && (ap.RelayedTo ?? ap.Peer) == remote)
        {
            // The same peer address, but on another of our addresses: the peer sends on the pair from our other
            // uplink. Answer on that pair when it is a verified standby, so both directions share one path (and a
            // failed outbound path of ours is left even though the peer's packets still reach us).
            if (!ap.IsRelayed && !IsWildcardAddress(local.Address) && !local.Address.Equals(ap.Local.Address)
                && a.Paths.Standbys.FirstOrDefault(p => p.Local.Address.Equals(local.Address) && p.Peer == remote) is { } standby)
            {
                SwitchTo(a, standby, now, "the peer's traffic arrives on our other uplink", SwitchKind.Follow);
                ScheduleTimer(a);
            }

            return;
        }

        if (a.Paths.IsRelayAddress(remote))
        {
            return; // from the relay itself
        }

        if (a.Ice is { } ice && ice.CheckList.Pairs.FirstOrDefault(p => p.State == Ice.CandidatePairState.Succeeded && !p.IsRelayed && p.Remote.Address == remote) is { } verified)
        {
            // ICE has checked that address already (RFC 9028 §4.6): no further verification needed.
            ice.Select(verified, now, "the peer's traffic arrives from a checked address");
            ScheduleTimer(a);
            return;
        }

        NoteNewPeerAddress(a, remote, now, local);
        ScheduleTimer(a);
    }

    /// <summary>
    /// An address the peer announced in its locator set, or the peer's end of a verified standby pair (behind our
    /// data relay, its RELAY_TO): a packet from it is the multihomed peer using (or checking, or keeping alive)
    /// another of its paths, not a NAT rebinding (draft §3.3) to move to.
    /// </summary>
    private static bool IsKnownPeerAddress(HostAssociation a, TransportAddress address) =>
        a.PeerLocators.Contains(address) || a.Paths.Standbys.Any(p => (p.RelayedTo ?? p.Peer) == address);

    /// <summary>An authenticated packet came straight from an address of the peer that is not the active path's:
    /// verify it (RFC 8046 §5.4 return routability) and move there when it answers.</summary>
    private void NoteNewPeerAddress(HostAssociation a, TransportAddress remote, TimeSpan now, TransportAddress? local = null)
    {
        if (a.ReturnRoutability.For(remote) is { } probing)
        {
            probing.HeardFrom = true;
            TryUseWithinCredit(a, now);
            return;
        }

        if (remote.Kind != TransportKind.Udp || a.ReturnRoutability.Count >= 8)
        {
            return;
        }

        if (a.Liveness.SuspectedAt is null && a.ActivePair is { IsRelayed: false, ViaDataRelay: false }
            && (a.PeerCandidates.Exists(c => c.Address == remote && c.Type == CandidateKind.Relayed) || FindDataRelayFor(remote) is not null))
        {
            return; // through a data relay while our direct path works: no reason to move there
        }

        if (!a.PeerLocators.Contains(remote) && !a.Peer.AddLocator(remote))
        {
            return;
        }

        a.LastHandover ??= new HandoverRecord(now, "the peer's packets came from a new address", mobile: false);
        DebugLog?.Invoke($"{a.PeerHit}: authenticated traffic from new address {remote}; verifying it");
        StartProbe(a, local ?? DefaultLocal(remote), remote, now, heardFrom: true);
        TryUseWithinCredit(a, now);
    }

    /// <summary>RFC 8046 §5.6.1: with no ACTIVE address left for data, an address the peer's authenticated packets
    /// came from straight is used within credit while its probe runs. True when one is (or already was).</summary>
    private bool TryUseWithinCredit(HostAssociation a, TimeSpan now)
    {
        if (a.ActivePair is { CreditLimited: true })
        {
            return true;
        }

        if (!NoActivePathForData(a) || a.ReturnRoutability.Probes.FirstOrDefault(p => p.HeardFrom && a.PeerLocators.Contains(p.Peer) && !a.Paths.IsRelayAddress(p.Peer)) is not { } heard)
        {
            return false;
        }

        UseWithinCredit(a, heard.Local, heard.Peer, now);
        return true;
    }

    /// <summary>RFC 8046 §5.6.1: whether no ACTIVE address of the peer is left for data — the one in use was withdrawn
    /// by its LOCATOR_SET (§5.3: deprecated) or went silent, or only the control relay (no ESP path) remains.</summary>
    private static bool NoActivePathForData(HostAssociation a) => a.ActivePair switch
    {
        null => true,
        { CreditLimited: true } => false,
        { IsRelayed: true, ViaDataRelay: false } => true,
        { IsRelayed: false, ViaDataRelay: false } ap => !a.PeerLocators.Contains(ap.Peer) || a.Liveness.SuspectedAt is not null,
        _ => false,
    };

    /// <summary>
    /// RFC 8046 §5.6 credit-based authorization: with no ACTIVE address left, an address an authenticated packet of
    /// the peer came from is used at once, data within the peer's credit (the data plane enforces it), while the
    /// signed echo just sent verifies it; the answer lifts the limit, silence falls back to the relay.
    /// </summary>
    private void UseWithinCredit(HostAssociation a, TransportAddress local, TransportAddress remote, TimeSpan now)
    {
        var old = a.ActivePair;
        var pair = a.Paths.DirectTo(remote, local);
        pair.Local = local;
        bool oldMayWork = old is { IsRelayed: true } || (old is not null && a.PeerLocators.Contains(old.Peer));
        a.Paths.Activate(pair, oldMayWork ? LocatorPairState.Standby : LocatorPairState.Deprecated, verified: false);
        Counters.CreditLimitedPaths++;
        a.LastHandover?.Step("new address used within credit", now);
        DebugLog?.Invoke($"{a.PeerHit}: data to {remote} within credit until it answers (RFC 8046 §5.6)");
        Raise(new ActivePathChanged(now, a.PeerHit, old?.Peer ?? default, remote, Direct: true, "the peer's new address, within credit until verified", Verified: false));
    }

    /// <summary>A handover in progress has a working path again.</summary>
    private void CompleteHandover(HostAssociation a, TimeSpan now, string how)
    {
        if (a.LastHandover is not { Completed: null } h)
        {
            return;
        }

        h.Complete(how, now);
        a.Liveness.Reset(now);
        Counters.HandoversCompleted++;
        DebugLog?.Invoke($"handover with {a.PeerHit} done in {(now - h.Started).TotalMilliseconds:F0} ms: {h}");
        Raise(new HandoverCompleted(now, a.PeerHit, h.Mobile, now - h.Started, how));
    }

    /// <summary>
    /// A registrar reports a new reflexive address for us while our own addresses did not change: our NAT rebound
    /// or our site changed uplink (draft §3.3). For the peers it is a move like any other: new candidates, offered
    /// by a handover UPDATE, and new checks.
    /// </summary>
    private void OnReflexiveAddressChanged(HostAssociation registrar, TransportAddress before, TransportAddress after, TimeSpan now)
    {
        DebugLog?.Invoke($"registrar {registrar.PeerHit} sees us at {after}, was {before}: our NAT mapping changed");
        _extraCandidates.RemoveAll(c => c.Type == Wire.Parameters.CandidateKind.ServerReflexive && c.Address == before);
        registrar.ReflexivePerBase.RemoveAll(c => c.Address == before);
        foreach (var a in _associations.Values.ToList())
        {
            if (a.State != AssociationState.Established || ReferenceEquals(a, registrar) || a.ClientRegistrations.Count > 0 || (a.SaPairs.Count == 0 && a.Ice is null))
            {
                continue;
            }

            Counters.HandoversStarted++;
            a.LastHandover = new HandoverRecord(now, $"our NAT mapping changed ({before} -> {after})", mobile: true);
            Raise(new HandoverStarted(now, a.PeerHit, Mobile: true, a.LastHandover.Reason));
            SendHandoverUpdate(a, now);
        }
    }

    /// <summary>Arms the silence window of the active path (draft §5.2; <see cref="Paths.PathLiveness.Due"/>).</summary>
    private void ScheduleLiveness(HostAssociation a, TimeSpan now)
    {
        var window = SilenceWindow(a);
        if (window <= TimeSpan.Zero || a.State != AssociationState.Established)
        {
            a.LivenessDue = TimeSpan.MaxValue;
            return;
        }

        var due = a.Liveness.Due(window);
        a.LivenessDue = due > now ? due : now;
    }

    private TimeSpan SilenceWindow(HostAssociation a)
    {
        var w = _options.PathSilenceTimeout;
        if (w > TimeSpan.Zero && _options.FailoverSilenceTimeout > TimeSpan.Zero && _options.FailoverSilenceTimeout < w
            && a.Paths.Standbys.Any())
        {
            w = _options.FailoverSilenceTimeout; // a standby is ready: a false alarm costs little (draft §3.2.1)
        }

        if (w <= TimeSpan.Zero)
        {
            return TimeSpan.Zero;
        }

        var rtt = a.ActivePair?.Rtt ?? TimeSpan.Zero;
        return rtt * 3 > w ? rtt * 3 : w;
    }

    /// <summary>How long after the path was last heard suspicion goes on: past it the association is idle (or gone)
    /// and keepalives and the peer timeout take over.</summary>
    private static readonly TimeSpan LivenessHorizon = TimeSpan.FromSeconds(30);

    private void OnLivenessTimer(HostAssociation a, TimeSpan now)
    {
        a.LivenessDue = TimeSpan.MaxValue;
        var window = SilenceWindow(a);
        if (a.State != AssociationState.Established || window <= TimeSpan.Zero)
        {
            return;
        }

        switch (a.Liveness.Judge(now, window, LivenessHorizon))
        {
            case Paths.PathVerdict.Wait:
                ScheduleLiveness(a, now);
                return;
            case Paths.PathVerdict.Idle:
                return; // traffic re-arms the check (NoteTraffic)
        }

        OnPathSuspect(a, now, $"nothing heard on {a.ActivePair} for {(now - a.Liveness.LastHeard).TotalMilliseconds:F0} ms while traffic flowed");
        ScheduleLiveness(a, now);
        if (a.LivenessDue <= now)
        {
            a.LivenessDue = now + window; // never due again in the same instant: the timer loop would not end
        }
    }

    /// <summary>
    /// The active path may be broken (silence while traffic flowed, or an unanswered UPDATE): refresh the
    /// registrations, whose REG_FROM tells whether our NAT mapping changed (then a handover follows), probe the
    /// active pair directly, and let the peer hear from us through the relay.
    /// </summary>
    private void OnPathSuspect(HostAssociation a, TimeSpan now, string why)
    {
        if (a.Liveness.SuspectedAt is { } s && now - s < SilenceWindow(a))
        {
            return;
        }

        a.Liveness.Suspect(now);
        Counters.PathsSuspected++;
        DebugLog?.Invoke($"path to {a.PeerHit} suspected: {why}");
        Raise(new PathSuspected(now, a.PeerHit, why));
        if (_lastRegistrationRefresh is not { } last || now - last >= TimeSpan.FromSeconds(1))
        {
            _lastRegistrationRefresh = now;
            foreach (var r in _associations.Values)
            {
                var regs = r.ClientRegistrations.Where(x => x.State == RegistrationState.Granted).ToList();
                if (regs.Count > 0 && r.State == AssociationState.Established && r.PendingUpdateId is null)
                {
                    r.PendingRegistration = new RegistrationRequest(r.PeerHit, regs.Select(x => x.Type).ToArray(), regs.Max(x => x.RequestedLifetime));
                    StartUpdate(r.PeerHit, now, UpdateKind.Registration, null);
                    RetransmitSoon(r, now);
                    ScheduleTimer(r);
                }
            }
        }

        if (a.ActivePair is { } direct && (!direct.IsRelayed || direct.ViaDataRelay))
        {
            // RFC 8046 §5.4 on the pair in use (direct, or through a data relay); the copy of a direct pair's echo
            // through the control relay reaches a peer whose NAT dropped us. Unanswered, the pair failed: a standby
            // takes over, or candidates are gathered again (HipHost.Failover).
            a.ReturnRoutability.RemoveWhere(p => p.Peer == direct.Peer && p.Local == direct.Local && p.RelayedTo == direct.RelayedTo);
            StartProbe(a, direct.Local, direct.Peer, now, purpose: PathProbePurpose.Liveness, relayedTo: direct.RelayedTo, viaDataRelay: direct.ViaDataRelay);
            if (!direct.ViaDataRelay && RelayPair(a) is { } relay && a.ReturnRoutability.For(direct.Local, direct.Peer, PathProbePurpose.Liveness) is { Packet: { } packet })
            {
                EmitViaRelay(relay, packet);
            }

            if (HasStandby(a, now) && _options.FailoverSilenceTimeout > TimeSpan.Zero)
            {
                // Hot backup (draft §3.2.1): the standby takes over unless the echo is answered within a few round trips.
                var rtt3 = direct.Rtt * 3;
                a.FailoverDue = now + (rtt3 > _options.FailoverProbeWait ? rtt3 : _options.FailoverProbeWait);
            }
        }
        else if (a.ActivePair is { IsRelayed: true })
        {
            // Through the relay we hear nothing although we send: the peer's own packets are what is lost. It is told
            // (HipHost.Failover.OnPeerHearsNothing); a direct pair of ours tells it only once its echo went unanswered.
            SendPathUnheard(a);
        }
    }

    /// <summary>A signed NOTIFY PATH_UNHEARD through the control relay (not on the silent pair), or on the pair
    /// <paramref name="on"/> (one that works, for a peer the relay may not reach).</summary>
    private void SendPathUnheard(HostAssociation a, LocatorPair? on = null)
    {
        var via = on ?? RelayPair(a);
        if (via is null)
        {
            return;
        }

        Span<byte> hip = stackalloc byte[HipHeader.MaxPacketLength];
        EmitViaRelay(via, hip[..BuildNotice(a, NotifyMessageType.PathUnheard, hip, relayTo: false)]);
        Counters.PathUnheardSent++;
    }

    private TimeSpan? _lastRegistrationRefresh;

    /// <summary>Sends a stored control packet (no RELAY_TO) through the relay pair, adding RELAY_TO where the pair needs it.</summary>
    private void EmitViaRelay(LocatorPair relay, ReadOnlySpan<byte> packet) =>
        EmitWithRelayTo(relay.Local, relay.Peer, relay.RelayedTo, packet);

    /// <summary>Sends a stored control packet (no RELAY_TO) from <paramref name="local"/> to <paramref name="peer"/>,
    /// with RELAY_TO <paramref name="relayTo"/> appended when <paramref name="peer"/> is a relay that forwards it.</summary>
    private void EmitWithRelayTo(TransportAddress local, TransportAddress peer, TransportAddress? relayTo, ReadOnlySpan<byte> packet)
    {
        if (relayTo is not { } to)
        {
            EmitCopy(local, peer, packet);
            return;
        }

        // RELAY_TO follows the signature (RFC 9028 §5.9: not covered by it), so it is appended to the signed packet.
        var param = new RelayToParameter(to.Address, to.Port);
        int contentLength = param.GetContentLength();
        int written = HipParameterHeader.TotalLength(contentLength);
        var buf = RentPacketBuffer();
        var hip = buf.AsSpan(UdpMarkerLength, packet.Length + written);
        packet.CopyTo(hip);
        var tail = hip[packet.Length..];
        tail.Clear();
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(tail, ParameterType.RelayTo);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(tail[2..], (ushort)contentLength);
        param.WriteContents(tail.Slice(HipParameterHeader.Size, contentLength));
        HipHeader.PatchLength(hip, packet.Length + written);
        Emit(local, peer, buf, packet.Length + written);
    }

    /// <summary>
    /// A handover's UPDATEs are retransmitted sooner than RFC 7401's usual start (a few round trips, at least
    /// 100 ms): the first copy often leaves while the new link is still coming up (address resolution, a bridge or
    /// access point not forwarding yet), and every retransmission interval is time without a path.
    /// </summary>
    private void RetransmitSoon(HostAssociation a, TimeSpan now)
    {
        if (a.PendingUpdateId is null)
        {
            return;
        }

        var rtt = a.ActivePair?.Rtt ?? TimeSpan.Zero;
        var rto = rtt * 3 > HandoverRetransmitInitial ? rtt * 3 : HandoverRetransmitInitial;
        a.UpdateInterval = rto < _options.RetransmitInitial ? rto : _options.RetransmitInitial;
        a.NextUpdateRetransmit = now + a.UpdateInterval;
        a.PendingUpdateSoft = true;
        ScheduleTimer(a);
    }

    private static readonly TimeSpan HandoverRetransmitInitial = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Make-before-break (draft §3.1): the active pair's address went, but the checklist already holds a working
    /// direct pair from an address we still have (checked while both uplinks were up): it carries the traffic at
    /// once, while the handover's UPDATE and new checks follow.
    /// </summary>
    private bool TakeCheckedPair(HostAssociation a, TimeSpan now)
    {
        if (a.Ice is not { } ice)
        {
            return false;
        }

        foreach (var p in ice.CheckList.Pairs.OrderByDescending(p => p.Priority))
        {
            if (p.State == Ice.CandidatePairState.Succeeded && !p.IsRelayed && !ReferenceEquals(p, ice.Selected)
                && _localLocators.Exists(l => l.Address.Equals(p.Local.Base.Address))
                && (a.PeerCandidates.Exists(c => c.Address == p.Remote.Address) || p.Remote.Type == Wire.Parameters.CandidateKind.PeerReflexive))
            {
                return ice.TakeOver(p, now, "checked before the old address went (make-before-break)");
            }
        }

        return false;
    }
}
