using Hipnat.Wire.Parameters;

namespace Hipnat.Core.Ice;

/// <summary>ICE state of one host association: the checklist, the mode the checks use, and nomination progress.
/// Owned by <see cref="Host.HipHost"/>; created when a base exchange negotiated ICE-HIP-UDP or ICE-STUN-UDP.</summary>
public sealed class IceSession
{
    internal IceSession(NatTraversalMode mode, IceCheckList checkList, TimeSpan now)
    {
        Mode = mode;
        CheckList = checkList;
        StartedAt = now;
    }

    public NatTraversalMode Mode { get; }

    public IceCheckList CheckList { get; }

    public TimeSpan StartedAt { get; }

    /// <summary>The pair carrying traffic, once nominated (or, with aggressive use, the first that worked).</summary>
    public CandidatePair? Selected { get; internal set; }

    public TimeSpan? SelectedAt { get; internal set; }

    /// <summary>Why <see cref="Selected"/> was chosen, for status views.</summary>
    public string SelectedReason { get; internal set; } = string.Empty;

    /// <summary>Controlling side: the pair whose nomination is in flight.</summary>
    internal CandidatePair? Nominating { get; set; }

    /// <summary>Controlled side: the SEQ of our nomination answer, acknowledged by the controlling side's last UPDATE.</summary>
    internal uint? NominationAnswerSeq { get; set; }

    internal byte[]? NominationAnswerNonce { get; set; }

    /// <summary>Both sides agree on the selected pair (nomination answered and confirmed).</summary>
    public bool Concluded { get; internal set; }

    /// <summary>This checklist replaced an earlier one after a handover (RFC 9028 §4.9): the first working direct
    /// pair carries traffic at once (draft-melen-hip-nat-mm §5.1.4), the nomination follows.</summary>
    public bool IsRestart { get; internal set; }

    /// <summary>While traffic runs through a relay because every direct pair failed: when the direct pairs are
    /// checked again, and the interval that doubles after each try.</summary>
    public TimeSpan? DirectRetryAt { get; internal set; }

    internal TimeSpan DirectRetryInterval { get; set; }

    /// <summary>This retry waits for the other side to check first (its turn, see HipHost.RetryDirectLater).</summary>
    internal bool DirectRetryDeferred { get; set; }

    /// <summary>How many times the failed direct pairs were checked again.</summary>
    public int DirectRetries { get; internal set; }

    /// <summary>The checklist this one replaced had selected a relayed pair: where no direct pair worked before a
    /// move, a working relayed pair is used at once rather than after the relay fallback delay.</summary>
    public bool PreviousWasRelayed { get; internal set; }

    /// <summary>Every pair failed; CONNECTIVITY_CHECKS_FAILED was sent.</summary>
    public bool Failed { get; internal set; }

    /// <summary>Checks received from the peer (answered), including ones for unknown pairs.</summary>
    public int ChecksReceived { get; internal set; }

    /// <summary>Received checks beyond the per-association rate (answered checks are capped to stop floods).</summary>
    public int ChecksRateLimited { get; internal set; }

    internal double Tokens { get; set; } = 20;

    internal TimeSpan TokensAt { get; set; }

    /// <summary>STUN short-term key for ICE-STUN-UDP (RFC 5770 §5.2); null in ICE-HIP-UDP.</summary>
    internal byte[]? StunKey { get; set; }

    /// <summary>ICE-CONTROLLING / ICE-CONTROLLED tie-breaker sent in STUN checks (roles come from HIP, RFC 5770 §5.2).</summary>
    internal ulong TieBreaker { get; set; }

    /// <summary>Controlling side: next retransmission of the nomination and how many were sent.</summary>
    internal TimeSpan NominationNextAt { get; set; } = TimeSpan.MaxValue;

    internal int NominationAttempts { get; set; }

    /// <summary>Controlling side: when to look again at nominating (nomination wait, relay fallback).</summary>
    internal TimeSpan? NominateAt { get; set; }

    /// <summary>Controlled side: the pair the peer nominated.</summary>
    internal CandidatePair? PeerNominated { get; set; }

    /// <summary>Controlled side: the peer's nomination SEQ our answer belongs to.</summary>
    internal uint NominationAnswerFor { get; set; }

    /// <summary>Outstanding checks by SEQ (or STUN transaction ID low word). A triggered check on a pair with a
    /// check in flight reuses that transaction, so an answer to either counts (RFC 8445 §7.3.1.4).</summary>
    internal Dictionary<uint, IceTransaction> Transactions { get; } = [];
}
