using Hipnat.Core.Transport;
using Hipnat.Wire.Parameters;

namespace Hipnat.Core.Ice;

/// <summary>
/// The checklist of one association (RFC 8445 §6.1.2, as RFC 9028 §4.6.2 narrows it: one component, unique
/// foundations, no frozen pairs): pair formation with server-reflexive locals replaced by their base and redundant
/// pairs pruned, priority order capped at <see cref="IceOptions.MaxPairs"/>, a triggered-check queue, pacing by Ta and
/// retransmission with RTO = MAX(1000 ms, Ta * (Num-Waiting + Num-In-Progress)). Pure: time comes in as arguments.
/// </summary>
public sealed class IceCheckList
{
    private readonly List<IceCandidate> _local = [];
    private readonly List<IceCandidate> _remote = [];
    private readonly List<CandidatePair> _pairs = [];
    private readonly Queue<CandidatePair> _triggered = new();
    private readonly IceOptions _options;

    public IceCheckList(bool controlling, TimeSpan ta, IceOptions options)
    {
        Controlling = controlling;
        Ta = ta < TimeSpan.FromMilliseconds(5) ? TimeSpan.FromMilliseconds(5) : ta; // RFC 9028 §4.4: not below 5 ms
        _options = options;
    }

    public bool Controlling { get; }

    public TimeSpan Ta { get; }

    /// <summary>Earliest time the next new check may start (pacing).</summary>
    public TimeSpan NextPacedAt { get; private set; }

    public IReadOnlyList<CandidatePair> Pairs => _pairs;

    public IReadOnlyList<IceCandidate> LocalCandidates => _local;

    public IReadOnlyList<IceCandidate> RemoteCandidates => _remote;

    /// <summary>Remote candidates refused because of <see cref="IceOptions.MaxRemoteCandidates"/>.</summary>
    public int RemoteCandidatesDropped { get; private set; }

    /// <summary>Pairs not formed or removed because of <see cref="IceOptions.MaxPairs"/>.</summary>
    public int PairsPruned { get; private set; }

    public int ChecksSent { get; private set; }

    /// <summary>RFC 9028 §4.6.2 retransmission timeout.</summary>
    public TimeSpan Rto
    {
        get
        {
            int active = 0;
            foreach (var p in _pairs)
            {
                if (p.State is CandidatePairState.Waiting or CandidatePairState.InProgress)
                {
                    active++;
                }
            }

            var rto = Ta * active;
            return rto < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : rto;
        }
    }

    public void AddLocal(IceCandidate candidate)
    {
        if (_local.Exists(c => c.Address == candidate.Address))
        {
            return;
        }

        _local.Add(candidate);
        if (!IsPairable(candidate))
        {
            return;
        }

        foreach (var r in _remote)
        {
            TryAddPair(candidate, r);
        }

        Sort();
    }

    /// <summary>Adds a remote candidate (from LOCATOR_SET or peer-reflexive); returns false when it is refused.</summary>
    public bool AddRemote(IceCandidate candidate)
    {
        int existing = _remote.FindIndex(c => c.Address == candidate.Address);
        if (existing >= 0)
        {
            return true;
        }

        if (_remote.Count >= _options.MaxRemoteCandidates)
        {
            RemoteCandidatesDropped++;
            return false;
        }

        _remote.Add(candidate);
        foreach (var l in _local)
        {
            if (IsPairable(l))
            {
                TryAddPair(l, candidate);
            }
        }

        Sort();
        return true;
    }

    /// <summary>RFC 8445 §6.1.2.4: a server-reflexive (or peer-reflexive) local candidate is replaced by its base,
    /// which is itself a host candidate, so the resulting pair would be redundant: such locals are not paired.</summary>
    private static bool IsPairable(IceCandidate local) => local.Type is CandidateKind.Host or CandidateKind.Relayed;

    private void TryAddPair(IceCandidate local, IceCandidate remote)
    {
        if (local.Address.IsIPv4 != remote.Address.IsIPv4 || local.Address.Kind != remote.Address.Kind)
        {
            return;
        }

        if (_pairs.Exists(p => p.Local.Address == local.Address && p.Remote.Address == remote.Address))
        {
            return;
        }

        var pair = new CandidatePair(local, remote, Controlling);
        if (_pairs.Count >= _options.MaxPairs)
        {
            // Keep the highest-priority pairs (RFC 9028 §4.6.2): replace the lowest untouched one if this is better.
            int worst = -1;
            for (int i = _pairs.Count - 1; i >= 0; i--)
            {
                if (_pairs[i].State == CandidatePairState.Waiting && _pairs[i].ChecksSent == 0)
                {
                    worst = i;
                    break;
                }
            }

            PairsPruned++;
            if (worst < 0 || _pairs[worst].Priority >= pair.Priority)
            {
                return;
            }

            _pairs.RemoveAt(worst);
        }

        _pairs.Add(pair);
    }

