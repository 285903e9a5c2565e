using Hipnat.Core.Association;
using Hipnat.Core.Transport;

namespace Hipnat.Core.Host;

/// <summary>
/// Multihoming failover (draft-melen-hip-nat-mm §3.2, §4; RFC 8047): verified pairs that are not active are hot
/// standbys, kept verified (and their NAT state alive) by a signed echo every
/// <see cref="HipHostOptions.StandbyKeepaliveInterval"/>; when the active pair falls silent while traffic flows and
/// does not answer its own signed echo, the best standby takes over at once. Without a standby the host gathers
/// candidates again and offers them as in a handover (cold backup). The association fails only when no path works
/// (the peer timeout).
/// </summary>
public sealed partial class HipHost
{
    /// <summary>A standby is trusted for failover only if it answered within this long.</summary>
    private TimeSpan StandbyMaxAge => (_options.StandbyKeepaliveInterval * 2) + TimeSpan.FromSeconds(5);

    /// <summary>Probes of standbys and of a suspected active pair give up after this many sends.</summary>
    private const int LivenessProbeAttempts = 4;

    /// <summary>
    /// How often a pair with an SA pair bound to it is asked under <see cref="MultihomingPolicy.LoadBalance"/>: it
    /// carries flows of its own without being the active pair, so its liveness cannot wait for the keepalive interval
    /// — a failed lane gets weight 0 and its flows move (docs/multihoming.md). Not a NAT keepalive (RFC 9028 §4.10
    /// bounds those): a signed echo on a path in use, as on the active pair (draft §5.2).
    /// </summary>
    private static readonly TimeSpan LaneProbeInterval = TimeSpan.FromSeconds(1);

    /// <summary>The interval between signed echoes on a standby: the keepalive interval, or
    /// <see cref="LaneProbeInterval"/> for a pair that carries a load-balanced lane.</summary>
    private TimeSpan KeepaliveInterval(HostAssociation a, LocatorPair p) =>
        _options.MultihomingPolicy == MultihomingPolicy.LoadBalance && !p.IsRelayed && IsBoundPath(a, p.Local, p.Peer)
            && LaneProbeInterval < _options.StandbyKeepaliveInterval
            ? LaneProbeInterval
            : _options.StandbyKeepaliveInterval;

    /// <summary>An SA pair was bound to the path (<paramref name="local"/>, <paramref name="peer"/>): under
    /// load-balance its echoes start at the lane interval.</summary>
    private void NoteBoundPath(HostAssociation a, TransportAddress local, TransportAddress peer, TimeSpan now)
    {
        if (a.Paths.Find(local, peer) is null)
        {
            // The peer's UPDATE came on a path ICE verified from its side (RFC 8047 §4.2.4 binding); from here on it
            // is watched like any standby.
            NoteVerifiedPair(a, local, peer, TimeSpan.Zero, now);
        }

        if (a.Paths.Find(local, peer) is { State: LocatorPairState.Standby } p)
        {
            var next = now + KeepaliveInterval(a, p);
            if (next < p.NextKeepaliveAt)
            {
                p.NextKeepaliveAt = next;
                ScheduleStandby(a);
            }
        }
    }

    /// <summary>ICE or a signed echo verified the pair (<paramref name="local"/>, <paramref name="remote"/>) — direct,
    /// or through a data relay (<paramref name="viaDataRelay"/>, with RELAY_TO <paramref name="relayedTo"/> when the
    /// relayed candidate is ours): unless active it is a hot standby from now on (draft §3.2.1), and its keepalives
    /// start.</summary>
    private void NoteVerifiedPair(HostAssociation a, TransportAddress local, TransportAddress remote, TimeSpan rtt, TimeSpan now, TransportAddress? relayedTo = null, bool viaDataRelay = false)
    {
        if (IsWildcardAddress(local.Address) || remote.Kind != TransportKind.Udp || (!viaDataRelay && a.Paths.IsRelayAddress(remote)))
        {
            return;
        }

        if (a.Paths.NoteVerified(local, remote, rtt, now, relayedTo, viaDataRelay) is { State: LocatorPairState.Standby } p && p.NextKeepaliveAt == TimeSpan.MaxValue)
        {
            p.NextKeepaliveAt = now + KeepaliveInterval(a, p);
            ScheduleStandby(a);
        }
    }

    private bool HasStandby(HostAssociation a, TimeSpan now) =>
        _options.StandbyKeepaliveInterval > TimeSpan.Zero && a.Paths.BestStandby(a.ActivePair, now, StandbyMaxAge) is not null;

