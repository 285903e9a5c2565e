using System.Net;

namespace Hipnat.Nat.Turn;

/// <summary>A CreatePermission succeeded for these peer addresses, first install or refresh (RFC 8656 §10.3).</summary>
public sealed record TurnPermissionCreated(IReadOnlyList<IPAddress> Peers) : TurnEvent;
