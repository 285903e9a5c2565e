using System.Diagnostics.CodeAnalysis;
using Hipnat.Core.Limits;
using Hipnat.Core.Transport;
using Hipnat.Wire.Parameters;

namespace Hipnat.Core.Ice;

/// <summary>Checks: sending, outstanding transactions, answers, and checks received from the peer.</summary>
public sealed partial class IceAgent
{
    private const int MaxTransactions = 256;
    private const double CheckBurst = 40;
    private const double ChecksPerSecond = 40;

    private readonly Dictionary<uint, IceTransaction> _transactions = [];
    private TokenBucket _checkTokens;

    /// <summary>Checks received from the peer (answered), including ones for unknown pairs.</summary>
    public int ChecksReceived { get; private set; }

    /// <summary>Received checks beyond the per-association rate (answered checks are capped to stop floods).</summary>
    public int ChecksRateLimited { get; private set; }

    /// <summary>Outstanding checks by SEQ (or STUN transaction ID low word). A triggered check on a pair with a
    /// check in flight reuses that transaction, so an answer to either counts (RFC 8445 §7.3.1.4).</summary>
    internal IReadOnlyDictionary<uint, IceTransaction> Transactions => _transactions;

    private void Send(CandidatePair pair, bool nominate, TimeSpan now)
    {
        if (Mode == NatTraversalMode.IceStunUdp && pair.Local.Type == CandidateKind.Relayed)
        {
            pair.State = CandidatePairState.Failed; // a HIP data relay forwards HIP and ESP only, not STUN
            return;
        }

        if (Mode == NatTraversalMode.IceHipUdp && !nominate && pair.NominationInFlight)
        {
            return; // the nomination in flight checks this pair already
        }

        // A retransmission, or a triggered check while one is in flight, reuses the transaction (RFC 9028 §4.6.2);
        // a nomination is a new transaction (§4.6.3), repeated by its own retransmissions.
        bool fresh = nominate
            ? _nominationAttempts == 0
            : !(_transactions.TryGetValue(pair.TransactionId, out var inFlight) && ReferenceEquals(inFlight.Pair, pair) && !inFlight.Nominate);
        if (nominate)
        {
            _nominationAttempts++;
            _nominationNextAt = now + (CheckList.Rto * (1 << Math.Min(_nominationAttempts - 1, 6)));
        }

        _transport.SendCheck(pair, nominate, fresh, now);
    }

    /// <summary>Registers a new check transaction on <paramref name="pair"/> (SEQ or STUN transaction ID low word,
    /// and the nonce the answer must echo); the oldest beyond 256 are forgotten.</summary>
    internal void AddTransaction(CandidatePair pair, uint id, byte[] nonce, bool nominate)
    {
        pair.TransactionId = id;
        pair.Nonce = nonce;
        _transactions[id] = new IceTransaction(pair, nonce, nominate);
        if (_transactions.Count <= MaxTransactions)
        {
            return;
        }

        foreach (var key in _transactions.Keys.Order().Take(_transactions.Count - MaxTransactions).ToList())
        {
            _transactions.Remove(key);
        }
    }

    internal bool TryGetTransaction(uint id, [MaybeNullWhen(false)] out IceTransaction transaction) => _transactions.TryGetValue(id, out transaction);

    /// <summary>
    /// Our check <paramref name="id"/> was answered on its pair (the caller verified the route and the echoed nonce,
    /// RFC 9028 §4.6.2): the pair works, and if the answer concludes our nomination the pair
    /// carries the traffic, as it does when the peer nominated it, with aggressive use, or after a restart.
    /// </summary>
    internal void CheckAnswered(uint id, TimeSpan now, TransportAddress? mapped)
    {
        if (!_transactions.Remove(id, out var tx))
        {
            return;
        }

        var pair = tx.Pair;
        bool first = pair.State != CandidatePairState.Succeeded;
        CheckList.Succeeded(pair, now, mapped);
        if (first)
        {
            _transport.PairWorks(pair, now);
        }

        bool stun = Mode == NatTraversalMode.IceStunUdp;
        if (tx.Nominate && pair.NominationInFlight && ReferenceEquals(_nominating, pair))
        {
            // RFC 9028 §4.6.3 (RFC 8445 §8.1.1): the answered nomination concludes the checks.
            pair.NominationInFlight = false;
            pair.Nominated = true;
            _nominating = null;
            Select(pair, now, $"nominated ({IcePriority.TypeName(pair.Local.Type)} -> {IcePriority.TypeName(pair.Remote.Type)}, {(stun ? "USE-CANDIDATE" : "highest-priority working pair")})");
            Concluded = true;
            _transport.Concluded(pair, now);
        }
        else if (_peerNominated is { } pn && ReferenceEquals(pn, pair))
        {
            // RFC 8445 §7.3.1.5: a pair the peer nominated is selected once our own check on it succeeded.
            Select(pair, now, "nominated by the peer");
            Concluded |= stun;
        }
        else if (_options.Aggressive && Selected is null)
        {
            Select(pair, now, "first working pair (aggressive)"); // draft-melen-hip-nat-mm §5.1.4
        }
        else if (IsRestart && Selected is null && (!pair.IsRelayed || PreviousWasRelayed))
        {
            // RFC 9028 §4.9 restart, draft-melen-hip-nat-mm §5.1.4: the first working pair is used at once.
            Select(pair, now, pair.IsRelayed ? "first working pair after a handover (relayed before it)" : "first working direct pair after a handover");
        }
    }

