namespace Hipnat.Core.Ice;

/// <summary>Direct pairs checked again with backoff while a relayed pair carries the traffic.</summary>
public sealed partial class IceAgent
{
    /// <summary>How long the side whose turn it is not waits for the other to check first.</summary>
    private static readonly TimeSpan DirectRetryStagger = TimeSpan.FromSeconds(2);

    /// <summary>While traffic runs through a relay because every direct pair failed: when the direct pairs are
    /// checked again.</summary>
    public TimeSpan? DirectRetryAt { get; private set; }

    /// <summary>The interval of the next direct retry, doubling after each try up to
    /// <see cref="IceOptions.DirectRetryMax"/>.</summary>
    internal TimeSpan DirectRetryInterval { get; private set; }

    /// <summary>This retry waits for the other side to check first (its turn).</summary>
    internal bool DirectRetryDeferred { get; private set; }

    /// <summary>How many times the failed direct pairs were checked again.</summary>
    public int DirectRetries { get; private set; }

    /// <summary>
    /// draft-melen-hip-nat-mm §3.2 / RFC 8445 §9 spirit: while a relayed pair carries the traffic and every direct
    /// pair has failed, the direct pairs are checked again later with exponential backoff; a pair that works then
    /// is nominated by the controlling side as usual, and the traffic leaves the relay.
    /// </summary>
    private void RetryDirectLater(TimeSpan now)
    {
        var list = CheckList;
        bool waitingForDirect = Selected is { IsRelayed: true } && _options.DirectRetryInitial > TimeSpan.Zero
            && list.Pairs.Any(p => !p.IsRelayed) && list.DirectExhausted;
        if (!waitingForDirect)
        {
            // Checks are running (ours or triggered by the peer's), or a direct pair works: no retry is pending,
            // and none may stay due in the past (the timer would fire at once, again and again).
            DirectRetryAt = null;
            DirectRetryDeferred = false;
            return;
        }

        if (DirectRetryAt is null)
        {
            // Counted from the last direct check: what a NAT remembered of the checks must have expired by then.
            DirectRetryInterval = DirectRetryInterval == TimeSpan.Zero ? _options.DirectRetryInitial : DirectRetryInterval;
            var lastCheck = list.Pairs.Where(p => !p.IsRelayed).Select(p => p.LastSentAt).DefaultIfEmpty(now).Max();
            DirectRetryAt = (lastCheck > now ? now : lastCheck) + DirectRetryInterval;
            return;
        }

        if (DirectRetryAt > now)
        {
            return;
        }

        // Whose packets arrive first matters behind a NAT without an input firewall: an unsolicited packet leaves a
        // conntrack entry that remaps the host's own packets to that peer. The side behind such a NAT must send
        // first, and neither side knows which it is: the sides take turns (controlling first, then controlled).
        bool ourTurn = (DirectRetries % 2 == 0) == list.Controlling;
        if (!ourTurn && !DirectRetryDeferred)
        {
            DirectRetryDeferred = true;
            DirectRetryAt = now + DirectRetryStagger;
            return;
        }

        DirectRetryDeferred = false;
        DirectRetryAt = null;
        DirectRetries++;
        var next = DirectRetryInterval * 2;
        DirectRetryInterval = next > _options.DirectRetryMax ? _options.DirectRetryMax : next;
        _transport.DirectRetry(list.RetryFailedDirect());
        OnTimer(now);
    }
}
