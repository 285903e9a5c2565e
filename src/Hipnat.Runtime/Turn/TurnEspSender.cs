using Hipnat.Core.Transport;
using Hipnat.Runtime.DataPlane;

namespace Hipnat.Runtime.Turn;

/// <summary>
/// Sends ESP for routes whose local address is a TURN relayed address: each datagram becomes ChannelData on the
/// peer's channel and goes to the TURN server from the HIP socket the allocation lives on (RFC 8656 §12.5); every
/// other route is left to <paramref name="inner"/>. Nothing is allocated per packet: single datagrams are framed in
/// a per-thread buffer, batches get their header written in place in front of each datagram (the TUN reader's
/// headroom), so segmentation offload still applies.
/// </summary>
internal sealed class TurnEspSender(IEspSender inner, TurnRelayTable table) : IEspSender
{
    private const int MaxData = ushort.MaxValue;

    [ThreadStatic]
    private static byte[]? t_frame;

    [ThreadStatic]
    private static EspDatagram[]? t_batch;

    public EspRoute? CreateRoute(TransportAddress local, TransportAddress remote, bool relayed)
    {
        if (table.Find(local) is not { } allocation)
        {
            return inner.CreateRoute(local, remote, relayed);
        }

        // The socket that reaches the server, and the server's address as the destination.
        if (inner.CreateRoute(allocation.Socket, allocation.Server, relayed) is not { } toServer)
        {
            return null;
        }

        var slot = allocation.SlotFor(remote);
        if (slot.Channel == 0)
        {
            slot.Wanted = true;
        }

        return new EspRoute(local, remote, relayed, toServer.Socket)
        {
            Address = toServer.Address,
            SourceControl = toServer.SourceControl,
            TurnChannel = slot,
            Via = $"via TURN {allocation.Server}",
        };
    }

    public bool Send(ReadOnlySpan<byte> datagram, EspRoute route)
    {
        if (route.TurnChannel is not { } slot)
        {
            return inner.Send(datagram, route);
        }

        ushort channel = slot.Channel;
        if (channel == 0 || datagram.Length > MaxData)
        {
            slot.Wanted = channel == 0;
            table.CountEspNoChannel(1);
            return false;
        }

        var frame = t_frame ??= GC.AllocateUninitializedArray<byte>(MaxData + TurnFraming.HeaderSize, pinned: true);
        TurnFraming.WriteHeader(frame, channel, datagram.Length);
        datagram.CopyTo(frame.AsSpan(TurnFraming.HeaderSize));
        if (!inner.Send(frame.AsSpan(0, datagram.Length + TurnFraming.HeaderSize), route))
        {
            return false;
        }

        table.CountEspOut(1, datagram.Length);
        return true;
    }

    public int SendBatch(EspRoute route, ReadOnlySpan<EspDatagram> datagrams)
    {
        if (route.TurnChannel is not { } slot)
        {
            return inner.SendBatch(route, datagrams);
        }

        ushort channel = slot.Channel;
        if (channel == 0)
        {
            slot.Wanted = true;
            table.CountEspNoChannel(datagrams.Length);
            return 0;
        }

        var batch = t_batch;
        if (batch is null || batch.Length < datagrams.Length)
        {
            batch = t_batch = new EspDatagram[Math.Max(64, datagrams.Length)];
        }

        int sent = 0;
        int framed = 0;
        long bytes = 0;
        foreach (var d in datagrams)
        {
            if (d.Offset >= TurnFraming.HeaderSize && d.Length <= MaxData)
            {
                // In place: the header goes into the headroom before the sealed datagram.
                TurnFraming.WriteHeader(d.Buffer.AsSpan(d.Offset - TurnFraming.HeaderSize), channel, d.Length);
                batch[framed++] = new EspDatagram(d.Buffer, d.Offset - TurnFraming.HeaderSize, d.Length + TurnFraming.HeaderSize);
                bytes += d.Length;
            }
            else if (Send(d.Span, route))
            {
                sent++;
            }
        }

        if (framed > 0)
        {
            int n = inner.SendBatch(route, batch.AsSpan(0, framed));
            table.CountEspOut(n, n == framed ? bytes : bytes * n / framed);
            sent += n;
        }

        return sent;
    }
}
