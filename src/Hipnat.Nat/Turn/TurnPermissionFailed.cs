using System.Net;
using Hipnat.Nat.Stun;

namespace Hipnat.Nat.Turn;

/// <summary>A CreatePermission failed (error response or timeout); these peers have no permission now.</summary>
public sealed record TurnPermissionFailed(IReadOnlyList<IPAddress> Peers, StunErrorCode? Error) : TurnEvent;
