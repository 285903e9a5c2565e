namespace Hipnat.Core.Ice;

/// <summary>Nomination (RFC 9028 §4.6.3): the controlling side's decision and retransmission, the controlled side's
/// answer.</summary>
public sealed partial class IceAgent
{
    private CandidatePair? _nominating;

    /// <summary>Controlling side: next retransmission of the nomination and how many were sent.</summary>
    private TimeSpan _nominationNextAt = TimeSpan.MaxValue;

    private int _nominationAttempts;

    /// <summary>Controlling side: when to look again at nominating (nomination wait, relay fallback).</summary>
    private TimeSpan? _nominateAt;

    /// <summary>Controlled side: the pair the peer nominated.</summary>
    private CandidatePair? _peerNominated;

    /// <summary>Controlled side: the peer's nomination SEQ our answer belongs to.</summary>
    private uint _nominationAnswerFor;

    /// <summary>Controlling side: the pair whose nomination is in flight.</summary>
    internal CandidatePair? Nominating => _nominating;

    /// <summary>Controlled side: the SEQ of our nomination answer, acknowledged by the controlling side's last
    /// UPDATE (RFC 9028 §4.6.3), and the nonce it carries in ECHO_REQUEST_SIGNED.</summary>
    internal uint? NominationAnswerSeq { get; private set; }

    internal byte[]? NominationAnswerNonce { get; private set; }

    /// <summary>Controlled side: whether the answer to the peer's nomination <paramref name="peerSeq"/> needs its own
    /// SEQ and nonce yet (a repeated nomination gets the same answer).</summary>
    internal bool NeedsNominationAnswer(uint peerSeq) => NominationAnswerSeq is null || _nominationAnswerFor != peerSeq;

    internal void SetNominationAnswer(uint peerSeq, uint seq, byte[] nonce)
    {
        NominationAnswerSeq = seq;
        NominationAnswerNonce = nonce;
        _nominationAnswerFor = peerSeq;
    }

    /// <summary>Controlled side: the controlling side acknowledged our nomination answer (RFC 9028 §4.6.3): both
    /// agree, and a direct selection stops the checks (a relayed one, or one after a handover, keeps looking).</summary>
    internal void NominationAnswerAcked(TimeSpan now)
    {
        if (Concluded)
        {
            return;
        }

        Concluded = true;
        if (Selected is { IsRelayed: false } && !IsRestart)
        {
            StopChecksButBackups();
        }

        _transport.Concluded(Selected, now);
    }

    /// <summary>Controlling side: the nomination is a check (RFC 9028 §4.6.3), repeated like one (RTO doubling,
    /// §4.6.2) and given up after <see cref="IceOptions.MaxCheckAttempts"/> transmissions, failing its pair.</summary>
    private void RetransmitNomination(TimeSpan now)
    {
        if (_nominating is not { } nom || nom.Nominated || _nominationNextAt > now)
        {
            return;
        }

        if (_nominationAttempts >= _options.MaxCheckAttempts)
        {
            _transport.Trace($"nomination of {nom} not answered");
            nom.State = CandidatePairState.Failed;
            nom.NominationInFlight = false;
            _nominating = null;
        }
        else
        {
            Send(nom, nominate: true, now);
        }
    }

    /// <summary>Controlling side (RFC 9028 §4.6.3): nominate the best pair that works — a direct one as soon as no
    /// better pair is still pending (or <see cref="IceOptions.NominationWait"/> after it succeeded), a relayed one
    /// only after <see cref="IceOptions.RelayFallbackDelay"/> without any direct pair, or when none can work.</summary>
    internal void MaybeNominate(TimeSpan now)
    {
        _nominateAt = null;
        if (!CheckList.Controlling || _nominating is not null)
        {
            return;
        }

        var direct = CheckList.BestSucceeded(directOnly: true);
        if (direct is not null)
        {
            if (Selected is { } sel && ReferenceEquals(sel, direct) && sel.Nominated)
            {
                return;
            }

            if (Concluded && Selected is { IsRelayed: false })
            {
                return;
            }

            var waitUntil = direct.SucceededAt + _options.NominationWait;
            if (_options.Aggressive || !CheckList.BetterPending(direct, directOnly: true) || now >= waitUntil)
            {
                Nominate(direct, now);
            }
            else
            {
                _nominateAt = waitUntil;
            }

            return;
        }

        if (Selected is not null)
        {
            return;
        }

        var relayed = CheckList.BestSucceeded(directOnly: false);
        if (relayed is null)
        {
            return;
        }

        var fallbackAt = StartedAt + _options.RelayFallbackDelay;
        if (CheckList.DirectExhausted || now >= fallbackAt)
        {
            Nominate(relayed, now);
        }
        else
        {
            _nominateAt = fallbackAt;
        }
    }

    private void Nominate(CandidatePair pair, TimeSpan now)
    {
        _nominating = pair;
        _nominationAttempts = 0;
        pair.NominationInFlight = true;
        if (!pair.IsRelayed && !IsRestart)
        {
            StopChecksButBackups(); // after a handover the other pairs are still checked: backups (draft §3.2)
        }

        _transport.Trace($"nominating {pair}");
        Send(pair, nominate: true, now);
    }
}
