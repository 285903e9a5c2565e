using Hipnat.Core.Association;
using Hipnat.Core.Transport;
using Hipnat.Wire;

namespace Hipnat.Core.Host;

/// <summary>Something the core tells its driver (daemon, simulator, tests) about.</summary>
public abstract record HipEvent(TimeSpan At, Hit Peer);

/// <summary>The base exchange completed; <paramref name="Elapsed"/> is from the first I1 (initiator) or I2 (responder).</summary>
public sealed record AssociationEstablished(TimeSpan At, Hit Peer, bool AsInitiator, TransportAddress PeerAddress, TimeSpan Elapsed)
    : HipEvent(At, Peer);

/// <summary>The association gave up (retransmissions exhausted, a fatal NOTIFY, no usable parameters).</summary>
public sealed record AssociationFailed(TimeSpan At, Hit Peer, string Reason) : HipEvent(At, Peer);

/// <summary>The association was closed by CLOSE/CLOSE_ACK or expired out of CLOSING/CLOSED.</summary>
public sealed record AssociationClosed(TimeSpan At, Hit Peer, bool ByPeer) : HipEvent(At, Peer);

/// <summary>An UPDATE we sent was acknowledged (or one from the peer was processed).</summary>
public sealed record UpdateCompleted(TimeSpan At, Hit Peer, uint UpdateId, bool Rekeyed) : HipEvent(At, Peer);

/// <summary>The peer's state changed in a way a status view shows (state transition).</summary>
public sealed record AssociationStateChanged(TimeSpan At, Hit Peer, AssociationState From, AssociationState To) : HipEvent(At, Peer);

/// <summary>A NOTIFY arrived from the peer.</summary>
public sealed record NotifyReceived(TimeSpan At, Hit Peer, ushort MessageType, ReadOnlyMemory<byte> Data) : HipEvent(At, Peer);

/// <summary>
/// An ESP SA pair is ready for the data plane: after the base exchange, after a rekey (<paramref name="Replaces"/>
/// names the inbound SPI it supersedes) or for a new parallel pair. Keys are in <see cref="Sa"/>.
/// </summary>
public sealed record EspSaReady(TimeSpan At, Hit Peer, Association.EspSaPair Sa, uint? Replaces) : HipEvent(At, Peer);

/// <summary>ICE concluded: a candidate pair was nominated (RFC 9028 §4.6.3). <paramref name="Elapsed"/> is from the
/// start of the checks.</summary>
public sealed record IceCompleted(TimeSpan At, Hit Peer, string Pair, int ChecksSent, TimeSpan Elapsed, bool Relayed) : HipEvent(At, Peer);

/// <summary>Every candidate pair failed (CONNECTIVITY_CHECKS_FAILED was sent, RFC 9028 §4.6.3).</summary>
public sealed record IceChecksFailed(TimeSpan At, Hit Peer, int ChecksSent) : HipEvent(At, Peer);

/// <summary>The locator pair that carries an association's traffic changed (e.g. from the relay to a direct path).</summary>
/// <remarks><paramref name="Verified"/> false: the peer's new address is used before return routability verified it,
/// for data only within credit-based authorization (RFC 8046 §5.6); a second event with true follows the answer.</remarks>
public sealed record ActivePathChanged(TimeSpan At, Hit Peer, TransportAddress From, TransportAddress To, bool Direct, string Reason, bool Verified = true) : HipEvent(At, Peer);

/// <summary>A handover began: our locators changed (<paramref name="Mobile"/>) or the peer announced new ones.</summary>
public sealed record HandoverStarted(TimeSpan At, Hit Peer, bool Mobile, string Reason) : HipEvent(At, Peer);

/// <summary>A handover reached a working path again; <paramref name="Duration"/> is from its start.</summary>
public sealed record HandoverCompleted(TimeSpan At, Hit Peer, bool Mobile, TimeSpan Duration, string Path) : HipEvent(At, Peer);

/// <summary>The active path to the peer may be broken (silence while traffic flowed); it is being probed.</summary>
public sealed record PathSuspected(TimeSpan At, Hit Peer, string Reason) : HipEvent(At, Peer);

/// <summary>Traffic moved from a failed active pair to a standby (hot backup, draft §3.2.1), or back to the pair it
/// left once that pair recovered (<paramref name="Failback"/>). <paramref name="WithoutPath"/>: how long the failed pair had been silent (zero for a failback).</summary>
public sealed record PathFailedOver(TimeSpan At, Hit Peer, TransportAddress FromLocal, TransportAddress FromPeer, TransportAddress ToLocal, TransportAddress ToPeer, string Reason, bool Failback, TimeSpan WithoutPath = default) : HipEvent(At, Peer);

/// <summary>An ICE check verified a direct pair (RFC 9028 §4.6.2): the peer is reachable at <paramref name="Remote"/>
/// from <paramref name="Local"/>, whether or not the pair carries the traffic now. The data plane keeps it ready, so
/// ESP arriving from that address can be answered there at once (make-before-break, draft §3.1).</summary>
public sealed record PairVerified(TimeSpan At, Hit Peer, TransportAddress Local, TransportAddress Remote) : HipEvent(At, Peer);
