using System.Net;

namespace Hipnat.Nat.Stun;

/// <summary>One datagram a sans-IO STUN or TURN state machine asks the I/O layer to send to <see cref="Destination"/>.</summary>
public readonly record struct StunTransmit(IPEndPoint Destination, byte[] Payload);
