using Hipnat.Core.Limits;
using Hipnat.Wire.Parameters;

namespace Hipnat.Core.Ice;

/// <summary>
/// The ICE agent of one host association (RFC 9028 §4.6, RFC 5770 §4.6, RFC 8445): which check goes out next, when
/// the controlling side nominates, which pair carries the traffic, restart and direct-retry behaviour, and the
/// inbound check rate. Pure: time comes in as arguments; packets, paths and events go through
/// <see cref="IIceTransport"/>. Created by <see cref="Host.HipHost"/> when a base exchange negotiated ICE-HIP-UDP or
/// ICE-STUN-UDP.
/// </summary>
public sealed partial class IceAgent
{
    private readonly IceOptions _options;
    private readonly IIceTransport _transport;

    internal IceAgent(NatTraversalMode mode, bool controlling, TimeSpan ta, IceOptions options, IIceTransport transport, TimeSpan now)
    {
        Mode = mode;
        CheckList = new IceCheckList(controlling, ta, options);
        StartedAt = now;
        _options = options;
        _transport = transport;
        _checkTokens = new TokenBucket(CheckBurst / 2, now);
    }

    public NatTraversalMode Mode { get; }

    public IceCheckList CheckList { get; }

    public TimeSpan StartedAt { get; }

    /// <summary>The pair carrying traffic, once nominated (or, with aggressive use, the first that worked).</summary>
    public CandidatePair? Selected { get; private set; }

    public TimeSpan? SelectedAt { get; private set; }

    /// <summary>Why <see cref="Selected"/> was chosen, for status views.</summary>
    public string SelectedReason { get; private set; } = string.Empty;

    /// <summary>Both sides agree on the selected pair (nomination answered and confirmed).</summary>
    public bool Concluded { get; private set; }

    /// <summary>This checklist replaced an earlier one after a handover (RFC 9028 §4.9): the first working direct
    /// pair carries traffic at once (draft-melen-hip-nat-mm §5.1.4), the nomination follows.</summary>
    public bool IsRestart { get; private set; }

    /// <summary>The checklist this one replaced had selected a relayed pair: where no direct pair worked before a
    /// move, a working relayed pair is used at once rather than after the relay fallback delay.</summary>
    public bool PreviousWasRelayed { get; private set; }

    /// <summary>Every pair failed; CONNECTIVITY_CHECKS_FAILED was sent.</summary>
    public bool Failed { get; private set; }

    /// <summary>STUN short-term key for ICE-STUN-UDP (RFC 5770 §5.2); null in ICE-HIP-UDP.</summary>
    internal byte[]? StunKey { get; init; }

    /// <summary>ICE-CONTROLLING / ICE-CONTROLLED tie-breaker sent in STUN checks (roles come from HIP, RFC 5770 §5.2).</summary>
    internal ulong TieBreaker { get; init; }

    /// <summary>Traffic runs (or, before anything was selected here, ran before the restart) through a relay.</summary>
    internal bool OnRelay => Selected is { IsRelayed: true } || (Selected is null && PreviousWasRelayed);

    /// <summary>Marks this checklist as the restart of one after a handover (RFC 9028 §4.9).</summary>
    internal void MarkRestart(bool previousWasRelayed)
    {
        IsRestart = true;
        PreviousWasRelayed = previousWasRelayed;
    }

    /// <summary>
    /// RFC 9028 §4.9: the peer announced new locators and this restarted checklist waits for the peer's answer to
    /// our signed echo (step 6 of Figure 6) before it sends any check — an UPDATE carrying locators may be a replay.
    /// Checks the peer sends meanwhile are answered, and the checks they trigger wait too.
    /// </summary>
    public bool HeldForEcho { get; private set; }

    internal void Hold() => HeldForEcho = true;

    /// <summary>The peer answered the signed echo: the checks start (the caller runs <see cref="OnTimer"/>).</summary>
    internal bool Release()
    {
        bool was = HeldForEcho;
        HeldForEcho = false;
        return was;
    }

    /// <summary>This host has more than one address to check from: only then are backups checked after the
    /// selection (a single-homed host's other pairs share its one uplink; the peer's own backups are its affair).</summary>
    internal bool Multihomed { get; init; } = true;