    private void ScheduleStandby(HostAssociation a)
    {
        if (_options.StandbyKeepaliveInterval <= TimeSpan.Zero || a.State != AssociationState.Established)
        {
            a.StandbyDue = TimeSpan.MaxValue;
            return;
        }

        var due = TimeSpan.MaxValue;
        foreach (var p in a.Paths.All)
        {
            if (IsWatched(a, p))
            {
                due = p.NextKeepaliveAt < due ? p.NextKeepaliveAt : due;
            }
        }

        a.StandbyDue = due;
    }

    /// <summary>Keepalive of each standby (and of the pair traffic failed over from, to see it come back): a signed
    /// echo on the pair, which also refreshes both NATs' state for it (RFC 9028 §4.10: not more often than 15 s).</summary>
    private void OnStandbyTimer(HostAssociation a, TimeSpan now)
    {
        a.StandbyDue = TimeSpan.MaxValue;
        if (a.State != AssociationState.Established || _options.StandbyKeepaliveInterval <= TimeSpan.Zero)
        {
            return;
        }

        foreach (var p in a.Paths.All.ToList())
        {
            if (!IsWatched(a, p) || p.NextKeepaliveAt > now)
            {
                continue;
            }

            // A failed pair is probed again sooner, backing off to the keepalive interval: it may come back.
            p.NextKeepaliveAt = now + (p.State == LocatorPairState.Failed ? NextRecoveryInterval(p) : KeepaliveInterval(a, p));
            if (!IsOurAddress(p.Local))
            {
                p.State = LocatorPairState.Failed; // its interface is gone
                continue;
            }

            StartProbe(a, p.Local, p.Peer, now, purpose: PathProbePurpose.Keepalive, relayedTo: p.RelayedTo, viaDataRelay: p.ViaDataRelay);
            Counters.StandbyKeepalives++;
        }

        ScheduleStandby(a);
    }

    /// <summary>Standbys are kept alive; a failed pair (not deprecated, its local address still ours; not the control
    /// relay's) is probed to see it come back.</summary>
    private bool IsWatched(HostAssociation a, LocatorPair p) =>
        p.State == LocatorPairState.Standby
        || (p.State == LocatorPairState.Failed && (!p.IsRelayed || p.ViaDataRelay) && !ReferenceEquals(p, a.ActivePair) && p.NextKeepaliveAt != TimeSpan.MaxValue);

    /// <summary>Every second for the first 20 s after a pair failed (a passing outage ends soon), then doubling up to
    /// the keepalive interval, between probes of a failed pair.</summary>
    private TimeSpan NextRecoveryInterval(LocatorPair p)
    {
        p.RecoveryProbes++;
        var next = p.RecoveryProbes <= 20 ? TimeSpan.FromSeconds(1) : p.RecoveryInterval * 2;
        p.RecoveryInterval = next > _options.StandbyKeepaliveInterval ? _options.StandbyKeepaliveInterval : next;
        return p.RecoveryInterval;
    }

