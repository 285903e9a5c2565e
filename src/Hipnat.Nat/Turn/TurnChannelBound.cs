using System.Net;

namespace Hipnat.Nat.Turn;

/// <summary>A ChannelBind succeeded: data to and from <see cref="Peer"/> can use ChannelData on <see cref="Channel"/> (RFC 8656 §12.3).</summary>
public sealed record TurnChannelBound(ushort Channel, IPEndPoint Peer) : TurnEvent;
