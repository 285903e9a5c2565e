using System.Net.Sockets;
using Hipnat.Core.Transport;
using Hipnat.Runtime.Transports;

namespace Hipnat.Runtime.DataPlane;

/// <summary>Sends ESP through the daemon's UDP sockets (from the HIP port, so NAT mappings are shared with HIP control).</summary>
internal sealed class SocketEspSender(IEspTransport transport) : IEspSender
{
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
}
