using System.Net;
using Hipnat.Nat.Stun;

namespace Hipnat.Nat.Turn;

/// <summary>The allocation could not be made, or was lost; the client is in <see cref="TurnClientState.Failed"/>.</summary>
public sealed record TurnFailed(TurnFailure Reason, StunErrorCode? Error) : TurnEvent
{
    /// <summary>ALTERNATE-SERVER of a 300 response (RFC 8656 §7.4).</summary>
    public IPEndPoint? AlternateServer { get; init; }
}
