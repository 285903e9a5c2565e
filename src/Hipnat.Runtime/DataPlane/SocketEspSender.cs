using System.Net.Sockets;
using Hipnat.Core.Transport;
using Hipnat.Runtime.Transports;

namespace Hipnat.Runtime.DataPlane;

/// <summary>
/// Sends ESP through the daemon's UDP sockets (from the HIP port, so NAT mappings are shared with HIP control).
/// Batches of equal-size datagrams go out with UDP segmentation offload (<see cref="UdpGso"/>) while the kernel
/// accepts it; on the first refusal it falls back to one sendto(2) per datagram for good.
/// </summary>
internal sealed class SocketEspSender(IEspTransport transport) : IEspSender
{
    private const int EIo = 5;
    private const int EInval = 22;
    private const int ENoProtoOpt = 92;
    private const int EOpNotSupp = 95;

    private volatile bool _gso = UdpGso.IsSupported && Environment.GetEnvironmentVariable("HIPNAT_NO_GSO") != "1";

    /// <summary>True while batches use UDP segmentation offload.</summary>
    public bool UsesGso => _gso;

    public EspRoute? CreateRoute(TransportAddress local, TransportAddress remote, bool relayed)
    {
        if (remote.Kind != TransportKind.Udp)
        {
            return null; // ESP straight over IP (protocol 50) is not implemented: raw HIP associations carry no data
        }

        var socket = transport.GetEspSocket(local, remote);
        return socket is null ? null : new EspRoute(local, remote, relayed, socket);
    }

    public bool Send(ReadOnlySpan<byte> datagram, EspRoute route)
    {
        try
        {
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

    private bool TrySendGso(EspRoute route, ReadOnlySpan<EspDatagram> run, int size)
    {
        int errno;
        try
        {
            errno = UdpGso.Send(route.Socket!, route.Address, run, size);
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
