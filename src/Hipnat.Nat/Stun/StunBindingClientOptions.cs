namespace Hipnat.Nat.Stun;

/// <summary>Settings of a <see cref="StunBindingClient"/>.</summary>
public sealed record StunBindingClientOptions
{
    public StunRetransmissionOptions Retransmission { get; init; } = StunRetransmissionOptions.Default;

    /// <summary>SOFTWARE for requests (RFC 8489 §6.1: SHOULD); null to omit.</summary>
    public string? Software { get; init; } = "hipnat";

    /// <summary>Append FINGERPRINT to requests (RFC 8489 §7; RFC 5770 §5.3 on the shared HIP port).</summary>
    public bool UseFingerprint { get; init; } = true;

    /// <summary>Source of transaction IDs; null draws cryptographically random ones (RFC 8489 §5).</summary>
    public Func<StunTransactionId>? TransactionIdFactory { get; init; }

    /// <summary>Keep an RTO estimate per server address (RFC 8489 §6.2.1).</summary>
    public bool CacheRto { get; init; } = true;
}
