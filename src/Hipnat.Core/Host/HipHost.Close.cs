using Hipnat.Core.Association;
using Hipnat.Core.Transport;
using Hipnat.Wire;
using Hipnat.Wire.Packets;
using Hipnat.Wire.Parameters;

namespace Hipnat.Core.Host;

/// <summary>CLOSE / CLOSE_ACK (RFC 7401 §5.3.7-5.3.8, §6.14-6.15).</summary>
public sealed partial class HipHost
{
    /// <summary>Closes the association with <paramref name="peer"/> (CLOSE, then CLOSING until CLOSE_ACK).</summary>
    public bool Close(Hit peer, TimeSpan now)
    {
        if (!_associations.TryGetValue(peer, out var a))
        {
            return false;
        }

        if (a.State is AssociationState.Established or AssociationState.R2Sent)
        {
            StartClose(a, now);
            return true;
        }

        if (a.State is AssociationState.I1Sent or AssociationState.I2Sent or AssociationState.EFailed)
        {
            Remove(a, now, closedEvent: true); // nothing keyed to close yet
            return true;
        }

        return false;
    }

    private void StartClose(HostAssociation a, TimeSpan now)
    {
        a.CloseNonce = _random.NextBytes(16);
        Span<byte> hip = stackalloc byte[HipHeader.MaxPacketLength];
        var b = new HipPacketBuilder(hip, HipPacketType.Close, LocalHit, a.PeerHit);
        b.AddRaw(ParameterType.EchoRequestSigned, a.CloseNonce);
        AddMac(ref b, a.Suite, a.OurIntegrityKey);
        AddSignature(ref b);
        if (a.ActivePair is { } route)
        {
            AddRelayTo(ref b, route);
        }

        int len = b.Finish();
        a.Pending = hip[..len].ToArray();
        a.PendingLength = len;
        a.Retries = 0;
        a.RetransmitInterval = _options.RetransmitInitial;
        a.PendingUpdate = null;
        a.PendingUpdateId = null;
        a.NextUpdateRetransmit = TimeSpan.MaxValue;
        a.StateDeadline = TimeSpan.MaxValue;
        SetState(a, AssociationState.Closing, now);
        if (a.TryGetRoute(out var local, out var remote))
        {
            EmitCopy(local, remote, a.Pending.AsSpan(0, len));
            a.LastSent = now;
        }

        a.NextRetransmit = now + a.RetransmitInterval;
        ScheduleTimer(a);
    }

    private void OnClose(HipPacket packet, TransportAddress local, TransportAddress remote, TimeSpan now)
    {
        var peer = packet.Header.SenderHit;
        if (!_associations.TryGetValue(peer, out var a) || a.PeerIdentity is null || a.OurIntegrityKey.Length == 0
            || a.State is AssociationState.I1Sent or AssociationState.EFailed or AssociationState.Unassociated)
        {
            Drop(DropReason.UnknownAssociation, $"CLOSE from {peer} without an association");
            return;
        }

        if (!Authenticate(packet, a, "CLOSE"))
        {
            return;
        }

        if (!packet.TryFind(ParameterType.EchoRequestSigned, out var echo))
        {
            Drop(DropReason.Malformed, $"CLOSE from {peer} without ECHO_REQUEST_SIGNED");
            return;
        }

        Span<byte> hip = stackalloc byte[HipHeader.MaxPacketLength];
        var b = new HipPacketBuilder(hip, HipPacketType.CloseAck, LocalHit, peer);
        b.AddRaw(ParameterType.EchoResponseSigned, echo.Contents);
        AddMac(ref b, a.Suite, a.OurIntegrityKey);
        AddSignature(ref b);
        if (a.ActivePair is { } route)
        {
            AddRelayTo(ref b, route);
        }

        int len = b.Finish();
        EmitCopy(local, remote, hip[..len]);
        a.LastSent = now;
        a.LastSeen = now;
        bool wasClosed = a.State == AssociationState.Closed;
        a.ClearPending();
        a.PendingUpdate = null;
        a.PendingUpdateId = null;
        a.NextUpdateRetransmit = TimeSpan.MaxValue;
        if (!wasClosed)
        {
            // Table 6/7: send CLOSE_ACK, go to CLOSED; linger UAL+2MSL (Table 8) to answer retransmitted CLOSEs.
            SetState(a, AssociationState.Closed, now);
            a.StateDeadline = now + _options.UnusedAssociationLifetime + (2 * _options.MaximumSegmentLifetime);
            Raise(new AssociationClosed(now, peer, ByPeer: true));

            // The client ended the association: its registrations (and relayed port) end now, not after the
            // CLOSED linger (RFC 9028 §4.1: registrations live with the association).
            DropServerRegistrations(peer, now);
        }

        ScheduleTimer(a);
    }

    private void OnCloseAck(HipPacket packet, TransportAddress local, TransportAddress remote, TimeSpan now)
    {
        var peer = packet.Header.SenderHit;
        if (!_associations.TryGetValue(peer, out var a) || a.PeerIdentity is null
            || a.State is not (AssociationState.Closing or AssociationState.Closed) || a.CloseNonce is null)
        {
            Drop(DropReason.WrongState, $"CLOSE_ACK from {peer} while not closing");
            return;
        }

        if (!Authenticate(packet, a, "CLOSE_ACK"))
        {
            return;
        }

        if (!packet.TryFind(ParameterType.EchoResponseSigned, out var echo) || !FixedEquals(echo.Contents, a.CloseNonce))
        {
            Drop(DropReason.Malformed, $"CLOSE_ACK from {peer}: echo does not match our CLOSE");
            return;
        }

        // §6.15: discard state, UNASSOCIATED.
        Remove(a, now, closedEvent: true);
    }
}
