using System.Buffers.Binary;
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
    private readonly Dictionary<RawAddressKey, TransportAddress> _byRaw = [];
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

    /// <summary>The transport address of a Linux sockaddr_in / sockaddr_in6 (as filled in by recvmsg).</summary>
    public TransportAddress FromSockaddr(ReadOnlySpan<byte> sockaddr)
    {
        ushort family = BinaryPrimitives.ReadUInt16LittleEndian(sockaddr);
        ushort port = BinaryPrimitives.ReadUInt16BigEndian(sockaddr[2..]);
        if (family == 2 && sockaddr.Length >= 8)
        {
            return FromRaw(sockaddr.Slice(4, 4), port, 0);
        }

        if (family == 10 && sockaddr.Length >= 28)
        {
            return FromRaw(sockaddr.Slice(8, 16), port, BinaryPrimitives.ReadUInt32LittleEndian(sockaddr[24..]));
        }

        throw new ArgumentException($"unexpected address family {family}", nameof(sockaddr));
    }

    /// <summary>The transport address of 4 or 16 address octets (a datagram's destination) with our port.</summary>
    public TransportAddress FromLocalBytes(ReadOnlySpan<byte> address, ushort port) => FromRaw(address, port, 0);

    private TransportAddress FromRaw(ReadOnlySpan<byte> address, ushort port, uint scope)
    {
        var key = address.Length == 4
            ? new RawAddressKey(0, BinaryPrimitives.ReadUInt32BigEndian(address), 4UL << 56 | port)
            : new RawAddressKey(
                BinaryPrimitives.ReadUInt64BigEndian(address),
                BinaryPrimitives.ReadUInt64BigEndian(address[8..]),
                6UL << 56 | (ulong)scope << 16 | port);
        if (_byRaw.TryGetValue(key, out var known))
        {
            return known;
        }

        var ip = new IPAddress(address);
        if (scope != 0 && ip.IsIPv6LinkLocal)
        {
            ip.ScopeId = scope;
        }

        var value = Make(ip, port);
        if (_byRaw.Count >= MaxEntries)
        {
            _byRaw.Clear();
        }

        _byRaw[key] = value;
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
