using Hipnat.Core.Association;
using Hipnat.Core.Transport;
using Hipnat.Wire;
using Hipnat.Wire.Packets;
using Hipnat.Wire.Parameters;

namespace Hipnat.Core.Host;

/// <summary>
/// UPDATE (RFC 7401 §6.11-6.12): SEQ/ACK reliability with retransmission, ESP_INFO rekeying and parallel SA
/// pairs (RFC 7402 §6.8-6.9, RFC 8047 §4: Old SPI 0 adds an SA pair), LOCATOR_SET announcements (RFC 8046 §4).
/// </summary>
public sealed partial class HipHost
{
    /// <summary>Rekeys the association's first SA pair: new inbound SPI, keys continue from KEYMAT (RFC 7402 §6.8).</summary>
    public bool Rekey(Hit peer, TimeSpan now) => StartUpdate(peer, now, UpdateKind.Rekey, null);

    /// <summary>Adds a parallel SA pair (ESP_INFO with Old SPI 0; RFC 8047 simultaneous multihoming).</summary>
    public bool AddSaPair(Hit peer, TimeSpan now) => StartUpdate(peer, now, UpdateKind.NewSa, null);

    /// <summary>Announces our locator set (RFC 8046 §4) in a SEQ-carrying UPDATE.</summary>
    public bool AnnounceLocators(Hit peer, IReadOnlyList<TransportAddress> locators, TimeSpan now) =>
        StartUpdate(peer, now, UpdateKind.Locators, locators);

    private enum UpdateKind
    {
        Rekey,
        NewSa,
        Locators,
        Registration,
        Permission,
    }

    /// <param name="path">For <see cref="UpdateKind.NewSa"/>: the locator pair of a further interface; the UPDATE goes
    /// there with that interface's LOCATOR_SET and the new SA pair is bound to it (RFC 8047 §4.2.4).</param>
    private bool StartUpdate(Hit peer, TimeSpan now, UpdateKind kind, IReadOnlyList<TransportAddress>? locators,
        (TransportAddress Local, TransportAddress Peer)? path = null)
    {
        if (!_associations.TryGetValue(peer, out var a) || a.State is not (AssociationState.Established or AssociationState.R2Sent))
        {
            return false;
        }

        if (a.PendingUpdateId is not null)
        {
            return false; // one outstanding SEQ at a time (§6.11)
        }

        uint id = a.NextUpdateId++;
        Span<byte> hip = stackalloc byte[HipHeader.MaxPacketLength];
        var b = new HipPacketBuilder(hip, HipPacketType.Update, LocalHit, peer);
        if (kind == UpdateKind.Rekey && a.SaPairs.Count > 0)
        {
            uint newSpi = _random.NextSpi();
            a.PendingRekeyNewSpi = newSpi;
            a.PendingRekeyIndex = a.KeymatIndex;
            b.Add(new EspInfoParameter(a.KeymatIndex, a.SaPairs[0].InboundSpi, newSpi));
        }
        else if (kind == UpdateKind.NewSa)
        {
            uint newSpi = _random.NextSpi();
            a.PendingRekeyNewSpi = newSpi;
            a.PendingRekeyIndex = a.KeymatIndex;
            b.Add(new EspInfoParameter(a.KeymatIndex, 0, newSpi));
            if (path is { } interfacePath)
            {
                b.Add(InterfaceLocatorSet(a, interfacePath.Local, newSpi));
            }
        }

        if (kind == UpdateKind.Locators && locators is not null)
        {
            b.Add(LocatorSetFor(locators, a));
        }
        else if (kind == UpdateKind.Locators && OurLocatorSet(a) is { } candidates)
        {
            b.Add(candidates); // our ICE candidates, re-offered (RFC 9028 §4.9)
        }

        b.Add(new SeqParameter(id));
        if (kind == UpdateKind.Registration)
        {
            AddRegRequest(ref b, a, now, inI2: false);
        }

        if (kind is UpdateKind.Permission or UpdateKind.Registration)
        {
            AddPeerPermissions(ref b, a);
        }

        AddMac(ref b, a.Suite, a.OurIntegrityKey);
        AddSignature(ref b);
        if (path is null && a.ActivePair is { } route)
        {
            AddRelayTo(ref b, route);
        }

        int len = b.Finish();
        a.PendingUpdate = hip[..len].ToArray();
        a.PendingUpdateLength = len;
        a.PendingUpdateId = id;
        a.PendingUpdateSoft = path is not null; // a further interface that does not answer costs its SA pair, not the association
        a.Multihoming.PendingUpdateId = path is null ? null : id;
        a.PendingUpdateIsRekey = kind is UpdateKind.Rekey or UpdateKind.NewSa;
        a.UpdateRetries = 0;
        a.UpdateInterval = _options.RetransmitInitial;
        if (path is { } p)
        {
            a.Multihoming.PendingPath = p;
            EmitCopy(p.Local, p.Peer, a.PendingUpdate.AsSpan(0, len));
            a.LastSent = now;
        }
        else if (a.TryGetRoute(out var local, out var remote))
        {
            EmitCopy(local, remote, a.PendingUpdate.AsSpan(0, len));
            a.LastSent = now;
        }

        a.NextUpdateRetransmit = now + a.UpdateInterval;
        ScheduleTimer(a);
        return true;
    }

