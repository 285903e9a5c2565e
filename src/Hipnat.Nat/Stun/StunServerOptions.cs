namespace Hipnat.Nat.Stun;

/// <summary>Settings of a <see cref="StunServer"/>.</summary>
public sealed record StunServerOptions
{
    /// <summary>SOFTWARE in responses (RFC 8489 §6.3.1.1: SHOULD); null to omit.</summary>
    public string? Software { get; init; } = "hipnat";

    /// <summary>Append FINGERPRINT to responses (RFC 8489 §7).</summary>
    public bool UseFingerprint { get; init; } = true;

    /// <summary>
    /// Short-term credential lookup (RFC 8489 §9.1.3): USERNAME to HMAC key, null for an unknown username.
    /// When set, every Binding request must be authenticated; when null (a basic server, RFC 8489 §12), none is.
    /// </summary>
    public Func<string, byte[]?>? ShortTermKeyLookup { get; init; }
}
