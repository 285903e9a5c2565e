using Hipnat.Core.Association;
using Hipnat.Core.Transport;
using Hipnat.Wire;
using Hipnat.Wire.Packets;
using Hipnat.Wire.Parameters;

namespace Hipnat.Core.Host;

/// <summary>
/// NAT keepalives (RFC 9028 §4.10, §5.3: NOTIFY NAT_KEEPALIVE when nothing else was sent for Tr) and, after a
/// base exchange through a control relay, return-routability probes of the peer's direct locators so that
/// traffic leaves the relay where the NATs allow it (RFC 9028 §4.8, RFC 8046 §5.4).
/// </summary>
public sealed partial class HipHost
{
    /// <summary>Tells the core that other traffic (e.g. ESP) to or from <paramref name="peer"/> flowed, which
    /// postpones keepalives (RFC 9028 §5.3: skipped while other traffic flows).</summary>
    public void NoteTraffic(Hit peer, TimeSpan now, bool sent)
    {
        if (_associations.TryGetValue(peer, out var a))
        {
            if (sent)
            {
                a.LastSent = now;
                a.Liveness.NoteSent(now);
            }
            else
            {
                a.LastSeen = now;
                a.Liveness.NoteHeard(now);
            }

            ScheduleLiveness(a, now);
            ScheduleTimer(a);
        }
    }

    private void ScheduleKeepalive(HostAssociation a)
    {
        var interval = _options.KeepaliveInterval;
        if (interval <= TimeSpan.Zero || a.State != AssociationState.Established)
        {
            a.KeepaliveDue = TimeSpan.MaxValue;
            return;
        }

        var due = a.LastSent + interval;
        if (_options.PeerTimeout > TimeSpan.Zero && a.LastSeen + _options.PeerTimeout < due)
        {
            due = a.LastSeen + _options.PeerTimeout;
        }

        a.KeepaliveDue = due;
    }

    /// <summary>The peer went silent past <see cref="HipHostOptions.PeerTimeout"/>: the association fails, and
    /// if the peer was one of our registrars we register again (a restarted relay lost our registration).</summary>
    private void PeerSilent(HostAssociation a, TimeSpan now)
    {
        var silent = now - a.LastSeen;
        var registrations = a.ClientRegistrations
            .Where(r => r.State is Registration.RegistrationState.Granted or Registration.RegistrationState.Requested)
            .ToList();
        Fail(a, now, $"nothing received from the peer for {silent.TotalSeconds:F0} s (failure detection)");
        if (registrations.Count > 0 && _peerLocators.ContainsKey(a.PeerHit))
        {
            var lifetime = registrations.Max(r => r.RequestedLifetime);
            DebugLog?.Invoke($"registrar {a.PeerHit} silent: registering again");
            Register(a.PeerHit, registrations.Select(r => r.Type).ToArray(), lifetime, now);
        }
    }

    private void OnKeepaliveTimer(HostAssociation a, TimeSpan now)
    {
        var interval = _options.KeepaliveInterval;
        if (a.State != AssociationState.Established || interval <= TimeSpan.Zero)
        {
            a.KeepaliveDue = TimeSpan.MaxValue;
            return;
        }

        if (_options.PeerTimeout > TimeSpan.Zero && now - a.LastSeen >= _options.PeerTimeout)
        {
            PeerSilent(a, now);
            return;
        }

        if (now - a.LastSent >= interval && a.TryGetRoute(out var local, out var remote) && a.NatMode == NatTraversalMode.IceStunUdp
            && a.ActivePair is { RelayedTo: null, ThroughRelay: false })
        {
            // RFC 5770 §5.3: associations created with ICE-STUN-UDP keep NATs open with STUN Binding Indications.
            SendStunKeepalive(local, remote);
            a.LastSent = now;
            Counters.KeepalivesSent++;
        }
        else if (now - a.LastSent >= interval && a.TryGetRoute(out local, out remote))
        {
            Span<byte> hip = stackalloc byte[HipHeader.MaxPacketLength];
            var b = new HipPacketBuilder(hip, HipPacketType.Notify, LocalHit, a.PeerHit);
            b.Add(new NotificationParameter(NotifyMessageType.NatKeepalive));
            AddSignature(ref b);
            AddRelayTo(ref b, a.ActivePair!);
            int len = b.Finish();
            EmitCopy(local, remote, hip[..len]);
            a.LastSent = now;
            Counters.KeepalivesSent++;
        }

        ScheduleKeepalive(a);
    }

