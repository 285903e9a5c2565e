using System.Net;
using Hipnat.Nat.Stun;

namespace Hipnat.Nat.Turn;

/// <summary>
/// A ChannelBind failed. After an unexpected 400 RFC 8656 §12.3 recommends deleting the allocation and starting afresh.
/// </summary>
public sealed record TurnChannelBindFailed(ushort Channel, IPEndPoint Peer, StunErrorCode? Error) : TurnEvent;
