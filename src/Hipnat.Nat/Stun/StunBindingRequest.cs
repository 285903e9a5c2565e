namespace Hipnat.Nat.Stun;

/// <summary>
/// Optional contents of one Binding request: short-term credentials (RFC 8489 §9.1) and the ICE attributes of
/// RFC 8445 §16.1 (RFC 5770 §5.2 connectivity checks carry PRIORITY, optionally USE-CANDIDATE, and SHOULD carry
/// ICE-CONTROLLING or ICE-CONTROLLED).
/// </summary>
public sealed record StunBindingRequest
{
    /// <summary>USERNAME; sent with message integrity when <see cref="ShortTermKey"/> is set.</summary>
    public string? Username { get; init; }

    /// <summary>The HMAC key (<see cref="StunCredentials.ShortTermKey"/>); responses must then verify with it.</summary>
    public byte[]? ShortTermKey { get; init; }

    public StunIntegrityAlgorithms Integrity { get; init; } = StunIntegrityAlgorithms.Sha1;

    public uint? Priority { get; init; }

    public bool UseCandidate { get; init; }

    public ulong? IceControlling { get; init; }

    public ulong? IceControlled { get; init; }
}
