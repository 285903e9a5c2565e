using System.Net;
using Hipnat.Nat.Stun;

namespace Hipnat.Nat.Turn;

/// <summary>Settings of a <see cref="TurnClient"/>: the server, the long-term credential, and the timer policy.</summary>
public sealed record TurnClientOptions
{
    public required IPEndPoint Server { get; init; }

    public required string Username { get; init; }

    public required string Password { get; init; }

    /// <summary>SOFTWARE in Allocate and Refresh requests (RFC 8656 §5: SHOULD); null to omit.</summary>
    public string? Software { get; init; } = "hipnat";

    /// <summary>LIFETIME hint in Allocate and refreshing Refresh requests; null leaves the server's default (RFC 8656 §7.1).</summary>
    public TimeSpan? RequestedLifetime { get; init; }

    /// <summary>REQUESTED-ADDRESS-FAMILY for the relayed address; null for the server's default (RFC 8656 §7.1).</summary>
    public StunAddressFamily? RequestedAddressFamily { get; init; }

    /// <summary>FINGERPRINT on every STUN-formatted message (RFC 8656 §5: MAY); it helps demultiplexing on a shared port.</summary>
    public bool UseFingerprint { get; init; } = true;

    public StunRetransmissionOptions Retransmission { get; init; } = StunRetransmissionOptions.Default;

    /// <summary>Refresh this long before the allocation expires ("roughly 1 minute", RFC 8656 §8).</summary>
    public TimeSpan RefreshBeforeExpiry { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Permission refresh period; permissions last 300 s (RFC 8656 §9), so this must stay below 5 minutes.</summary>
    public TimeSpan PermissionRefreshInterval { get; init; } = TimeSpan.FromMinutes(4);

    /// <summary>Channel rebind period; bindings last 10 minutes (RFC 8656 §12), so this must stay below that.</summary>
    public TimeSpan ChannelRefreshInterval { get; init; } = TimeSpan.FromMinutes(9);

    /// <summary>How many 438 (Stale Nonce) retries one request may take before the client gives up.</summary>
    public int MaxStaleNonceRetries { get; init; } = 3;

    /// <summary>Source of transaction IDs; null draws cryptographically random ones.</summary>
    public Func<StunTransactionId>? TransactionIdFactory { get; init; }
}
