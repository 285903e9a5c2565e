namespace Hipnat.Nat.Stun;

/// <summary>
/// Which message-integrity attributes a short-term request carries (RFC 8489 §9.1.2): both unless the agents
/// know which one the other supports. RFC 5770 §5.2 (HIP over RFC 5389) uses MESSAGE-INTEGRITY alone.
/// </summary>
[Flags]
public enum StunIntegrityAlgorithms
{
    None = 0,
    Sha1 = 1,
    Sha256 = 2,
    Both = Sha1 | Sha256,
}