    /// <summary>A probe that is not a verification was answered from its pair: the pair works.</summary>
    private void OnProbeAnswered(HostAssociation a, PathProbe probe, TimeSpan now)
    {
        var rtt = now - probe.FirstSent;
        if (ReferenceEquals(a.ActivePair, ProbedPair(a, probe)) && a.ActivePair is { } active)
        {
            // The suspected active pair answered: it works, nothing moves. If the peer's traffic had been arriving
            // steadily and stopped, the peer sends on another path of its own that fails (the routes are not
            // symmetric through a data relay): it is told, on this pair that works (draft §5.1.2).
            if (a.Liveness.SuspectedAt is { } suspected && a.Liveness.LastHeard < suspected && a.Liveness.ReceiveInterval < SilenceWindow(a) / 2)
            {
                SendPathUnheard(a, on: active);
            }

            active.LastReceived = now;
            if (probe.Attempts == 1)
            {
                // Its round trip now, queues included: the silence window and the echo wait grow with it (three
                // round trips), so a loaded path is not suspected again as soon.
                active.Rtt = active.Rtt == TimeSpan.Zero ? rtt : ((active.Rtt * 7) + rtt) / 8;
            }

            a.Liveness.NoteHeard(now);
            a.FailoverDue = TimeSpan.MaxValue;
            return;
        }

        // An RTT sample only from an echo answered at its first send, and not from a pair that carries a lane: its
        // echoes wait behind our own flows in the uplink's queue, and a lane's weight must not fall for the load it
        // carries while the primary lane's RTT comes from an idle check (FlowSpreader weights, docs/multihoming.md).
        var sample = probe.Attempts == 1 && !IsBoundPath(a, probe.Local, probe.Peer) ? rtt : TimeSpan.Zero;
        var pair = a.Paths.NoteVerified(probe.Local, probe.Peer, sample, now, probe.RelayedTo, probe.ViaDataRelay);
        if (pair is null)
        {
            return;
        }

        pair.RecoveryInterval = TimeSpan.Zero;
        pair.RecoveryProbes = 0;

        if (ReferenceEquals(pair, a.FailedOverFrom))
        {
            // Failback policy: back to the pair traffic left once it has answered for FailbackHold without a miss.
            a.FailbackAnsweringSince ??= now;
            if (_options.FailbackHold > TimeSpan.Zero && now - a.FailbackAnsweringSince.Value >= _options.FailbackHold && a.Liveness.SuspectedAt is null)
            {
                SwitchTo(a, pair, now, $"failback: {pair} answered for {(now - a.FailbackAnsweringSince.Value).TotalSeconds:F0} s", SwitchKind.Failback);
            }
        }

        if (pair.NextKeepaliveAt == TimeSpan.MaxValue || pair.NextKeepaliveAt < now)
        {
            pair.NextKeepaliveAt = now + KeepaliveInterval(a, pair);
        }

        ScheduleStandby(a);
    }

    /// <summary>The pair a liveness or keepalive probe was sent on.</summary>
    private static LocatorPair? ProbedPair(HostAssociation a, PathProbe probe) => a.Paths.Find(probe.Local, probe.Peer, probe.RelayedTo, probe.ViaDataRelay);

    /// <summary>A probe that is not a verification ran out of attempts.</summary>
    private void OnProbeExpired(HostAssociation a, PathProbe probe, TimeSpan now)
    {
        if (ProbedPair(a, probe) is not { } pair)
        {
            return;
        }

        if (ReferenceEquals(pair, a.ActivePair))
        {
            if (probe.PeerHearsNothing)
            {
                // The peer hears nothing from us, and the pair does not answer its echo: our way out failed, even
                // if the peer's packets still come in (on this pair or another).
                FailOver(a, now, $"the peer hears nothing from us on {pair}, which did not answer {probe.Attempts} signed echoes", tellPeer: false);
            }
            else if (a.Liveness.LastHeard < probe.FirstSent)
            {
                // Draft §5.2: the active pair answers neither traffic nor its signed echoes: it failed.
                FailOver(a, now, $"{pair} did not answer {probe.Attempts} signed echoes");
            }
            else if (HasStandby(a, now))
            {
                // The peer's traffic arrives (on another path, or one way only), but the pair does not carry its own
                // echo back: with a verified standby ready, leaving it costs nothing if it was a false alarm.
                // (We hear the peer: no PATH_UNHEARD.)
                FailOver(a, now, $"{pair} did not answer {probe.Attempts} signed echoes, though the peer's traffic arrives", tellPeer: false);
            }

            return;
        }

        if (pair.State == LocatorPairState.Standby)
        {
            pair.State = LocatorPairState.Failed;
            pair.NextKeepaliveAt = now + NextRecoveryInterval(pair);
            DebugLog?.Invoke($"standby {pair} to {a.PeerHit} did not answer its keepalive");
        }

        if (ReferenceEquals(pair, a.FailedOverFrom))
        {
            a.FailbackAnsweringSince = null;
        }

        ScheduleStandby(a);
    }

