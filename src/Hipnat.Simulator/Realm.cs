using System.Net;
using System.Numerics;

namespace Hipnat.Simulator;

/// <summary>
/// An address space: the public internet or a private network behind a <see cref="NatBox"/>. Packets are routed by
/// destination address within the sender's realm; anything not in the realm leaves through its <see cref="Gateway"/>.
/// </summary>
public sealed class Realm
{
    private readonly byte[]? _prefixBytes;
    private readonly BigInteger _prefixSize;
    private BigInteger _nextOffset = BigInteger.One;

    internal Realm(Simulation simulation, string name, IPNetwork? prefix, LinkProfile? defaultProfile)
    {
        Simulation = simulation;
        Name = name;
        Prefix = prefix;
        DefaultProfile = defaultProfile ?? LinkProfile.Ideal;
        if (prefix is { } p)
        {
            _prefixBytes = p.BaseAddress.GetAddressBytes();
            _prefixSize = BigInteger.One << ((_prefixBytes.Length * 8) - p.PrefixLength);
        }
    }

    public Simulation Simulation { get; }

    public string Name { get; }

    /// <summary>The prefix <see cref="AllocateAddress"/> draws from, if any.</summary>
    public IPNetwork? Prefix { get; }

    /// <summary>The link profile of host attachments that have no profile of their own.</summary>
    public LinkProfile DefaultProfile
    {
        get;
        set => field = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>The NAT whose inside this realm is; destinations not in the realm go out through it.</summary>
    public NatBox? Gateway { get; internal set; }

    /// <summary>Number of host addresses and NAT public addresses attached to the realm.</summary>
    public int AddressCount => Interfaces.Count + NatAddresses.Count;

    internal Dictionary<IPAddress, SimInterface> Interfaces { get; } = [];

    internal Dictionary<IPAddress, NatBox> NatAddresses { get; } = [];

    /// <summary>Whether a host or NAT uses <paramref name="address"/> in this realm.</summary>
    public bool Contains(IPAddress address) => Interfaces.ContainsKey(address) || NatAddresses.ContainsKey(address);

    /// <summary>The host interface that owns <paramref name="address"/> in this realm, if any.</summary>
    public SimInterface? FindInterface(IPAddress address) => Interfaces.GetValueOrDefault(address);

    /// <summary>The next unused address of <see cref="Prefix"/> (skipping the network address and, for IPv4, broadcast).</summary>
    public IPAddress AllocateAddress()
    {
        if (_prefixBytes is null)
        {
            throw new InvalidOperationException($"Realm '{Name}' has no address prefix to allocate from.");
        }

        BigInteger limit = _prefixBytes.Length == 4 ? _prefixSize - 1 : _prefixSize;
        while (_nextOffset < limit)
        {
            var address = AddOffset(_prefixBytes, _nextOffset);
            _nextOffset++;
            if (!Contains(address))
            {
                return address;
            }
        }

        throw new InvalidOperationException($"Realm '{Name}' has no free address left in {Prefix}.");
    }

    public override string ToString() => Name;

    internal void CheckFree(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (Contains(address))
        {
            throw new InvalidOperationException($"Address {address} is already in use in realm '{Name}'.");
        }
    }

    private static IPAddress AddOffset(byte[] prefix, BigInteger offset)
    {
        var bytes = (byte[])prefix.Clone();
        for (int i = bytes.Length - 1; i >= 0 && !offset.IsZero; i--)
        {
            int sum = bytes[i] + (int)(offset & 0xFF);
            bytes[i] = (byte)sum;
            offset = (offset >> 8) + (sum >> 8);
        }

        return new IPAddress(bytes);
    }
}
