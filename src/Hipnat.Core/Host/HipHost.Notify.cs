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