    private void Sort() => _pairs.Sort((a, b) => b.Priority.CompareTo(a.Priority));

    public CandidatePair? Find(TransportAddress local, TransportAddress remote)
    {
        foreach (var p in _pairs)
        {
            if (p.Remote.Address == remote && SameLocal(p.Local.Address, local))
            {
                return p;
            }
        }

        return null;
    }

    /// <summary>Local addresses match when equal, or when one side is a wildcard bound to the same port.</summary>
    internal static bool SameLocal(TransportAddress a, TransportAddress b)
    {
        if (a == b)
        {
            return true;
        }

        return a.Port == b.Port && a.Kind == b.Kind && (IsWildcard(a.Address) || IsWildcard(b.Address));
    }

    private static bool IsWildcard(System.Net.IPAddress ip) =>
        ip.Equals(System.Net.IPAddress.Any) || ip.Equals(System.Net.IPAddress.IPv6Any);

    public IceCandidate? FindLocal(TransportAddress address)
    {
        foreach (var c in _local)
        {
            if (SameLocal(c.Address, address) && c.Type is CandidateKind.Host or CandidateKind.Relayed)
            {
                return c;
            }
        }

        return null;
    }

    /// <summary>Queues a triggered check (RFC 8445 §7.3.1.4) for a pair not yet known to work.</summary>
    public void Trigger(CandidatePair pair)
    {
        if (pair.State == CandidatePairState.Succeeded || _triggered.Contains(pair))
        {
            return;
        }

        if (pair.State == CandidatePairState.Failed)
        {
            pair.State = CandidatePairState.Waiting;
            pair.Attempts = 0;
        }

        _triggered.Enqueue(pair);
    }

    /// <summary>
    /// The next check transmission that is due, if any: first retransmissions whose RTO ran out (failing pairs
    /// whose attempts are exhausted), then — paced by Ta — a triggered check, else the highest-priority waiting
    /// pair. The caller sends the check on the returned pair. <paramref name="failed"/> receives pairs that failed.
    /// </summary>
    public CandidatePair? NextCheck(TimeSpan now, List<CandidatePair>? failed = null)
    {
        if (Completed && !BackupsOnly)
        {
            return null;
        }

        foreach (var p in _pairs)
        {
            if (p.State == CandidatePairState.InProgress && p.NextRetransmitAt <= now && Checked(p))
            {
                if (p.Attempts >= _options.MaxCheckAttempts)
                {
                    p.State = CandidatePairState.Failed;
                    p.NextRetransmitAt = TimeSpan.MaxValue;
                    failed?.Add(p);
                    continue;
                }

                if (now >= NextPacedAt)
                {
                    return Transmit(p, now, retransmit: true);
                }
            }
        }

        if (now < NextPacedAt)
        {
            return null;
        }

        while (!BackupsOnly && _triggered.TryDequeue(out var t))
        {
            if (t.State != CandidatePairState.Succeeded && Checked(t) && _pairs.Contains(t))
            {
                t.Attempts = 0;
                return Transmit(t, now, retransmit: false);
            }
        }

        foreach (var p in _pairs)
        {
            if (p.State == CandidatePairState.Waiting && Checked(p))
            {
                return Transmit(p, now, retransmit: false);
            }
        }

        return null;
    }

    /// <summary>Whether <paramref name="p"/> is checked now: every pair, or after <see cref="CheckBackupsOnly"/> the
    /// direct ones.</summary>
    private bool Checked(CandidatePair p) => !BackupsOnly || !p.IsRelayed;

    /// <summary>The checks concluded with a direct pair, and the other direct pairs are still checked, once each,
    /// as hot-backup candidates (draft-melen-hip-nat-mm §3.2.1); relayed pairs rest, and received checks trigger
    /// nothing more (as after <see cref="StopChecks"/>).</summary>
    public bool BackupsOnly { get; private set; }

    public void CheckBackupsOnly()
    {
        StopChecks();
        BackupsOnly = true;
    }

