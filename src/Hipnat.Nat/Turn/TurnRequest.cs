using System.Net;
using Hipnat.Nat.Stun;

namespace Hipnat.Nat.Turn;

/// <summary>
/// One logical TURN request and its current transaction. A 401 or 438 answer re-sends the same request as a new
/// transaction with fresh credentials (RFC 8489 §9.2.5), so the request outlives its transaction IDs.
/// </summary>
internal sealed class TurnRequest(TurnRequestKind kind)
{
    public TurnRequestKind Kind { get; } = kind;

    public StunMethod Method => Kind switch
    {
        TurnRequestKind.Allocate => StunMethod.Allocate,
        TurnRequestKind.Refresh => StunMethod.Refresh,
        TurnRequestKind.CreatePermission => StunMethod.CreatePermission,
        _ => StunMethod.ChannelBind,
    };

    /// <summary>LIFETIME to send (Allocate, Refresh); zero deletes the allocation.</summary>
    public TimeSpan? Lifetime { get; init; }

    /// <summary>CreatePermission peers.</summary>
    public IReadOnlyList<IPAddress> Peers { get; init; } = [];

    /// <summary>ChannelBind channel number and peer.</summary>
    public ushort Channel { get; init; }

    public IPEndPoint? Peer { get; init; }

    public bool IsDeallocation => Kind == TurnRequestKind.Refresh && Lifetime == TimeSpan.Zero;

    // The current transaction.
    public StunTransactionId Id { get; set; }

    public byte[] Bytes { get; set; } = [];

    public StunRetransmission Timer { get; set; } = null!;

    /// <summary>Whether this transaction carried long-term credentials.</summary>
    public bool Authenticated { get; set; }

    public bool DiscardedForIntegrity { get; set; }

    public int StaleNonceRetries { get; set; }
}
