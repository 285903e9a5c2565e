using System.Net;
using System.Net.Sockets;
using Hipnat.Core.Transport;

namespace Hipnat.Runtime.Transports;

/// <summary>
/// Maps socket-level addresses to <see cref="TransportAddress"/> values without allocating for addresses seen
/// before (HIP talks to few peers). Owned by one receive thread. Bounded: cleared when it grows too large.
/// </summary>
internal sealed class ReceiveAddressCache
{
    private const int MaxEntries = 4096;

    private readonly TransportKind _kind;
    private readonly Dictionary<SocketAddress, TransportAddress> _bySocketAddress = [];
    private readonly Dictionary<IPEndPoint, TransportAddress> _byEndPoint = [];
    private readonly Dictionary<IPAddress, TransportAddress> _byAddress = [];
    private readonly Dictionary<uint, TransportAddress> _byIPv4 = [];
    private readonly IPEndPoint _factory;

    public ReceiveAddressCache(AddressFamily family, TransportKind kind)
    {
        _kind = kind;
        _factory = new IPEndPoint(family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
    }

    /// <summary>The transport address for a received <see cref="SocketAddress"/>; the argument may be reused by the caller.</summary>
    public TransportAddress FromSocketAddress(SocketAddress address)
    {
        if (_bySocketAddress.TryGetValue(address, out var known))
        {
            return known;
        }

        var endPoint = (IPEndPoint)_factory.Create(address);
        var value = Make(endPoint.Address, endPoint.Port);
        if (_bySocketAddress.Count >= MaxEntries)
        {
            _bySocketAddress.Clear();
        }

        var key = new SocketAddress(address.Family, address.Size);
        address.Buffer.Span[..address.Size].CopyTo(key.Buffer.Span);
        _bySocketAddress[key] = value;
        return value;
    }

    /// <summary>The transport address for a received <see cref="IPEndPoint"/>.</summary>
    public TransportAddress FromEndPoint(IPEndPoint endPoint)
    {
        if (_byEndPoint.TryGetValue(endPoint, out var known))
        {
            return known;
        }

        var value = Make(endPoint.Address, endPoint.Port);
        if (_byEndPoint.Count >= MaxEntries)
        {
            _byEndPoint.Clear();
        }

        _byEndPoint[new IPEndPoint(endPoint.Address, endPoint.Port)] = value;
        return value;
    }

    /// <summary>The transport address for a local (destination) address learnt from packet information, with our port.</summary>
    public TransportAddress FromLocalAddress(IPAddress address, ushort port)
    {
        if (_byAddress.TryGetValue(address, out var known) && known.Port == port)
        {
            return known;
        }

        var value = Make(address, port);
        if (_byAddress.Count >= MaxEntries)
        {
            _byAddress.Clear();
        }

        _byAddress[address] = value;
        return value;
    }

    /// <summary>For raw IPv4 headers: the transport address of 4 address octets.</summary>
    public TransportAddress FromIPv4Bytes(ReadOnlySpan<byte> octets)
    {
        uint key = (uint)(octets[0] << 24 | octets[1] << 16 | octets[2] << 8 | octets[3]);
        if (_byIPv4.TryGetValue(key, out var known))
        {
            return known;
        }

        var value = Make(new IPAddress(octets[..4]), 0);
        if (_byIPv4.Count >= MaxEntries)
        {
            _byIPv4.Clear();
        }

        _byIPv4[key] = value;
        return value;
    }

    private TransportAddress Make(IPAddress address, int port)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        return _kind == TransportKind.RawHip ? TransportAddress.Raw(address) : TransportAddress.Udp(address, (ushort)port);
    }
}
