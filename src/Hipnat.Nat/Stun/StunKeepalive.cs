namespace Hipnat.Nat.Stun;

/// <summary>
/// The NAT keepalive of ICE-STUN-UDP mode (RFC 5770 §4.7, §5.3): a Binding indication with FINGERPRINT and no
/// other attribute or authentication, sent at least every 15 seconds on an idle association, with no non-ESP
/// marker in front.
/// </summary>
public static class StunKeepalive
{
    /// <summary>Longest idle time before a keepalive MUST go out (RFC 5770 §4.7).</summary>
    public static readonly TimeSpan MaxInterval = TimeSpan.FromSeconds(15);

    public static byte[] Create(StunTransactionId? transactionId = null) =>
        new StunMessageWriter(StunMethod.Binding, StunClass.Indication, transactionId ?? StunTransactionId.NewRandom())
            .AddFingerprint()
            .ToArray();

    /// <summary>True for a Binding indication that parses and carries a valid FINGERPRINT. Never throws.</summary>
    public static bool IsKeepalive(ReadOnlySpan<byte> datagram) =>
        StunMessage.TryParse(datagram, out var m) == StunError.None
        && m!.Method == StunMethod.Binding && m.Class == StunClass.Indication && m.HasFingerprint;
}
