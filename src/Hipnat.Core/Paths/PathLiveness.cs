namespace Hipnat.Core.Paths;

/// <summary>
/// Liveness of an association's active path (draft-melen-hip-nat-mm §5.2, faster than keepalives while traffic
/// flows): when the driver says traffic was sent and heard, when an answer became due, and when the path was last
/// suspected. Pure bookkeeping with the caller's clock; <see cref="Host.HipHost"/> acts on its verdicts.
/// </summary>
public sealed class PathLiveness
{
    /// <summary>When something (ESP as the driver reports it, or a probe answer) last arrived on the active path.</summary>
    public TimeSpan LastHeard { get; private set; }

    /// <summary>When we first sent after the path was last heard: an answer is expected from then on.</summary>
    public TimeSpan ExpectingSince { get; private set; }

    /// <summary>When we last sent on the association.</summary>
    public TimeSpan LastSent { get; private set; }

    /// <summary>Smoothed interval between receipts the driver reports — short while traffic flows.</summary>
    public TimeSpan ReceiveInterval { get; private set; } = TimeSpan.MaxValue;

    /// <summary>When the path was last suspected; null once something was heard on it again.</summary>
    public TimeSpan? SuspectedAt { get; private set; }

    /// <summary>Since when the path has been silent as far as liveness is concerned.</summary>
    public TimeSpan SilentSince => ExpectingSince > LastHeard ? ExpectingSince : LastHeard;

    public void NoteSent(TimeSpan now)
    {
        if (LastSent <= LastHeard || ExpectingSince <= LastHeard)
        {
            ExpectingSince = now; // the first packet after the path was last heard starts the wait for an answer
        }

        LastSent = now;
    }

    public void NoteHeard(TimeSpan now)
    {
        if (LastHeard < now)
        {
            var gap = now - LastHeard;
            ReceiveInterval = ReceiveInterval == TimeSpan.MaxValue ? gap : ((ReceiveInterval * 3) + gap) / 4;
        }

        LastHeard = now;
        SuspectedAt = null;
    }

    /// <summary>A new active pair starts with a clean slate: heard now.</summary>
    public void Reset(TimeSpan now)
    {
        LastHeard = now;
        SuspectedAt = null;
    }

    public void Suspect(TimeSpan now) => SuspectedAt = now;

    /// <summary>When the silence window next needs looking at: one window after the path went silent, or four
    /// windows after the last suspicion while it stays silent.</summary>
    public TimeSpan Due(TimeSpan window)
    {
        var due = SilentSince + window;
        if (SuspectedAt is { } s && s + (window * 4) > due)
        {
            due = s + (window * 4);
        }

        return due;
    }

    /// <summary>The verdict at <paramref name="now"/>: wait (not silent long enough, or suspected recently), idle
    /// (silent past <paramref name="horizon"/>, or nothing was expected: left to keepalives), or suspect.</summary>
    public PathVerdict Judge(TimeSpan now, TimeSpan window, TimeSpan horizon)
    {
        if (now - SilentSince > horizon)
        {
            return PathVerdict.Idle;
        }

        if (now - SilentSince < window || (SuspectedAt is { } s && now - s < window * 4))
        {
            return PathVerdict.Wait;
        }

        // Suspect only a path that carried traffic: we sent since it was last heard, or packets were arriving
        // several times per window.
        bool expecting = LastSent > LastHeard || ReceiveInterval < window / 2;
        return expecting ? PathVerdict.Suspect : PathVerdict.Idle;
    }
}
