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

    /// <summary>ICE or a signed echo verified the direct pair (<paramref name="local"/>, <paramref name="remote"/>):
    /// unless active it is a hot standby from now on (draft §3.2.1), and its keepalives start.</summary>
    private void NoteVerifiedPair(HostAssociation a, TransportAddress local, TransportAddress remote, TimeSpan rtt, TimeSpan now)
    {
        if (IsWildcardAddress(local.Address) || remote.Kind != TransportKind.Udp || a.Paths.IsRelayAddress(remote))
        {
            return;
        }

        if (a.Paths.NoteVerified(local, remote, rtt, now) is { State: LocatorPairState.Standby } p && p.NextKeepaliveAt == TimeSpan.MaxValue)
        {
            p.NextKeepaliveAt = now + _options.StandbyKeepaliveInterval;
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
            p.NextKeepaliveAt = now + (p.State == LocatorPairState.Failed ? NextRecoveryInterval(p) : _options.StandbyKeepaliveInterval);
            if (!IsOurAddress(p.Local))
            {
                p.State = LocatorPairState.Failed; // its interface is gone
                continue;
            }

            StartProbe(a, p.Local, p.Peer, now, purpose: PathProbePurpose.Keepalive);
            Counters.StandbyKeepalives++;
        }

        ScheduleStandby(a);
    }

    /// <summary>Standbys are kept alive; a failed direct pair (not deprecated, its local address still ours) is probed
    /// to see it come back.</summary>
    private bool IsWatched(HostAssociation a, LocatorPair p) =>
        p.State == LocatorPairState.Standby
        || (p.State == LocatorPairState.Failed && !p.IsRelayed && !p.ViaDataRelay && !ReferenceEquals(p, a.ActivePair) && p.NextKeepaliveAt != TimeSpan.MaxValue);

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
        if (ReferenceEquals(a.ActivePair, a.Paths.All.Find(p => p.Local == probe.Local && p.Peer == probe.Peer)) && a.ActivePair is { } active)
        {
            // The suspected active pair answered: it works, nothing moves.
            active.LastReceived = now;
            a.Liveness.NoteHeard(now);
            a.FailoverDue = TimeSpan.MaxValue;
            return;
        }

        var pair = a.Paths.NoteVerified(probe.Local, probe.Peer, rtt, now);
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
            pair.NextKeepaliveAt = now + _options.StandbyKeepaliveInterval;
        }

        ScheduleStandby(a);
    }

    /// <summary>A probe that is not a verification ran out of attempts.</summary>
    private void OnProbeExpired(HostAssociation a, PathProbe probe, TimeSpan now)
    {
        var pair = a.Paths.All.Find(p => p.Local == probe.Local && p.Peer == probe.Peer && !p.IsRelayed);
        if (pair is null)
        {
            return;
        }

        if (ReferenceEquals(pair, a.ActivePair))
        {
            if (a.Liveness.LastHeard < probe.FirstSent)
            {
                // Draft §5.2: the active pair answers neither traffic nor its signed echoes: it failed.
                FailOver(a, now, $"{pair} did not answer {probe.Attempts} signed echoes");
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
    /// The peer told us through the relay (PATH_UNHEARD) that it hears nothing from us, although our active pair may
    /// bring its packets in (our outbound path failed, e.g. one uplink's NAT dropping while the peer reaches us on
    /// another). Unless we already run through the relay, the active pair counts as failed: a standby takes over,
    /// or candidates are gathered again (draft §5.1.2: a host told of a failure starts its own recovery).
    /// </summary>
    private void OnPeerHearsNothing(HostAssociation a, TimeSpan now)
    {
        if (a.State != AssociationState.Established || a.ActivePair is not { IsRelayed: false } active
            || (a.LastPeerHearsNothing is { } last && now - last < TimeSpan.FromSeconds(2))
            || now - a.ActivePathSince < TimeSpan.FromSeconds(1))
        {
            return; // (a path we took within the last second is not the one the peer's notice is about)
        }

        a.LastPeerHearsNothing = now;
        Counters.PeerHearsNothing++;
        DebugLog?.Invoke($"{a.PeerHit} hears nothing from us on {active} (PATH_UNHEARD)");
        FailOver(a, now, $"the peer hears nothing from us on {active}", tellPeer: false);
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
        if (failed is null || failed.IsRelayed)
        {
            return;
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
            var candidate = ice.CheckList.Pairs.FirstOrDefault(c => !c.IsRelayed && c.State == Ice.CandidatePairState.Succeeded
                && c.Local.Base.Address.Equals(pair.Local.Address) && c.Remote.Address == pair.Peer);
            switched = candidate is not null && ice.TakeOver(candidate, now, reason);
        }

        if (!switched)
        {
            a.Paths.Activate(pair, LocatorPairState.Standby);
            a.Liveness.Reset(now);
            Raise(new ActivePathChanged(now, a.PeerHit, old?.Peer ?? default, pair.Peer, Direct: true, reason));
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
        if (a.ActivePair is { IsRelayed: false } failed)
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