    /// <summary>Starts probing the peer's direct locators of an association that runs through a relay (or, with
    /// <paramref name="force"/>, after a handover without ICE whatever the active pair: RFC 8046 §5.4 per locator).</summary>
    private void StartDirectProbes(HostAssociation a, TimeSpan now, bool force = false)
    {
        if (!_options.ProbeDirectPaths || a.ActivePair is not { } route || (!force && !route.IsRelayed))
        {
            ProbeStandbyPairs(a, now);
            return;
        }

        foreach (var candidate in a.PeerLocators)
        {
            if (candidate.Kind != TransportKind.Udp || a.Paths.IsRelayAddress(candidate) || candidate.IsIPv4 != route.Local.IsIPv4
                || (!route.IsRelayed && candidate == route.Peer))
            {
                continue;
            }

            StartProbe(a, DefaultLocal(candidate), candidate, now, schedule: false);
        }

        ProbeStandbyPairs(a, now);
        OnProbeTimer(a, now);
    }

    /// <summary>
    /// Fault tolerance without ICE (draft-melen-hip-nat-mm §4; RFC 8047): a host with more than one address forms
    /// every (local, peer) pair of the locator sets and verifies each with a signed echo; the ones that answer are
    /// standbys beside the one active pair (HipHost.Failover), whatever address the base exchange or the UPDATE used.
    /// </summary>
    private void ProbeStandbyPairs(HostAssociation a, TimeSpan now)
    {
        if (IsIceMode(a.NatMode) || _options.StandbyKeepaliveInterval <= TimeSpan.Zero || a.ActivePair is not { } active)
        {
            return;
        }

        var locals = _localLocators.Where(l => l.Kind == TransportKind.Udp && l.Port != 0 && !IsWildcardAddress(l.Address)).ToList();
        if (locals.Count < 2)
        {
            return;
        }

        int started = 0;
        foreach (var local in locals)
        {
            foreach (var peer in a.PeerLocators)
            {
                if (started >= Paths.LocatorPairSet.MaxStandbys || peer.Kind != TransportKind.Udp || peer.IsIPv4 != local.IsIPv4
                    || a.Paths.IsRelayAddress(peer) || (active.Local.Address.Equals(local.Address) && active.Peer == peer)
                    || a.Paths.Standbys.Any(p => p.Local.Address.Equals(local.Address) && p.Peer == peer))
                {
                    continue;
                }

                StartProbe(a, local, peer, now, schedule: false, purpose: PathProbePurpose.Keepalive);
                started++;
            }
        }

        if (started > 0)
        {
            OnProbeTimer(a, now);
        }
    }

    /// <summary>A return-routability probe of <paramref name="peer"/> (RFC 8046 §5.4): an UPDATE with its own SEQ and
    /// ECHO_REQUEST_SIGNED, retransmitted with backoff; answered from that address, the pair becomes active.</summary>
    private void StartProbe(HostAssociation a, TransportAddress local, TransportAddress peer, TimeSpan now, bool schedule = true, bool heardFrom = false,
        PathProbePurpose purpose = PathProbePurpose.Verify, TransportAddress? relayedTo = null, bool viaDataRelay = false, bool peerHearsNothing = false)
    {
        var running = purpose == PathProbePurpose.Verify ? a.ReturnRoutability.For(peer) : a.ReturnRoutability.For(local, peer, purpose, relayedTo);
        if (running is not null)
        {
            running.HeardFrom |= heardFrom;
            return;
        }

        var probe = new PathProbe(local, peer, a.NextUpdateId++, _random.NextBytes(16))
        {
            Interval = a.Pacing > TimeSpan.Zero ? a.Pacing * 2 : TimeSpan.FromMilliseconds(100),
            NextAt = now,
            FirstSent = now,
            HeardFrom = heardFrom,
            Purpose = purpose,
            RelayedTo = relayedTo,
            ViaDataRelay = viaDataRelay || relayedTo is not null,
            PeerHearsNothing = peerHearsNothing,
            MaxAttempts = purpose switch
            {
                PathProbePurpose.Verify => _options.DirectProbeAttempts,
                PathProbePurpose.Keepalive => KeepaliveProbeAttempts,
                _ => LivenessProbeAttempts,
            },
        };
        if (purpose == PathProbePurpose.Liveness && a.ActivePair is { Rtt: var rtt } && rtt > TimeSpan.Zero && rtt * 2 < probe.Interval)
        {
            // The active pair is suspected: every round trip counts (draft §5.2).
            probe.Interval = rtt * 2 < TimeSpan.FromMilliseconds(20) ? TimeSpan.FromMilliseconds(20) : rtt * 2;
        }
        else if (purpose == PathProbePurpose.Keepalive)
        {
            // A standby or a lane nobody suspects: six sends over about two seconds (0, 0.2, 0.4, 0.6, 1.0 and
            // 1.8 s; given up at 3.4 s), so a path whose queue is full and drops some of them under load is not
            // taken for a failed one.
            var pairRtt = a.Paths.Find(local, peer, relayedTo, viaDataRelay || relayedTo is not null)?.Rtt ?? TimeSpan.Zero;
            probe.Interval = pairRtt * 2 > KeepaliveProbeInterval ? pairRtt * 2 : KeepaliveProbeInterval;
        }

        probe.Packet = BuildProbe(a, probe.UpdateId, probe.Nonce);
        a.ReturnRoutability.Add(probe);
        if (schedule)
        {
            OnProbeTimer(a, now);
        }
    }

