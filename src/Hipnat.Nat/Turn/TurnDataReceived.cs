using System.Net;

namespace Hipnat.Nat.Turn;

/// <summary>Application data a peer sent to the relayed address, from a Data indication or on a channel (RFC 8656 §11.4, §12.6).</summary>
public sealed record TurnDataReceived(IPEndPoint Peer, byte[] Payload, ushort? Channel) : TurnEvent;
