using Hipnat.Core.Transport;
using Hipnat.Runtime.DataPlane;

namespace Hipnat.Fuzz;

/// <summary>
/// The wire and the TUN device of the BEET harness: ESP an engine sends goes straight into the other engine's
/// <see cref="DataPlaneEngine.TryReceive(ReadOnlySpan{byte})"/>; packets written towards the local stack are counted.
/// </summary>
public sealed class BeetLink : IEspSender, IPacketWriter
{
    public DataPlaneEngine? Other { get; set; }

    public long Written { get; private set; }

    public EspRoute? CreateRoute(TransportAddress local, TransportAddress remote, bool relayed) => new(local, remote, relayed);

    public bool Send(ReadOnlySpan<byte> datagram, EspRoute route)
    {
        _ = Other?.TryReceive(datagram);
        return true;
    }

    public int SendBatch(EspRoute route, ReadOnlySpan<EspDatagram> datagrams)
    {
        foreach (var d in datagrams)
        {
            Send(d.Span, route);
        }

        return datagrams.Length;
    }

    public bool TryWrite(ReadOnlySpan<byte> packet)
    {
        Written++;
        return true;
    }
}
