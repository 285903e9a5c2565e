using System.Net;
using Hipnat.Nat.Stun;

namespace Hipnat.Nat.Turn;

/// <summary>Timers: retransmissions, and the refreshes of the allocation, permissions and channels.</summary>
public sealed partial class TurnClient
{
    /// <summary>Runs everything due at <paramref name="now"/>.</summary>
    public void HandleTimeout(TimeSpan now)
    {
        List<TurnRequest>? timedOut = null;
        foreach (var request in _pending.Values)
        {
            switch (request.Timer.OnTimeout(now))
            {
                case StunRetransmissionAction.Retransmit:
                    _transmits.Enqueue(new StunTransmit(Options.Server, request.Bytes));
                    break;
                case StunRetransmissionAction.TimedOut:
                    (timedOut ??= []).Add(request);
                    break;
            }
        }

        foreach (var request in timedOut ?? [])
        {
            if (_pending.Remove(request.Id))
            {
                // RFC 8489 §9.2.5: if every response was discarded, report the integrity violation, not a timeout.
                RequestFailed(request, request.DiscardedForIntegrity ? TurnFailure.IntegrityViolation : TurnFailure.Timeout, null, now);
            }
        }

        if (State != TurnClientState.Allocated)
        {
            return;
        }

        if (now >= _expiresAt)
        {
            Fail(TurnFailure.Expired, null);
            return;
        }

        if (_refreshAt is { } refreshAt && now >= refreshAt)
        {
            Refresh(now);
        }

        // RFC 8656 §9: permissions last 5 minutes; all that are due go in one CreatePermission.
        var duePermissions = _permissions.Values.Where(p => p.Active && !p.InFlight && p.RefreshAt <= now).Select(p => p.Address).ToArray();
        if (duePermissions.Length > 0)
        {
            CreatePermission(now, duePermissions);
        }

        // RFC 8656 §12: rebinding a channel to the same peer refreshes it for 10 minutes.
        var dueChannels = _channels.Values.Where(c => c.Bound && !c.InFlight && c.RefreshAt <= now).Select(c => c.Peer).ToArray();
        foreach (var peer in dueChannels)
        {
            BindChannel(peer, now);
        }
    }
}
