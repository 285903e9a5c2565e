using System.Buffers.Binary;
using Hipnat.Core.Association;
using Hipnat.Core.Transport;
using Hipnat.Wire;
using Hipnat.Wire.Packets;
using Hipnat.Wire.Parameters;

namespace Hipnat.Core.Host;

/// <summary>NOTIFY (RFC 7401 §5.3.6, §6.13): signed, unacknowledged, informational only.</summary>
public sealed partial class HipHost
{
    /// <summary>Sends a signed NOTIFY with one NOTIFICATION (§5.3.6). Works with or without an association.</summary>
    public void SendNotify(Hit peer, ushort messageType, ReadOnlySpan<byte> data, TimeSpan now)
    {
        TransportAddress local, remote;
        if (_associations.TryGetValue(peer, out var a) && a.TryGetRoute(out local, out remote))
        {
        }
        else if (_peerLocators.TryGetValue(peer, out var locs) && locs.Count > 0)
        {
            remote = locs[0];
            local = DefaultLocal(remote);
        }
        else
        {
            throw new InvalidOperationException($"no locator known for {peer}");
        }

        Span<byte> hip = stackalloc byte[HipHeader.MaxPacketLength];
        var b = new HipPacketBuilder(hip, HipPacketType.Notify, LocalHit, peer);
        // RFC 7401 §5.2.1: parameters in ascending type order, HOST_ID (705) before NOTIFICATION (832); receivers
        // drop a NOTIFY with them the other way round as malformed.
        b.Add(R1Cache.HostIdParameterFor(_identity));
        b.Add(new NotificationParameter((NotifyMessageType)messageType, data.ToArray()));
        AddSignature(ref b);
        if (a?.ActivePair is { } route)
        {
            AddRelayTo(ref b, route);
        }

        int len = b.Finish();
        EmitCopy(local, remote, hip[..len]);
        _ = now;
    }

    /// <summary>Length of the data in hipnat's own notices that the peer acts on: the SPI it receives our ESP on and a
    /// serial. Notices without it (other implementations) are told from replays by their signature alone.</summary>
    private const int NoticeDataLength = 8;

    /// <summary>
    /// A notice the peer acts on (PATH_UNHEARD, CONNECTIVITY_CHECKS_FAILED), signed; its data binds it to the SA in
    /// use and numbers it, so the same notice later is a new packet and a captured one goes stale with the SA. With
    /// <paramref name="relayTo"/>, the active pair's RELAY_TO follows the signature (RFC 9028 §5.9).
    /// </summary>
    private int BuildNotice(HostAssociation a, NotifyMessageType type, Span<byte> hip, bool relayTo = true)
    {
        var data = new byte[NoticeDataLength];
        BinaryPrimitives.WriteUInt32BigEndian(data, a.SaPairs.Count > 0 ? a.SaPairs[^1].OutboundSpi : 0);
        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(4), ++a.NoticeSerial);
        var b = new HipPacketBuilder(hip, HipPacketType.Notify, LocalHit, a.PeerHit);
        b.Add(new NotificationParameter(type, data));
        AddSignature(ref b);
        if (relayTo && a.ActivePair is { } route)
        {
            AddRelayTo(ref b, route);
        }

        return b.Finish();
    }

    private static bool HasInboundSpi(HostAssociation a, uint spi) =>
        a.SaPairs.Count == 0 ? spi == 0 : a.SaPairs.Exists(s => s.InboundSpi == spi);

    private void OnNotify(HipPacket packet, TransportAddress local, TransportAddress remote, TimeSpan now)
    {
        var peer = packet.Header.SenderHit;
        if (!_associations.TryGetValue(peer, out var a) || a.PeerIdentity is null)
        {
            Drop(DropReason.UnknownAssociation, $"NOTIFY from {peer} without an association");
            return;
        }

        if (!CheckSignature(packet, ParameterType.HipSignature, a.PeerIdentity, $"NOTIFY from {peer}"))
        {
            return;
        }

        // §5.3.6 gives NOTIFY no SEQ: a captured notice verifies whenever it is sent again. A notice we act on that
        // was seen before, or names an SA that is no longer ours, is dropped before anything in it is looked at.
        // Others (NAT_KEEPALIVE, which repeats the same octets under a deterministic signature) only show the peer
        // is there.
        bool actedOn = false;
        foreach (var p in packet.Parameters)
        {
            if (p.Type == ParameterType.Notification && HipPacket.TryRead<NotificationParameter>(p, out var n, out _)
                && n.MessageType is NotifyMessageType.PathUnheard or NotifyMessageType.ConnectivityChecksFailed)
            {
                actedOn = true;
                if (n.Data.Length == NoticeDataLength && !HasInboundSpi(a, BinaryPrimitives.ReadUInt32BigEndian(n.Data.Span)))
                {
                    Drop(DropReason.Duplicate, $"NOTIFY {n.MessageType} from {peer} for SPI {BinaryPrimitives.ReadUInt32BigEndian(n.Data.Span):x8}, none of ours now (a replay from an earlier SA)");
                    return;
                }
            }
        }

        if (actedOn && (!packet.TryFind(ParameterType.HipSignature, out var signature) || !a.Notices.TryAccept(signature.Contents)))
        {
            Drop(DropReason.Duplicate, $"NOTIFY from {peer} received before (a replay)");
            return;
        }

        a.LastSeen = now;
        foreach (var p in packet.Parameters)
        {
            if (p.Type == ParameterType.Notification && HipPacket.TryRead<NotificationParameter>(p, out var n, out _))
            {
                // §6.13: informational. Two kinds start our own recovery: every check of the peer failed (draft
                // §5.1.2), or the peer hears nothing from us on our active pair (hipnat's PATH_UNHEARD status).
                Raise(new NotifyReceived(now, peer, (ushort)n.MessageType, n.Data));
                if (n.MessageType == NotifyMessageType.PathUnheard)
                {
                    OnPeerHearsNothing(a, now);
                }
                else if (n.MessageType == NotifyMessageType.ConnectivityChecksFailed)
                {
                    OnPeerChecksFailed(a, now);
                }
            }
        }

        _ = local;
    }
}