    /// <summary>Sends of a keepalive probe (<see cref="PathProbePurpose.Keepalive"/>) before the pair counts as failed.</summary>
    private const int KeepaliveProbeAttempts = 6;

    /// <summary>The spacing of a keepalive probe's first sends (<see cref="PathProbePurpose.Keepalive"/>).</summary>
    private static readonly TimeSpan KeepaliveProbeInterval = TimeSpan.FromMilliseconds(200);

    /// <summary>RFC 8046 §5.4 probe: an UPDATE with SEQ and ECHO_REQUEST_SIGNED only, under HIP_MAC and HIP_SIGNATURE.</summary>
    private byte[] BuildProbe(HostAssociation a, uint updateId, byte[] nonce)
    {
        Span<byte> hip = stackalloc byte[HipHeader.MaxPacketLength];
        var b = new HipPacketBuilder(hip, HipPacketType.Update, LocalHit, a.PeerHit);
        b.Add(new SeqParameter(updateId));
        b.AddRaw(ParameterType.EchoRequestSigned, nonce);
        AddMac(ref b, a.Suite, a.OurIntegrityKey);
        AddSignature(ref b);
        return hip[..b.Finish()].ToArray();
    }

    private void OnProbeTimer(HostAssociation a, TimeSpan now)
    {
        var send = new List<PathProbe>();
        var expired = new List<PathProbe>();
        a.ReturnRoutability.TakeDue(now, send, expired);
        foreach (var p in expired)
        {
            if (p.Purpose != PathProbePurpose.Verify)
            {
                OnProbeExpired(a, p, now);
                continue;
            }

            DebugLog?.Invoke($"direct path to {a.PeerHit} at {p.Peer} did not answer after {p.Attempts} probes");
            if (a.ActivePair is { CreditLimited: true } unverified && unverified.Peer == p.Peer && a.Paths.Relay is not null)
            {
                // RFC 8046 §5.4: the address used within credit never answered; it is no path.
                FallBackToRelay(a, now, "the peer's unverified address did not answer its return-routability probes");
            }
        }

        foreach (var p in send)
        {
            EmitWithRelayTo(p.Local, p.Peer, p.RelayedTo, p.Packet);
            Counters.ProbesSent++;
        }
    }

    /// <summary>An authenticated UPDATE carried ACK + ECHO_RESPONSE_SIGNED: if it answers a probe and came from the
    /// probed address, that direct path works both ways and becomes the active pair.</summary>
    private void CheckProbeAnswer(HipPacket packet, HostAssociation a, TransportAddress local, TransportAddress remote, RelayedVia? via, TimeSpan now)
    {
        if (a.ReturnRoutability.Count == 0 || !packet.TryGet<AckParameter>(out var ack) || !packet.TryFind(ParameterType.EchoResponseSigned, out var echo)
            || a.ReturnRoutability.Answered(remote, via is { Rendezvous: false } v ? v.From : null, ack.UpdateIds, echo.Contents) is not { } probe)
        {
            return;
        }

        if (probe.Purpose != PathProbePurpose.Verify)
        {
            a.ReturnRoutability.RemoveWhere(p => ReferenceEquals(p, probe));
            OnProbeAnswered(a, probe, now);
            return;
        }

        if (a.Paths.IsRelayAddress(remote))
        {
            a.ReturnRoutability.RemoveWhere(p => ReferenceEquals(p, probe));
            return; // the control relay answered for the peer: that is no direct path
        }

        var old = a.ActivePair;
        var pair = a.Paths.DirectTo(remote, local);
        pair.Local = local;
        pair.LastReceived = now;
        pair.VerifiedAt = now;
        pair.Rtt = now - probe.NextAt + probe.Interval / 2;
        a.ReturnRoutability.EndVerifications();
        a.Liveness.NoteHeard(now);
        if (ReferenceEquals(old, pair))
        {
            if (pair.CreditLimited)
            {
                // RFC 8046 §5.4: verified; data to it is no longer limited by credit.
                pair.CreditLimited = false;
                CompleteHandover(a, now, $"path verified by return routability: {pair}");
                Raise(new ActivePathChanged(now, a.PeerHit, remote, remote, Direct: true, "the address used within credit answered its return-routability probe"));
            }

            return;
        }

        // A relay pair stays as a standby to fall back to; a direct pair the peer left is deprecated.
        a.Paths.Activate(pair, old is { IsRelayed: true } ? LocatorPairState.Standby : LocatorPairState.Deprecated);
        if (old is { IsRelayed: false })
        {
            Counters.PeerAddressChanges++;
        }

        CompleteHandover(a, now, $"path verified by return routability: {pair}");
        Raise(new ActivePathChanged(now, a.PeerHit, old?.Peer ?? default, remote, Direct: true, "direct path answered a return-routability probe"));
    }
}