    private LocatorSetParameter LocatorSetFor(IReadOnlyList<TransportAddress> locators, HostAssociation a)
    {
        uint spi = a.SaPairs.Count > 0 ? a.SaPairs[0].InboundSpi : 0;
        var list = new Locator[locators.Count];
        for (int i = 0; i < locators.Count; i++)
        {
            var l = locators[i];
            list[i] = l.Kind == TransportKind.Udp
                ? Locator.ForTransportAddress(l.Address, l.Port, CandidateKind.Host, priority: 0, spi, lifetime: LocatorLifetime, preferred: i == 0)
                : Locator.ForEspAddress(spi, l.Address, LocatorLifetime, preferred: i == 0);
        }

        return new LocatorSetParameter(list);
    }

    /// <summary>Lifetime announced for our locators, in seconds (RFC 8046 §4).</summary>
    private const uint LocatorLifetime = 600;

    private void RetransmitUpdate(HostAssociation a, TimeSpan now)
    {
        if (a.PendingUpdate is null)
        {
            a.NextUpdateRetransmit = TimeSpan.MaxValue;
            return;
        }

        if (a.UpdateRetries >= _options.UpdateRetriesMax && a.PendingUpdateSoft)
        {
            DebugLog?.Invoke($"UPDATE {a.PendingUpdateId} to {a.PeerHit} not acknowledged after {a.UpdateRetries + 1} transmissions; given up (handover)");
            AbandonPendingUpdate(a);
            return;
        }

        if (a.UpdateRetries >= _options.UpdateRetriesMax)
        {
            a.PendingUpdateViaRelay = null;
            // §6.11: UPDATE_RETRY_MAX exceeded; the association's path is considered failed.
            a.PendingUpdate = null;
            a.PendingUpdateId = null;
            a.NextUpdateRetransmit = TimeSpan.MaxValue;
            Fail(a, now, $"UPDATE not acknowledged after {a.UpdateRetries + 1} transmissions");
            return;
        }

        a.UpdateRetries++;
        Counters.Retransmissions++;
        if (a.Multihoming.IsPending(a.PendingUpdateId))
        {
            // A multihoming UPDATE stays on its interface's path: the new SA pair is bound to it (RFC 8047 §4.2.4).
            var (mhLocal, mhPeer) = a.Multihoming.PendingPath;
            EmitCopy(mhLocal, mhPeer, a.PendingUpdate.AsSpan(0, a.PendingUpdateLength));
            a.UpdateInterval = Min(a.UpdateInterval * 2, _options.RetransmitMax);
            a.NextUpdateRetransmit = now + a.UpdateInterval;
            return;
        }

        if (a.TryGetRoute(out var local, out var remote))
        {
            EmitCopy(local, remote, a.PendingUpdate.AsSpan(0, a.PendingUpdateLength));
            a.LastSent = now;
        }

        if (RelayPair(a) is { } relay && !ReferenceEquals(relay, a.ActivePair))
        {
            // RFC 9028 §4.8: an unacknowledged UPDATE goes through the relay too, the direct pair may be gone.
            if (a.PendingUpdateViaRelay is { } viaRelay)
            {
                EmitCopy(relay.Local, relay.Peer, viaRelay);
            }
            else
            {
                EmitViaRelay(relay, a.PendingUpdate.AsSpan(0, a.PendingUpdateLength));
            }

            if (a.UpdateRetries == 1)
            {
                OnPathSuspect(a, now, "an UPDATE on the active pair was not acknowledged");
            }
        }

        a.UpdateInterval = Min(a.UpdateInterval * 2, _options.RetransmitMax);
        a.NextUpdateRetransmit = now + a.UpdateInterval;
    }

