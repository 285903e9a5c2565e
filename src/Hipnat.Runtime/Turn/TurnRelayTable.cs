using System.Net;
using Hipnat.Core.Transport;
using Hipnat.Nat.Turn;

namespace Hipnat.Runtime.Turn;

/// <summary>
/// The TURN allocations the daemon holds, as the data plane sees them: which local address is a relayed one and
/// through which server and HIP socket it is reached, which channel carries each peer, and counters of what went
/// through. The driver thread writes it; the TUN reader (sending) and the UDP receive threads (receiving) read it
/// without locks.
/// </summary>
public sealed class TurnRelayTable
{
    private const int ChannelCount = TurnChannelData.MaxChannel - TurnChannelData.MinChannel + 1;

    private readonly int[] _bound = new int[ChannelCount];
    private volatile TurnRelayedRoute[] _routes = [];
    private int _boundCount;
    private long _controlPacketsOut;
    private long _controlPacketsIn;
    private long _espPacketsOut;
    private long _espPacketsIn;
    private long _bytesOut;
    private long _bytesIn;
    private long _espNoChannel;

    /// <summary>True while any channel is bound (the receive threads look for ChannelData only then).</summary>
    public bool HasChannels => Volatile.Read(ref _boundCount) > 0;

    public IReadOnlyList<TurnRelayedRoute> Routes => _routes;

    /// <summary>HIP control packets relayed to and from peers through TURN servers.</summary>
    public long ControlPacketsOut => Interlocked.Read(ref _controlPacketsOut);

    public long ControlPacketsIn => Interlocked.Read(ref _controlPacketsIn);

    /// <summary>ESP datagrams sent and received as ChannelData (or Data indications).</summary>
    public long EspPacketsOut => Interlocked.Read(ref _espPacketsOut);

    public long EspPacketsIn => Interlocked.Read(ref _espPacketsIn);

    /// <summary>Octets of HIP and ESP (without TURN framing) relayed out and in.</summary>
    public long BytesOut => Interlocked.Read(ref _bytesOut);

    public long BytesIn => Interlocked.Read(ref _bytesIn);

    /// <summary>ESP not sent because no channel to the peer was bound yet.</summary>
    public long EspNoChannel => Interlocked.Read(ref _espNoChannel);

    /// <summary>The allocation whose relayed address is <paramref name="relayed"/>, if any.</summary>
    public TurnRelayedRoute? Find(TransportAddress relayed)
    {
        foreach (var r in _routes)
        {
            if (r.Relayed == relayed)
            {
                return r;
            }
        }

        return null;
    }

    /// <summary>True when some allocation has <paramref name="channel"/> bound.</summary>
    public bool IsBound(ushort channel)
    {
        int i = channel - TurnChannelData.MinChannel;
        return (uint)i < ChannelCount && Volatile.Read(ref _bound[i]) > 0;
    }

    /// <summary>Driver thread.</summary>
    public void Add(TurnRelayedRoute route)
    {
        ArgumentNullException.ThrowIfNull(route);
        _routes = [.. _routes.Where(r => r.Relayed != route.Relayed), route];
    }

    /// <summary>Driver thread: the allocation is gone; its channels are unbound and ESP on its routes stops.</summary>
    public void Remove(TurnRelayedRoute route)
    {
        ArgumentNullException.ThrowIfNull(route);
        foreach (var slot in route.Slots)
        {
            SetChannel(slot, 0);
        }

        _routes = [.. _routes.Where(r => !ReferenceEquals(r, route))];
    }

    /// <summary>Driver thread: the server confirmed (or, with 0, lost) the channel of <paramref name="slot"/>.</summary>
    public void SetChannel(TurnChannelSlot slot, ushort channel)
    {
        ArgumentNullException.ThrowIfNull(slot);
        ushort old = slot.Channel;
        if (old == channel)
        {
            return;
        }

        if (old != 0)
        {
            Interlocked.Decrement(ref _bound[old - TurnChannelData.MinChannel]);
            Interlocked.Decrement(ref _boundCount);
        }

        if (channel != 0)
        {
            Interlocked.Increment(ref _bound[channel - TurnChannelData.MinChannel]);
            Interlocked.Increment(ref _boundCount);
        }

        slot.Channel = channel;
    }

    public void CountControlOut(int bytes)
    {
        Interlocked.Increment(ref _controlPacketsOut);
        Interlocked.Add(ref _bytesOut, bytes);
    }

    public void CountControlIn(int bytes)
    {
        Interlocked.Increment(ref _controlPacketsIn);
        Interlocked.Add(ref _bytesIn, bytes);
    }

    public void CountEspOut(int packets, long bytes)
    {
        Interlocked.Add(ref _espPacketsOut, packets);
        Interlocked.Add(ref _bytesOut, bytes);
    }

    public void CountEspIn(int bytes)
    {
        Interlocked.Increment(ref _espPacketsIn);
        Interlocked.Add(ref _bytesIn, bytes);
    }

    public void CountEspNoChannel(int packets) => Interlocked.Add(ref _espNoChannel, packets);
}

/// <summary>
/// One allocation: its relayed address (the local address of ICE pairs using it), the HIP socket it was made
/// from and the server, and a channel slot per peer transport address.
/// </summary>
public sealed class TurnRelayedRoute(TransportAddress relayed, TransportAddress socket, TransportAddress server)
{
    private readonly Dictionary<TransportAddress, TurnChannelSlot> _slots = [];
    private volatile TurnChannelSlot[] _slotList = [];

    /// <summary>The relayed transport address (RFC 8656 §2) the server gave us.</summary>
    public TransportAddress Relayed { get; } = relayed;

    /// <summary>Our HIP socket the allocation lives on.</summary>
    public TransportAddress Socket { get; } = socket;

    public TransportAddress Server { get; } = server;

    public IReadOnlyList<TurnChannelSlot> Slots => _slotList;

    /// <summary>Driver thread: the slot for <paramref name="peer"/>, created unbound when new.</summary>
    public TurnChannelSlot SlotFor(TransportAddress peer)
    {
        peer = Normalize(peer);
        if (!_slots.TryGetValue(peer, out var slot))
        {
            slot = new TurnChannelSlot(peer);
            _slots[peer] = slot;
            _slotList = [.. _slotList, slot];
        }

        return slot;
    }

    /// <summary>Driver thread: the slot for <paramref name="peer"/>, if one exists.</summary>
    public TurnChannelSlot? TryGetSlot(TransportAddress peer) => _slots.GetValueOrDefault(Normalize(peer));

    internal static TransportAddress Normalize(TransportAddress a) =>
        a.Address.IsIPv4MappedToIPv6 ? TransportAddress.Udp(a.Address.MapToIPv4(), a.Port) : a;

    internal static IPEndPoint EndPoint(TransportAddress a) => new(a.Address.IsIPv4MappedToIPv6 ? a.Address.MapToIPv4() : a.Address, a.Port);
}

/// <summary>The channel that carries data to one peer through one allocation; 0 while none is bound.</summary>
public sealed class TurnChannelSlot(TransportAddress peer)
{
    private volatile int _channel;
    private volatile bool _wanted;

    public TransportAddress Peer { get; } = peer;

    /// <summary>The bound channel number, or 0.</summary>
    public ushort Channel
    {
        get => (ushort)_channel;
        internal set => _channel = value;
    }

    /// <summary>Set by the data plane when it had ESP for the peer and no channel: the driver binds one.</summary>
    public bool Wanted
    {
        get => _wanted;
        set => _wanted = value;
    }
}
