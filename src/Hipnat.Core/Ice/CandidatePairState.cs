namespace Hipnat.Core.Ice;

/// <summary>States of a candidate pair (RFC 8445 §6.1.2.6). hipnat does not freeze pairs: with one component and
/// unique foundations every pair starts Waiting (RFC 9028 §4.6.2).</summary>
public enum CandidatePairState
{
    Waiting,
    InProgress,
    Succeeded,
    Failed,
}
