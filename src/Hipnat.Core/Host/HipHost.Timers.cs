using Hipnat.Core.Association;

namespace Hipnat.Core.Host;

/// <summary>Retransmission with exponential backoff and the state timers of RFC 7401 §4.4.3.</summary>
public sealed partial class HipHost
{
    public void HandleTimeout(TimeSpan now)
    {
        UpdatePuzzleDifficulty(now);
        if (now >= _r1.NextRotation)
        {
            _r1.Rotate(now, _puzzle.K);
        }

        OnReflexiveTimer(now);

        while (_timers.TryPeek(out var a, out var due) && due <= now)
        {
            _timers.Dequeue();
            if (a.NextDue != due || !_associations.TryGetValue(a.PeerHit, out var cur) || !ReferenceEquals(cur, a))
            {
                continue; // superseded entry
            }

            OnAssociationTimer(a, now);
            if (_associations.TryGetValue(a.PeerHit, out cur) && ReferenceEquals(cur, a))
            {
                ScheduleTimer(a);
            }
        }
    }

    private void OnAssociationTimer(HostAssociation a, TimeSpan now)
    {
        if (a.NextRetransmit <= now)
        {
            RetransmitPending(a, now);
        }

        if (a.NextUpdateRetransmit <= now)
        {
            RetransmitUpdate(a, now);
        }

        if (a.KeepaliveDue <= now)
        {
            OnKeepaliveTimer(a, now);
        }

        if (a.ReturnRoutability.NextDue <= now)
        {
            OnProbeTimer(a, now);
        }

        if (a.HandoverDue <= now)
        {
            OnHandoverTimer(a, now);
        }

        if (a.LivenessDue <= now)
        {
            OnLivenessTimer(a, now);
        }

        if (a.FailoverDue <= now)
        {
            OnFailoverTimer(a, now);
        }

        if (a.StandbyDue <= now)
        {
            OnStandbyTimer(a, now);
        }

        if (a.IceDue <= now)
        {
            OnIceTimer(a, now);
        }

        if (a.Multihoming.ProbeDue <= now)
        {
            OnMultihomingTimer(a, now);
        }

        if (a.RegistrationDeadline <= now)
        {
            OnRegistrationTimer(a, now);
        }

        if (a.StateDeadline <= now)
        {
            a.StateDeadline = TimeSpan.MaxValue;
            switch (a.State)
            {
                case AssociationState.R2Sent:
                    // Table 5: "Exchange Complete" – no I2 retransmission arrived within the hold time.
                    Establish(a, now);
                    break;
                case AssociationState.Established:
                    // Table 6: no packet sent or received during UAL → CLOSE.
                    if (now - Max(a.LastSeen, a.LastSent) >= _options.UnusedAssociationLifetime)
                    {
                        StartClose(a, now);
                    }
                    else
                    {
                        a.StateDeadline = Max(a.LastSeen, a.LastSent) + _options.UnusedAssociationLifetime;
                    }

                    break;
                case AssociationState.Closed:
                case AssociationState.EFailed:
                    // Table 8: UAL+2MSL linger over; Table 9: back to UNASSOCIATED.
                    Remove(a, now, closedEvent: a.State == AssociationState.Closed);
                    break;
            }
        }
    }

    private void RetransmitPending(HostAssociation a, TimeSpan now)
    {
        int max = a.State switch
        {
            AssociationState.I1Sent => _options.I1RetriesMax,
            AssociationState.I2Sent => _options.I2RetriesMax,
            AssociationState.Closing => _options.CloseRetriesMax,
            _ => 0,
        };

        if (a.Pending is null || max == 0)
        {
            a.NextRetransmit = TimeSpan.MaxValue;
            return;
        }

        if (a.Retries >= max)
        {
            if (a.State == AssociationState.Closing)
            {
                // Table 7: timeout sum exceeded → UNASSOCIATED.
                Remove(a, now, closedEvent: true);
            }
            else
            {
                Fail(a, now, $"no answer after {a.Retries + 1} {(a.State == AssociationState.I1Sent ? "I1" : "I2")} transmissions");
            }

            return;
        }

        a.Retries++;
        Counters.Retransmissions++;
        if (a.State == AssociationState.I1Sent)
        {
            SendPendingToAll(a, now);
        }
        else if (a.TryGetRoute(out var local, out var peer))
        {
            EmitCopy(local, peer, a.Pending.AsSpan(0, a.PendingLength));
            a.LastSent = now;
        }

        a.RetransmitInterval = Min(a.RetransmitInterval * 2, _options.RetransmitMax);
        a.NextRetransmit = now + a.RetransmitInterval;
    }

    private void Remove(HostAssociation a, TimeSpan now, bool closedEvent)
    {
        if (_associations.TryGetValue(a.PeerHit, out var cur) && ReferenceEquals(cur, a))
        {
            _associations.Remove(a.PeerHit);
        }

        DropServerRegistrations(a.PeerHit, now);
        ForgetAssociation(a);
        var from = a.State;
        a.State = AssociationState.Unassociated;
        Raise(new AssociationStateChanged(now, a.PeerHit, from, AssociationState.Unassociated));
        if (closedEvent)
        {
            Raise(new AssociationClosed(now, a.PeerHit, ByPeer: false));
        }
    }

    /// <summary>What the host keeps outside an association that ended (removed, or replaced by a new base
    /// exchange): it goes with it.</summary>
    private void ForgetAssociation(HostAssociation a)
    {
        ForgetStunChecks(a);
        _handoverRegistrars.Remove(a.PeerHit); // a handover no longer waits for this registrar's answer
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