    /// <summary>
    /// The peer told us (PATH_UNHEARD, through the relay or on a path that works) that it hears nothing from us,
    /// although our active pair may bring its packets in (our outbound path failed, e.g. one uplink's NAT dropping
    /// while the peer reaches us on another). Unless we already run through the control relay, the active pair is
    /// asked with a signed echo at once; unanswered, it has failed whatever else arrives: a standby takes over, or
    /// candidates are gathered again (draft §5.1.2: a host told of a failure starts its own recovery). The echo
    /// keeps a notice about a path we have just left, or one sent while the peer's flows ran on another lane
    /// (load-balance) or waited in a full queue, from moving traffic off a path that works.
    /// </summary>
    private void OnPeerHearsNothing(HostAssociation a, TimeSpan now)
    {
        if (a.State != AssociationState.Established || a.ActivePair is not { } active || (active.IsRelayed && !active.ViaDataRelay)
            || (a.LastPeerHearsNothing is { } last && now - last < TimeSpan.FromSeconds(2)))
        {
            return;
        }

        a.LastPeerHearsNothing = now;
        Counters.PeerHearsNothing++;
        DebugLog?.Invoke($"{a.PeerHit} hears nothing from us on {active} (PATH_UNHEARD)");
        if (active.ViaDataRelay && now - a.ActivePathSince >= TimeSpan.FromSeconds(1))
        {
            // Through a data relay an answered echo proves little about the ESP route (the relay forwards ESP where
            // the peer's last came from, control by RELAY_TO): a path older than a second is left at once.
            FailOver(a, now, $"the peer hears nothing from us on {active}", tellPeer: false);
            return;
        }

        a.ReturnRoutability.RemoveWhere(p => p.Purpose == PathProbePurpose.Liveness && p.Peer == active.Peer && p.Local == active.Local && p.RelayedTo == active.RelayedTo);
        StartProbe(a, active.Local, active.Peer, now, purpose: PathProbePurpose.Liveness, relayedTo: active.RelayedTo, viaDataRelay: active.ViaDataRelay, peerHearsNothing: true);
    }

    /// <summary>
    /// The peer's checks all failed (CONNECTIVITY_CHECKS_FAILED through the relay, draft §5.1.2): no direct pair
    /// works from its side, so a direct pair we still send on is no path; control falls back to the relay (the
    /// direct pairs are retried later, IceAgent.RetryDirectLater). Through a relay already, nothing changes.
    /// </summary>
    private void OnPeerChecksFailed(HostAssociation a, TimeSpan now)
    {
        if (a.State != AssociationState.Established)
        {
            return;
        }

        Counters.PeerChecksFailed++;
        if (a.ActivePair is { IsRelayed: false, ViaDataRelay: false, CreditLimited: false } && a.Ice is { Selected: null or { IsRelayed: true } })
        {
            FallBackToRelay(a, now, "every check of the peer failed");
        }
    }

    /// <summary>The suspected active pair had <see cref="HipHostOptions.FailoverProbeWait"/> to answer its echo.</summary>
    private void OnFailoverTimer(HostAssociation a, TimeSpan now)
    {
        a.FailoverDue = TimeSpan.MaxValue;
        if (a.State != AssociationState.Established || a.Liveness.SuspectedAt is not { } since || a.Liveness.LastHeard >= since)
        {
            return;
        }

        FailOver(a, now, $"{a.ActivePair} silent for {(now - a.Liveness.SilentSince).TotalMilliseconds:F0} ms while traffic flowed");
    }

    /// <summary>
    /// The active pair failed: the best standby takes over (hot backup, draft §3.2.1); without one, the host gathers
    /// its candidates again and offers them by UPDATE through the relay, as after a move (cold backup).
    /// </summary>
    private void FailOver(HostAssociation a, TimeSpan now, string why, bool tellPeer = true)
    {
        var failed = a.ActivePair;
        if (failed is null || (failed.IsRelayed && !failed.ViaDataRelay))
        {
            return; // the control relay is the last resort, not a path to fail over from
        }

        if (tellPeer)
        {
            // Our packets may still reach the peer while its own are lost on the way to us: it is told (through the
            // relay) so that it moves off its failed path too.
            SendPathUnheard(a);
        }

        var standby = _options.StandbyKeepaliveInterval > TimeSpan.Zero ? a.Paths.BestStandby(failed, now, StandbyMaxAge) : null;
        if (standby is null)
        {
            ColdBackup(a, now, why);
            return;
        }

        SwitchTo(a, standby, now, $"failover: {why}", SwitchKind.Failover);
        if (tellPeer)
        {
            // The relay forwards to the address the peer registered from, which may be behind the uplink whose loss
            // the peer does not see: the notice goes on the new path too, which the standby's keepalives kept open.
            SendPathUnheard(a, on: a.ActivePair);
        }

        failed.State = LocatorPairState.Failed;
        a.FailedOverFrom = failed;
        a.FailbackAnsweringSince = null;
        failed.RecoveryInterval = TimeSpan.Zero;
        failed.RecoveryProbes = 0;
        failed.NextKeepaliveAt = now + NextRecoveryInterval(failed); // is it back? every second at first
        ScheduleStandby(a);
    }

