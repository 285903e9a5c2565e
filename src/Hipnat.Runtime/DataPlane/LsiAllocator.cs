using System.Buffers.Binary;
using System.Net;
using Hipnat.DataPlane.Beet;
using Hipnat.Wire;

namespace Hipnat.Runtime.DataPlane;

/// <summary>
/// Local Scope Identifiers (RFC 5338): IPv4 addresses that stand for HITs towards IPv4 applications. This host takes
/// the configured LSI (default: the first host address of the LSI network); each peer gets the host address
/// selected by the low 32 bits of its HIT (themselves hash output, RFC 7343), moving to the next free address on a
/// collision, so a peer keeps its LSI across daemon restarts unless two peers collide. Not thread-safe: the driver
/// thread assigns.
/// </summary>
public sealed class LsiAllocator
{
    private readonly Dictionary<Hit, uint> _byHit = [];
    private readonly Dictionary<uint, Hit> _byLsi = [];
    private readonly uint _network;
    private readonly uint _hostMask;

    public LsiAllocator(IPNetwork network, IPAddress? localLsi = null)
    {
        if (network.BaseAddress.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork || network.PrefixLength is < 8 or > 30)
        {
            throw new ArgumentException($"LSI network {network} must be IPv4 with a prefix of 8-30 bits", nameof(network));
        }

        Network = network;
        _hostMask = network.PrefixLength == 0 ? uint.MaxValue : (1u << (32 - network.PrefixLength)) - 1;
        _network = BeetPacket.ToLsi(network.BaseAddress) & ~_hostMask;
        LocalLsi = localLsi is null ? _network + 1 : BeetPacket.ToLsi(localLsi);
        if ((LocalLsi & ~_hostMask) != _network)
        {
            throw new ArgumentException($"local LSI {localLsi} is not in {network}", nameof(localLsi));
        }
    }

    public IPNetwork Network { get; }

    /// <summary>This host's LSI (big-endian number).</summary>
    public uint LocalLsi { get; }

    public int Count => _byHit.Count;

    /// <summary>The peer's LSI, assigning one on first use. Zero when the network is full.</summary>
    public uint GetOrAssign(Hit peer)
    {
        if (_byHit.TryGetValue(peer, out uint lsi))
        {
            return lsi;
        }

        // Usable hosts: 1 .. mask-1 (not the network or broadcast address), minus our own.
        uint hosts = _hostMask - 1;
        if ((uint)_byHit.Count + 1 >= hosts)
        {
            return 0;
        }

        uint seed = (uint)peer.Low ^ (uint)(peer.Low >> 32);
        uint index = seed % hosts;
        for (uint i = 0; i < hosts; i++)
        {
            uint candidate = _network | (((index + i) % hosts) + 1);
            if (candidate != LocalLsi && !_byLsi.ContainsKey(candidate))
            {
                _byHit[peer] = candidate;
                _byLsi[candidate] = peer;
                return candidate;
            }
        }

        return 0;
    }

    public bool TryGet(Hit peer, out uint lsi) => _byHit.TryGetValue(peer, out lsi);

    public bool TryGetPeer(uint lsi, out Hit peer) => _byLsi.TryGetValue(lsi, out peer);

    /// <summary>Dotted form of an LSI number.</summary>
    public static string Format(uint lsi)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, lsi);
        return $"{b[0]}.{b[1]}.{b[2]}.{b[3]}";
    }
}
