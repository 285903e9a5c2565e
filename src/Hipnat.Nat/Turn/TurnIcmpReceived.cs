using System.Net;
using Hipnat.Nat.Stun;

namespace Hipnat.Nat.Turn;

/// <summary>A Data indication relayed an ICMP error about traffic to <see cref="Peer"/> (RFC 8656 §11.6).</summary>
public sealed record TurnIcmpReceived(IPEndPoint Peer, StunIcmp Icmp) : TurnEvent;
