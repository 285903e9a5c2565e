namespace Hipnat.Core.Ice;

/// <summary>What an <see cref="IceAgent"/> asks of the host around its decisions: the check packets, the path
/// behind a selected pair, events and logs. Implemented by <see cref="Host.HipHost"/> per association.</summary>
internal interface IIceTransport
{
    /// <summary>Sends a check on <paramref name="pair"/>, nominating it when <paramref name="nominate"/>; when
    /// <paramref name="fresh"/> the check is a new transaction (registered with <see cref="IceAgent.AddTransaction"/>),
    /// otherwise it repeats the one in flight.</summary>
    void SendCheck(CandidatePair pair, bool nominate, bool fresh, TimeSpan now);

    /// <summary>Whether traffic can be routed on <paramref name="pair"/> now (a relayed pair needs its relay).</summary>
    bool CanRoute(CandidatePair pair);

    /// <summary><paramref name="pair"/> was selected: it carries HIP and ESP from now on.</summary>
    void Selected(CandidatePair pair, string reason, TimeSpan now);

    /// <summary>A check on <paramref name="pair"/> was answered for the first time.</summary>
    void PairWorks(CandidatePair pair, TimeSpan now);

    /// <summary>Both sides agree on <paramref name="pair"/>: the nomination completed.</summary>
    void Concluded(CandidatePair? pair, TimeSpan now);

    /// <summary>Every pair failed (RFC 9028 §4.6.2: CONNECTIVITY_CHECKS_FAILED).</summary>
    void ChecksFailed(TimeSpan now);

    /// <summary>The failed direct pairs (<paramref name="pairs"/> of them) are checked again.</summary>
    void DirectRetry(int pairs);

    void Trace(string message);
}