    /// <summary>A direct pair carries the traffic: the checks stop (RFC 9028 §4.6.2), unless the other direct pairs
    /// are checked on as backups (<see cref="IceOptions.CheckBackups"/>, draft §3.2.1; IceAgent.Backups).</summary>
    private void StopChecksButBackups()
    {
        if (ChecksBackups)
        {
            CheckList.CheckBackupsOnly();
        }
        else
        {
            CheckList.StopChecks();
        }
    }

    /// <summary>Adds one of our candidates; new pairs after the checks concluded or failed are checked.</summary>
    internal void AddLocal(IceCandidate candidate)
    {
        int before = CheckList.Pairs.Count;
        CheckList.AddLocal(candidate);
        Reopen(before);
    }

    /// <summary>Adds a candidate the peer offered (LOCATOR_SET); false when it is refused (too many).</summary>
    internal bool AddRemote(IceCandidate candidate)
    {
        int before = CheckList.Pairs.Count;
        bool added = CheckList.AddRemote(candidate);
        Reopen(before);
        return added;
    }

    private void Reopen(int pairsBefore)
    {
        if (CheckList.Pairs.Count != pairsBefore)
        {
            if (!CheckList.BackupsOnly)
            {
                CheckList.Resume(); // (with only backups checked, new direct pairs are checked as backups too)
            }

            Failed = false;
        }
    }

    /// <summary>
    /// Timer work at <paramref name="now"/>: due checks and retransmissions (paced by Ta, RFC 9028 §4.6.2), the
    /// nomination's retransmission, nomination, the direct retry, and all-failed detection.
    /// </summary>
    internal void OnTimer(TimeSpan now)
    {
        if (HeldForEcho)
        {
            return;
        }

        var failed = new List<CandidatePair>();
        for (int guard = 0; guard < 64; guard++)
        {
            var pair = CheckList.NextCheck(now, failed);
            if (pair is null)
            {
                break;
            }

            Send(pair, nominate: false, now);
        }

        foreach (var f in failed)
        {
            _transport.Trace($"pair {f} failed after {f.Attempts} checks");
        }

        RetransmitNomination(now);
        MaybeNominate(now);
        RetryDirectLater(now);
        RunBackupRound(now);

        // RFC 9028 §4.6.2: every pair failed — the peer is told (CONNECTIVITY_CHECKS_FAILED) once.
        if (!Failed && Selected is null && CheckList.AllFailed && _nominating is null)
        {
            Failed = true;
            _transport.ChecksFailed(now);
        }
    }

    /// <summary>When <see cref="OnTimer"/> has something to do next (TimeSpan.MaxValue: nothing).</summary>
    internal TimeSpan NextDue(TimeSpan now)
    {
        if (HeldForEcho)
        {
            return TimeSpan.MaxValue;
        }

        var due = CheckList.NextDue;
        if (_nominating is { Nominated: false } && _nominationNextAt < due)
        {
            due = _nominationNextAt;
        }

        if (CheckList.Controlling && _nominating is null && !Concluded && _nominateAt is { } at && at < due)
        {
            due = at < now ? now : at;
        }

        if (DirectRetryAt is { } retry && retry < due)
        {
            due = retry < now ? now : retry;
        }

        if (_backupRoundAt < due)
        {
            due = _backupRoundAt < now ? now : _backupRoundAt;
        }

        return due;
    }

    /// <summary>Makes <paramref name="pair"/> the one carrying traffic, if it can be routed.</summary>
    internal void Select(CandidatePair pair, TimeSpan now, string reason)
    {
        if (ReferenceEquals(Selected, pair) || !_transport.CanRoute(pair))
        {
            return;
        }

        Selected = pair;
        SelectedAt = now;
        SelectedReason = reason;
        _transport.Selected(pair, reason, now);
        StartBackupRounds(now);
    }

    /// <summary>Make-before-break (draft-melen-hip-nat-mm §3.1): a pair checked before the selected one's address
    /// went takes over, even when the selection is otherwise settled. True when it carries traffic now.</summary>
    internal bool TakeOver(CandidatePair pair, TimeSpan now, string reason)
    {
        Selected = null;
        Select(pair, now, reason);
        return ReferenceEquals(Selected, pair);
    }
}