    /// <summary>
    /// The pair a check from the peer arrived on (<paramref name="local"/> our candidate, <paramref name="remote"/>
    /// where it came from); a check from an unknown address adds a peer-reflexive candidate with the check's
    /// priority (RFC 8445 §7.3.1.3). Null, with <paramref name="refused"/>, when that candidate is one too many.
    /// </summary>
    internal CandidatePair? PairForCheck(TransportAddress local, TransportAddress remote, uint priority, out bool refused)
    {
        refused = false;
        var pair = CheckList.Find(local, remote);
        if (pair is not null)
        {
            return pair;
        }

        if (!CheckList.RemoteCandidates.Any(c => c.Address == remote) && !CheckList.AddRemote(new IceCandidate(remote, remote, CandidateKind.PeerReflexive, priority)))
        {
            refused = true;
            return null;
        }

        return CheckList.Find(local, remote);
    }

    /// <summary>
    /// A check from the peer on <paramref name="pair"/> was answered. A check on a pair not yet known to work
    /// triggers our own check of it (RFC 8445 §7.3.1.4). On the controlled side a nomination selects the pair:
    /// in ICE-HIP-UDP at once (RFC 9028 §4.6.3), in ICE-STUN-UDP once our own check on it succeeded
    /// (USE-CANDIDATE, RFC 8445 §7.3.1.5).
    /// </summary>
    internal void CheckReceived(CandidatePair pair, bool nominate, TimeSpan now)
    {
        nominate &= !CheckList.Controlling;
        if (Mode == NatTraversalMode.IceStunUdp)
        {
            if (nominate)
            {
                _peerNominated = pair;
                pair.Nominated = true;
                if (pair.State == CandidatePairState.Succeeded)
                {
                    Select(pair, now, "nominated by the peer (USE-CANDIDATE)");
                    Concluded = true;
                    StopChecksButBackups();
                    return;
                }

                CheckList.Resume();
            }

            if (pair.State != CandidatePairState.Succeeded && !CheckList.Completed)
            {
                CheckList.Trigger(pair);
            }

            return;
        }

        if (nominate)
        {
            _peerNominated = pair;
            pair.Nominated = true;
            Select(pair, now, $"nominated by the peer ({IcePriority.TypeName(pair.Local.Type)} -> {IcePriority.TypeName(pair.Remote.Type)})");
            if (!pair.IsRelayed && !IsRestart)
            {
                StopChecksButBackups(); // a relayed selection, or one after a handover, keeps checking (draft §3.2)
            }
        }
        else if (pair.State != CandidatePairState.Succeeded && (!CheckList.Completed || IsRestart))
        {
            CheckList.Resume();
            CheckList.Trigger(pair);
        }
    }

    /// <summary>Counts a received check and takes a token for answering it (a bucket of 40 refilled at 40/s): a flood
    /// beyond the rate is refused and counted, a nomination is always answered. Local policy, in the spirit of the
    /// check volume caps of RFC 9028 §7.6 and RFC 8445 §19.5.1.</summary>
    internal bool TakeCheckToken(TimeSpan now, bool nominate)
    {
        ChecksReceived++;
        if (!_checkTokens.TryTake(CheckBurst, ChecksPerSecond, now, force: nominate))
        {
            ChecksRateLimited++;
            return false;
        }

        return true;
    }
}
