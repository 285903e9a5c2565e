using System.Net.Sockets;
using Hipnat.Core.Transport;
using Hipnat.Runtime.Transports;

namespace Hipnat.Runtime.DataPlane;

/// <summary>
/// Sends ESP through the daemon's UDP sockets (from the HIP port, so NAT mappings are shared with HIP control), or,
/// for a locator pair of the raw HIP transport, as plain IP protocol 50 packets through <paramref name="raw"/>.
/// Batches of equal-size UDP datagrams go out with UDP segmentation offload (<see cref="UdpGso"/>) while the kernel
/// accepts it; on the first refusal it falls back to one sendto(2) per datagram for good. From a wildcard socket
/// every send names the route's local address as its source (IP_PKTINFO / IPV6_PKTINFO, <see cref="PacketInfoSender"/>).
/// A batch of raw ESP goes out in sendmmsg(2) calls (<see cref="RawEspBatch"/>), one message per packet; where the
/// kernel has no sendmmsg it falls back to one sendto(2) per packet for good.
/// </summary>
internal sealed class SocketEspSender(IEspTransport? transport, IEspTransport? raw = null) : IEspSender
{
    private const int EIo = 5;
    private const int EInval = 22;
    private const int ENoProtoOpt = 92;
    private const int EOpNotSupp = 95;

    private volatile bool _gso = UdpGso.IsSupported && Environment.GetEnvironmentVariable("HIPNAT_NO_GSO") != "1";
    private volatile bool _multiMessage = RawEspBatch.IsSupported;
    private long _multiMessageCalls;

    /// <summary>True while batches use UDP segmentation offload.</summary>
    public bool UsesGso => _gso;

    /// <summary>True while raw ESP batches go out with sendmmsg(2).</summary>
    public bool UsesMultiMessage => _multiMessage;

    /// <summary>sendmmsg(2) calls made for raw ESP batches so far.</summary>
    public long MultiMessageCalls => Interlocked.Read(ref _multiMessageCalls);

    public EspRoute? CreateRoute(TransportAddress local, TransportAddress remote, bool relayed)
    {
        // RFC 9028 §5.11 for UDP locators; ESP straight over IP (RFC 4303, RFC 7402) for raw HIP ones.
        var socket = remote.Kind == TransportKind.RawHip
            ? raw?.GetEspSocket(local, remote)
            : transport?.GetEspSocket(local, remote);
        return socket is null ? null : new EspRoute(local, remote, relayed, socket)
        {
            // From the pair's local address, not the one routing picks for a wildcard socket.
            SourceControl = remote.Kind == TransportKind.Udp ? PacketInfoSender.ControlFor(socket, local.Address) : null,
        };
    }

    public bool Send(ReadOnlySpan<byte> datagram, EspRoute route)
    {
        try
        {
            if (route.SourceControl is { } source && PacketInfoSender.SendTo(route.Socket!.SafeHandle, datagram, route.Address, source) == 0)
            {
                return true; // else the address may be gone: the kernel picks the source
            }

            route.Socket!.SendTo(datagram, SocketFlags.None, route.Address);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }

    public int SendBatch(EspRoute route, ReadOnlySpan<EspDatagram> datagrams)
    {
        if (route.Remote.Kind == TransportKind.RawHip)
        {
            // No segmentation offload for raw IP sockets (and a refusal must not switch it off for UDP).
            return SendRawBatch(route, datagrams);
        }

        int sent = 0;
        int i = 0;
        while (i < datagrams.Length)
        {
            // A run: equal sizes, the last may be shorter, within the segment and byte limits.
            int size = datagrams[i].Length;
            int j = i + 1;
            int total = size;
            while (_gso && j < datagrams.Length && j - i < UdpGso.MaxSegments && datagrams[j].Length <= size && total + datagrams[j].Length <= UdpGso.MaxBytes)
            {
                total += datagrams[j].Length;
                j++;
                if (datagrams[j - 1].Length < size)
                {
                    break;
                }
            }

            if (j - i > 1 && TrySendGso(route, datagrams[i..j], size))
            {
                sent += j - i;
                i = j;
                continue;
            }

            if (Send(datagrams[i].Span, route))
            {
                sent++;
            }

            i++;
        }

        return sent;
    }

    /// <summary>Raw ESP: sendmmsg from the first datagram not yet sent until all went; one that fails is dropped, as
    /// a failed sendto would be.</summary>
    private int SendRawBatch(EspRoute route, ReadOnlySpan<EspDatagram> datagrams)
    {
        int sent = 0;
        int i = 0;
        while (_multiMessage && i < datagrams.Length)
        {
            int n;
            int errno;
            try
            {
                n = RawEspBatch.Send(route.Socket!, route.Address, datagrams[i..], out errno);
                Interlocked.Increment(ref _multiMessageCalls);
            }
            catch (ObjectDisposedException)
            {
                return sent;
            }
            catch (EntryPointNotFoundException)
            {
                _multiMessage = false; // a C library without sendmmsg
                break;
            }

            if (n > 0)
            {
                sent += n; // all, or up to the first that failed: the next call starts there
                i += n;
                continue;
            }

            if (errno == RawEspBatch.ENoSys)
            {
                _multiMessage = false; // this kernel cannot: one sendto per packet from now on
                break;
            }

            i++; // datagrams[i] failed (too big, no route, filtered, ...): it is lost, the rest may go
        }

        for (; i < datagrams.Length; i++)
        {
            sent += Send(datagrams[i].Span, route) ? 1 : 0;
        }

        return sent;
    }

    private bool TrySendGso(EspRoute route, ReadOnlySpan<EspDatagram> run, int size)
    {
        int errno;
        try
        {
            errno = UdpGso.Send(route.Socket!, route.Address, run, size, route.SourceControl);
            if (errno != 0 && route.SourceControl is not null)
            {
                errno = UdpGso.Send(route.Socket!, route.Address, run, size); // the source may be gone: the kernel picks it
            }
        }
        catch (ObjectDisposedException)
        {
            return false;
        }

        if (errno == 0)
        {
            return true;
        }

        if (errno is EIo or EInval or ENoProtoOpt or EOpNotSupp)
        {
            _gso = false; // this kernel or route cannot segment: one datagram per send from now on
        }

        return false;
    }
}