    /// <summary>Why traffic moves to a standby.</summary>
    private enum SwitchKind
    {
        /// <summary>The active pair failed.</summary>
        Failover,

        /// <summary>Back to the pair traffic failed over from, which recovered.</summary>
        Failback,

        /// <summary>The peer's traffic arrives on that pair: both directions share one path.</summary>
        Follow,
    }

    /// <summary>Moves traffic to <paramref name="pair"/> (a verified standby); ICE's selection follows it.</summary>
    private void SwitchTo(HostAssociation a, LocatorPair pair, TimeSpan now, string reason, SwitchKind kind)
    {
        bool failback = kind == SwitchKind.Failback;
        var silentSince = a.Liveness.SilentSince;
        var old = a.ActivePair;
        bool switched = false;
        if (a.Ice is { } ice)
        {
            var candidate = ice.CheckList.Pairs.FirstOrDefault(c => c.State == Ice.CandidatePairState.Succeeded && c.IsRelayed == pair.ViaDataRelay
                && TryRouteFor(c, out var from, out var to, out var relayTo) && from.Address.Equals(pair.Local.Address) && to == pair.Peer && relayTo == pair.RelayedTo);
            switched = candidate is not null && ice.TakeOver(candidate, now, reason);
        }

        if (!switched)
        {
            a.Paths.Activate(pair, LocatorPairState.Standby);
            a.Liveness.Reset(now);
            Raise(new ActivePathChanged(now, a.PeerHit, old?.Peer ?? default, pair.RelayedTo ?? pair.Peer, Direct: !pair.ViaDataRelay, reason));
        }

        a.FailoverDue = TimeSpan.MaxValue;
        DebugLog?.Invoke($"path to {a.PeerHit}: {reason}: {old} -> {pair}");
        switch (kind)
        {
            case SwitchKind.Failback:
                a.FailedOverFrom = null;
                a.FailbackAnsweringSince = null;
                Counters.Failbacks++;
                break;
            case SwitchKind.Failover:
                Counters.Failovers++;
                break;
            default:
                Counters.PathsFollowed++;
                return;
        }

        var withoutPath = failback ? TimeSpan.Zero : now - silentSince;
        a.LastFailover = new FailoverRecord(now, old?.ToString() ?? "none", pair.ToString(), reason, failback);
        Raise(new PathFailedOver(now, a.PeerHit, old?.Local ?? default, old?.Peer ?? default, pair.Local, pair.Peer, reason, failback, withoutPath));
    }

    /// <summary>
    /// Cold backup (draft §3.2.1, §3.3): no standby is ready. Control falls back to the relay, the reflexive
    /// address of every base is asked for again, and the candidates are offered by a handover UPDATE through the
    /// relay, whose ICE restart finds a new pair.
    /// </summary>
    private void ColdBackup(HostAssociation a, TimeSpan now, string why)
    {
        if (a.LastHandover is { Completed: null } running && now - running.Started < TimeSpan.FromSeconds(5))
        {
            return; // a handover is under way already
        }

        if (a.LastHandover is { Mobile: false } peers && now - peers.Started < TimeSpan.FromSeconds(2))
        {
            // The peer offered its candidates just now (its own recovery, or it moved): the checks that offer
            // restarted cover our current candidates too; a second offer would only restart them again.
            FallBackToRelay(a, now, why);
            return;
        }

        Counters.ColdBackups++;
        if (a.ActivePair is { } failed && (!failed.IsRelayed || failed.ViaDataRelay))
        {
            failed.State = LocatorPairState.Failed;
        }

        Counters.HandoversStarted++;
        a.LastHandover = new HandoverRecord(now, $"cold backup: {why}", mobile: true);
        Raise(new HandoverStarted(now, a.PeerHit, Mobile: true, a.LastHandover.Reason));
        FallBackToRelay(a, now, why);
        a.LastFailover = new FailoverRecord(now, a.ActivePair?.ToString() ?? "none", "candidates gathered again", $"cold backup: {why}", Failback: false);
        GatherReflexivePerBase(now);
        if (ReflexiveQueriesPending == 0 && _handoverRegistrars.Count == 0)
        {
            SendHandoverUpdate(a, now);
        }
        else
        {
            a.HandoverUpdateWanted = true;
            a.ColdBackupOfferPending = true;
            a.HandoverDue = now + _options.HandoverRegistrationWait;
            a.LastHandover.Step("candidates being gathered", now);
        }
    }
}