    private void OnUpdate(HipPacket packet, TransportAddress local, TransportAddress remote, TimeSpan now, RelayedVia? via)
    {
        var peer = packet.Header.SenderHit;
        if (_associations.TryGetValue(peer, out var early) && early.State == AssociationState.I2Sent && early.PeerIdentity is not null
            && packet.Has(ParameterType.CandidatePriority) && early.EarlyChecks.Count < 4)
        {
            // RFC 9028 §4.6.2: the responder's first checks can overtake its R2 (relayed); keep a few and
            // process them, authenticated as usual, once the R2 has established the association.
            early.EarlyChecks.Add((packet.Data[..packet.Header.PacketLength].ToArray(), local, remote, via));
            return;
        }

        if (!_associations.TryGetValue(peer, out var a) || a.PeerIdentity is null
            || a.State is not (AssociationState.Established or AssociationState.R2Sent))
        {
            Drop(DropReason.UnknownAssociation, $"UPDATE from {peer} without an established association");
            return;
        }

        // §6.12 steps 1-3: MAC then signature before anything is looked at.
        if (!Authenticate(packet, a, "UPDATE"))
        {
            return;
        }

        bool hasSeq = packet.TryGet<SeqParameter>(out var seq);
        bool hasAck = packet.TryGet<AckParameter>(out var ack);
        if (!hasSeq && !hasAck)
        {
            Drop(DropReason.Malformed, $"UPDATE from {peer} with neither SEQ nor ACK (§5.3.5)");
            return;
        }

        a.LastSeen = now;
        if (a.State == AssociationState.R2Sent)
        {
            Establish(a, now); // Table 5: UPDATE received in R2-SENT.
        }

        // RFC 9028 §4.6: connectivity checks, their answers and the nomination exchange.
        if (TryHandleIceUpdate(packet, a, local, remote, via, now))
        {
            ScheduleTimer(a);
            return;
        }

        // Only an UPDATE that changes state is processed once; a return-routability probe (SEQ and a signed echo,
        // nothing else) is answered whenever it comes, so probes may run beside an outstanding UPDATE without making
        // its retransmission look like a duplicate (RFC 7401 §6.12; RFC 8046 §5.4).
        bool stateful = hasSeq && (packet.Has(ParameterType.EspInfo) || packet.Has(ParameterType.LocatorSet) || packet.Has(ParameterType.Encrypted)
            || packet.Has(ParameterType.RegRequest) || packet.Has(ParameterType.PeerPermission));

        // RFC 7401 §6.12.1 step 2: a SEQ already processed is a retransmission, or a replay by someone who captured
        // it: acknowledged again, nothing in it applied again (locators, registration, permissions, new addresses).
        bool replayed = stateful && a.LastPeerUpdateId is uint lastId && seq.UpdateId <= lastId;
        if (replayed)
        {
            if (!a.ReplayAnswers.TryTake(HostAssociation.ReplayAnswerBurst, HostAssociation.ReplayAnswersPerSecond, now))
            {
                // A peer resends an unacknowledged UPDATE with backoff (§6.12); more than this is someone replaying it.
                Drop(DropReason.RateLimited, $"UPDATE SEQ {seq.UpdateId} from {peer} already processed, and acknowledged again too often: not answered");
                return;
            }

            Drop(DropReason.Duplicate, $"UPDATE SEQ {seq.UpdateId} from {peer} already processed (last {a.LastPeerUpdateId}): acknowledged again, not applied again");
        }

        bool rekeyed = false;
        bool ourUpdateAcked = false;
        if (hasAck && a.PendingUpdateId is uint pendingId && ack.UpdateIds.Contains(pendingId))
        {
            ourUpdateAcked = true;
            if (a.ActivePair is { } ap && a.UpdateRetries == 0 && !a.Multihoming.IsPending(pendingId))
            {
                ap.Rtt = now - a.LastSent;
            }
        }

        uint? peerNewSpi = null;
        uint peerOldSpi = 0;
        ushort peerIndex = 0;
        if (packet.TryGet<EspInfoParameter>(out var espInfo))
        {
            peerNewSpi = espInfo.NewSpi;
            peerOldSpi = espInfo.OldSpi;
            peerIndex = espInfo.KeymatIndex;
        }

        // RFC 8046 §5.3 / draft-melen-hip-nat-mm §5.1: ESP_INFO with Old SPI = New SPI (non-zero) and a LOCATOR_SET
        // is a locator update (the peer moved), never a rekey.
        bool locatorUpdate = peerNewSpi is uint nsp && nsp != 0 && nsp == peerOldSpi;
        bool peerMoved = false;
        if (!replayed && TryReadPeerLocatorSet(packet, a, a.Cipher, a.PeerEncryptionKey, out var locatorSet))
        {
            var (_, withdrawn) = ApplyPeerLocatorSet(a, locatorSet, fullSet: locatorUpdate, via?.From ?? remote);
            if (locatorUpdate)
            {
                peerMoved = true;
                OnPeerMoved(a, withdrawn, via, remote, now);
            }
            else
            {
                CheckNewPeerCandidates(a, now);
            }
        }

        if (hasSeq && replayed && a.LastPeerAnswer is { } cachedAnswer && a.LastPeerUpdateId == seq.UpdateId)
        {
            // §6.12.1 step 2: the answer to the last UPDATE is cached and sent again as it was (with its ESP_INFO,
            // REG_RESPONSE or locators, whichever the first copy got).
            EmitCopy(local, remote, cachedAnswer);
            a.LastSent = now;
        }
        else if (hasSeq)
        {
            uint id = seq.UpdateId;
            bool duplicate = replayed;
            if (!duplicate && stateful)
            {
                a.LastPeerUpdateId = id;
            }

            Span<byte> hip = stackalloc byte[HipHeader.MaxPacketLength];
            var b = new HipPacketBuilder(hip, HipPacketType.Update, LocalHit, peer);
            bool withSeq = false;
            if (!duplicate && !locatorUpdate && peerNewSpi is uint ns && ns != 0)
            {
                if (ourUpdateAcked && a.PendingUpdateIsRekey)
                {
                    // Our rekey answered with the peer's ESP_INFO: both directions switch now.
                    rekeyed = ApplyRekey(a, peerOldSpi, ns, a.PendingRekeyNewSpi, a.PendingRekeyIndex, now,
                        a.Multihoming.IsPending(a.PendingUpdateId) ? a.Multihoming.PendingPath : null);
                }
                else
                {
                    // The peer rekeys (or adds an SA): answer with our ESP_INFO, SEQ and ACK (RFC 7402 §6.9).
                    uint ourNew = _random.NextSpi();
                    uint ourOld = 0;
                    if (peerOldSpi != 0)
                    {
                        var sa = a.SaPairs.Find(s => s.OutboundSpi == peerOldSpi);
                        ourOld = sa?.InboundSpi ?? 0;
                    }

                    b.Add(new EspInfoParameter(peerIndex, ourOld, ourNew));

                    // RFC 8047 §4.2.4: a new SA pair (Old SPI 0) belongs to the locator pair its UPDATE came over
                    // (our address it was sent to, the peer's it came from).
                    bool newPair = peerOldSpi == 0;
                    rekeyed = ApplyRekey(a, peerOldSpi, ns, ourNew, peerIndex, now, newPair && via is null ? (local, remote) : null);
                    if (newPair)
                    {
                        Counters.MultihomingUpdatesAnswered++;
                    }

                    withSeq = a.PendingUpdateId is null;
                }
            }
            else if (peerMoved)
            {
                withSeq = a.PendingUpdateId is null;
            }

            uint ourSeq = 0;
            if (withSeq)
            {
                ourSeq = a.NextUpdateId++;
                b.Add(new SeqParameter(ourSeq));
            }

            b.Add(new AckParameter([id]));
            if (peerMoved)
            {
                // RFC 9028 §4.9: the peer answers a handover with its own candidates (ENCRYPTED LOCATOR_SET) and
                // a signed echo request that verifies the mobile host's new address.
                AddEncrypted(ref b, a.Cipher, a.OurEncryptionKey, OurLocatorSet(a) ?? LocatorSetFor(_localLocators, a), hostId: false);
                if (withSeq)
                {
                    b.AddRaw(ParameterType.EchoRequestSigned, a.HandoverEchoNonce = _random.NextBytes(16));
                }
            }

            if (!duplicate && packet.Has(ParameterType.RegRequest))
            {
                AnswerRegRequest(packet, a, local, via?.From ?? remote, now, ref b);
            }

            if (packet.TryFind(ParameterType.EchoRequestSigned, out var echoRequest))
            {
                // RFC 8046 §5.4: echo the nonce so the sender can verify this address.
                b.AddRaw(ParameterType.EchoResponseSigned, echoRequest.Contents);
            }

            AddMac(ref b, a.Suite, a.OurIntegrityKey);
            AddSignature(ref b);
            if (via is { Rendezvous: false } relayedVia)
            {
                // Answer the way it came: through the relay, with RELAY_TO (RFC 9028 §4.8).
                b.Add(new RelayToParameter(relayedVia.From.Address, relayedVia.From.Port));
            }

            int len = b.Finish();
            if (withSeq)
            {
                a.PendingUpdate = hip[..len].ToArray();
                a.PendingUpdateLength = len;
                a.PendingUpdateId = ourSeq;
                a.PendingUpdateSoft = false;
                a.PendingUpdateIsRekey = false;
                a.UpdateRetries = 0;
                a.UpdateInterval = _options.RetransmitInitial;
                a.NextUpdateRetransmit = now + a.UpdateInterval;
            }

            if (stateful && !duplicate)
            {
                a.LastPeerAnswer = hip[..len].ToArray();
            }

            EmitCopy(local, remote, hip[..len]);
            a.LastSent = now;
        }

        CheckProbeAnswer(packet, a, local, remote, via, now);
        if (replayed)
        {
            // (A replay from some other address says nothing about where the peer is.)
        }
        else if (via is { Rendezvous: false } rv && !peerMoved && a.ActivePair is { IsRelayed: false } current && rv.From != current.Peer
            && a.NatMode != NatTraversalMode.Reserved && !IsKnownPeerAddress(a, rv.From))
        {
            // Through the relay from an address that is not the active path's: the peer's NAT mapping changed
            // (draft §3.3). The relay pair follows it, and a direct probe there opens our own NAT to it.
            foreach (var p in a.Pairs)
            {
                if (p.RelayedTo is not null && p.Peer == remote)
                {
                    p.RelayedTo = rv.From;
                }
            }

            NoteNewPeerAddress(a, rv.From, now);
        }
        else if (via is null && !peerMoved && a.ActivePair is { IsRelayed: false } direct && direct.Peer != remote
            && !a.Paths.IsRelayAddress(remote) && !IsKnownPeerAddress(a, remote) && !IsBoundPath(a, local, remote))
        {
            // Draft §3.3: an authenticated packet of the peer from an address that is not the active path's (its
            // NAT rebound, or its site changed uplink): verify the address and move there.
            NoteNewPeerAddress(a, remote, now, local);
        }

        if (!replayed)
        {
            ApplyPeerPermissions(packet, a, now);
        }

        if (!replayed && via is null && a.ActivePair is { IsRelayed: true } relayedPair && remote != relayedPair.Peer && !a.PeerLocators.Contains(remote)
            && a.PeerLocators.Count < a.Peer.Cap)
        {
            // An authenticated packet straight from an address we did not know: a peer-reflexive candidate
            // (RFC 8445 §7.3.1.3). Probe it; the peer's NAT has just opened a path from there.
            a.PeerLocators.Add(remote);
            StartDirectProbes(a, now);
        }
        if (packet.Has(ParameterType.RegResponse) || packet.Has(ParameterType.RegFailed))
        {
            ProcessRegResponse(packet, a, now);
        }

        if (a.HandoverEchoNonce is { } echoNonce && packet.TryFind(ParameterType.EchoResponseSigned, out var handoverEcho) && FixedEquals(handoverEcho.Contents, echoNonce))
        {
            a.HandoverEchoNonce = null;
            a.LastHandover?.Step("the peer answered the signed echo", now);
            ReleaseHeldChecks(a, now, "the peer answered the signed echo");
        }
        else if (ourUpdateAcked && a.Ice is { HeldForEcho: true })
        {
            ReleaseHeldChecks(a, now, "the peer acknowledged our UPDATE");
        }

        if (ourUpdateAcked)
        {
            uint done = a.PendingUpdateId!.Value;
            if (a.PendingUpdateIsHandover)
            {
                a.LastHandover?.Step("UPDATE acknowledged", now);
                a.PendingUpdateIsHandover = false;
                a.PendingUpdateViaRelay = null;
            }

            a.PendingUpdate = null;
            a.PendingUpdateId = null;
            a.PendingUpdateSoft = false;
            a.NextUpdateRetransmit = TimeSpan.MaxValue;
            Raise(new UpdateCompleted(now, peer, done, rekeyed || a.PendingUpdateIsRekey));
            a.PendingUpdateIsRekey = false;
            if (a.RegistrationUpdateWanted && a.PendingUpdateId is null && a.PendingRegistration is not null)
            {
                // A registration asked for while this UPDATE was in flight (its own REG_RESPONSE, if it carried the
                // request, has cleared PendingRegistration above).
                a.RegistrationUpdateWanted = false;
                StartUpdate(peer, now, UpdateKind.Registration, null);
            }
            else if (a.PermissionUpdateWanted && a.PendingUpdateId is null)
            {
                a.PermissionUpdateWanted = false;
                StartUpdate(peer, now, UpdateKind.Permission, null);
            }
            else if (a.CandidatesUpdateWanted && a.PendingUpdateId is null)
            {
                a.CandidatesUpdateWanted = false;
                StartUpdate(peer, now, UpdateKind.Locators, null);
            }
            else
            {
                CheckMultihoming(a, now); // the next interface's SA pair, one UPDATE at a time
            }
        }
        else if (rekeyed)
        {
            Raise(new UpdateCompleted(now, peer, seq.UpdateId, true));
        }

        ScheduleTimer(a);
    }