    private CandidatePair Transmit(CandidatePair p, TimeSpan now, bool retransmit)
    {
        if (!retransmit)
        {
            p.FirstSentAt = now;
            p.Attempts = 0;
        }

        p.State = CandidatePairState.InProgress;
        p.Attempts++;
        p.ChecksSent++;
        p.LastSentAt = now;
        var rto = Rto * (1 << Math.Min(p.Attempts - 1, 6));
        p.NextRetransmitAt = now + rto;
        NextPacedAt = now + Ta;
        ChecksSent++;
        return p;
    }

    /// <summary>When <see cref="NextCheck"/> has something to do next (TimeSpan.MaxValue: nothing).</summary>
    public TimeSpan NextDue
    {
        get
        {
            if (Completed && !BackupsOnly)
            {
                return TimeSpan.MaxValue;
            }

            var due = TimeSpan.MaxValue;
            bool fresh = !BackupsOnly && _triggered.Count > 0;
            foreach (var p in _pairs)
            {
                if (!Checked(p))
                {
                    continue;
                }

                if (p.State == CandidatePairState.Waiting)
                {
                    fresh = true;
                }
                else if (p.State == CandidatePairState.InProgress)
                {
                    var at = p.NextRetransmitAt;
                    if (p.Attempts < _options.MaxCheckAttempts && at < NextPacedAt)
                    {
                        at = NextPacedAt;
                    }

                    due = at < due ? at : due;
                }
            }

            if (fresh && NextPacedAt < due)
            {
                due = NextPacedAt;
            }

            return due;
        }
    }

    public void Succeeded(CandidatePair p, TimeSpan now, TransportAddress? mapped)
    {
        if (p.State != CandidatePairState.Succeeded)
        {
            p.Rtt = now - p.LastSentAt;
            p.SucceededAt = now;
        }

        p.State = CandidatePairState.Succeeded;
        p.NextRetransmitAt = TimeSpan.MaxValue;
        p.Mapped = mapped;
    }

    /// <summary>The best pair that works: highest priority among succeeded ones, optionally direct only.</summary>
    public CandidatePair? BestSucceeded(bool directOnly)
    {
        foreach (var p in _pairs)
        {
            if (p.State == CandidatePairState.Succeeded && (!directOnly || !p.IsRelayed))
            {
                return p;
            }
        }

        return null;
    }

    /// <summary>True when some pair of higher priority than <paramref name="than"/> may still succeed.</summary>
    public bool BetterPending(CandidatePair than, bool directOnly)
    {
        foreach (var p in _pairs)
        {
            if (ReferenceEquals(p, than))
            {
                return false;
            }

            if (p.State is CandidatePairState.Waiting or CandidatePairState.InProgress && (!directOnly || !p.IsRelayed))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True when no direct pair can succeed any more.</summary>
    public bool DirectExhausted => !_pairs.Exists(p => !p.IsRelayed && p.State is CandidatePairState.Waiting or CandidatePairState.InProgress or CandidatePairState.Succeeded);

    public bool AllFailed => _pairs.Count > 0 && _pairs.TrueForAll(p => p.State == CandidatePairState.Failed);

    /// <summary>Checks concluded (a pair was nominated): no more checks or retransmissions are sent
    /// (RFC 9028 §4.6.2), though checks from the peer are still answered.</summary>
    public bool Completed { get; private set; }

    public void StopChecks()
    {
        Completed = true;
        _triggered.Clear();
        foreach (var p in _pairs)
        {
            // A check abandoned in flight goes back to Waiting: it is checked again only if the checks resume.
            if (p.State == CandidatePairState.InProgress)
            {
                p.State = CandidatePairState.Waiting;
                p.Attempts = 0;
            }

            p.NextRetransmitAt = TimeSpan.MaxValue;
        }
    }

    /// <summary>Starts checking again (new candidates after completion, e.g. a better pair appeared).</summary>
    public void Resume()
    {
        Completed = false;
        BackupsOnly = false;
    }

    /// <summary>Failed direct pairs go back to Waiting and checking resumes: a NAT state that made them fail (an
    /// early unanswered check remembered by a NAT, a filter that has since opened) may have passed. Returns how
    /// many pairs are checked again.</summary>
    public int RetryFailedDirect()
    {
        int n = 0;
        foreach (var p in _pairs)
        {
            if (p.State == CandidatePairState.Failed && !p.IsRelayed)
            {
                p.State = CandidatePairState.Waiting;
                p.Attempts = 0;
                p.NextRetransmitAt = TimeSpan.MaxValue;
                n++;
            }
        }

        if (n > 0)
        {
            Completed = false;
        }

        return n;
    }
}