    /// <summary>Applies an ESP_INFO exchange: Old SPI 0 adds an SA pair, otherwise the matching pair's SPIs change;
    /// either way both sides draw the new keys from KEYMAT at the announced index (RFC 7402 §6.9).</summary>
    /// <param name="bind">For a new pair: the locator pair it is bound to (RFC 8047 §4.2.4), or null.</param>
    private bool ApplyRekey(HostAssociation a, uint peerOldSpi, uint peerNewSpi, uint ourNewInbound, ushort index, TimeSpan now,
        (TransportAddress Local, TransportAddress Peer)? bind = null)
    {
        EspSaPair sa;
        uint? replaces = null;
        if (peerOldSpi == 0)
        {
            sa = new EspSaPair(ourNewInbound, peerNewSpi, a.EspSuite, index)
            {
                BoundLocal = bind?.Local,
                BoundPeer = bind?.Peer,
            };
            a.SaPairs.Add(sa);
            if (bind is { } path)
            {
                NoteBoundPath(a, path.Local, path.Peer, now);
            }
        }
        else
        {
            var found = a.SaPairs.Find(s => s.OutboundSpi == peerOldSpi);
            if (found is null)
            {
                return false;
            }

            sa = found;
            replaces = sa.InboundSpi;
            sa.OutboundSpi = peerNewSpi;
            sa.InboundSpi = ourNewInbound;
            sa.Generation++;
        }

        if (a.EspSuite != 0 && DrawEspKeys(a, sa, index))
        {
            Raise(new EspSaReady(now, a.PeerHit, sa, replaces));
        }

        return true;
    }
}
