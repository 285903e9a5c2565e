using System.Net;
using Hipnat.Nat.Stun;

namespace Hipnat.Nat.Turn;

/// <summary>
/// Sans-IO TURN client for one allocation on one server over UDP (RFC 8656): Allocate with the long-term
/// credential mechanism (RFC 8489 §9.2: 401 challenge, 438 stale nonce), Refresh (and LIFETIME 0 to delete),
/// CreatePermission, ChannelBind with ChannelData framing, Send and Data indications, and the timers that keep the
/// allocation (refresh about a minute before expiry), its permissions (under 5 minutes) and its channels (under 10
/// minutes) alive. Datagrams from the server and timer ticks go in with the current time; datagrams for the
/// server come out of <see cref="TryPollTransmit"/> and <see cref="TurnEvent"/>s out of <see cref="TryPollEvent"/>.
/// It never reads a clock, opens a socket or starts a thread.
/// </summary>
public sealed partial class TurnClient
{
    /// <summary>Permission lifetime on the server (RFC 8656 §9).</summary>
    public static readonly TimeSpan PermissionLifetime = TimeSpan.FromMinutes(5);

    /// <summary>Channel binding lifetime on the server (RFC 8656 §12).</summary>
    public static readonly TimeSpan ChannelLifetime = TimeSpan.FromMinutes(10);

    /// <summary>Allocation lifetime assumed when a response omits LIFETIME (the RFC 8656 default of 10 minutes).</summary>
    public static readonly TimeSpan DefaultAllocationLifetime = TimeSpan.FromMinutes(10);

    private readonly Dictionary<StunTransactionId, TurnRequest> _pending = [];
    private readonly Dictionary<IPAddress, TurnPermission> _permissions = [];
    private readonly Dictionary<ushort, TurnChannelBinding> _channels = [];
    private readonly Dictionary<IPEndPoint, ushort> _channelByPeer = [];
    private readonly Queue<StunTransmit> _transmits = new();
    private readonly Queue<TurnEvent> _events = new();
    private readonly List<IPEndPoint> _relayed = [];
    private TimeSpan? _refreshAt;
    private TimeSpan _expiresAt;
    private ushort _nextChannel = TurnChannelData.MinChannel;

    public TurnClient(TurnClientOptions options)
    {
        Options = options;
        if (options.PermissionRefreshInterval >= PermissionLifetime || options.ChannelRefreshInterval >= ChannelLifetime)
        {
            throw new ArgumentException("refresh intervals must be shorter than the lifetimes of RFC 8656 §9 and §12", nameof(options));
        }
    }

    public TurnClientOptions Options { get; }

    public TurnClientState State { get; private set; } = TurnClientState.Idle;

    /// <summary>The first relayed transport address (RFC 8656 §7.3), once allocated.</summary>
    public IPEndPoint? RelayedAddress => _relayed.Count > 0 ? _relayed[0] : null;

    public IReadOnlyList<IPEndPoint> RelayedAddresses => _relayed;

    /// <summary>The server-reflexive address from XOR-MAPPED-ADDRESS of the Allocate response.</summary>
    public IPEndPoint? MappedAddress { get; private set; }

    /// <summary>The lifetime the server granted last.</summary>
    public TimeSpan Lifetime { get; private set; }

    /// <summary>When the allocation expires unless refreshed, while allocated.</summary>
    public TimeSpan? ExpiresAt => State is TurnClientState.Allocated or TurnClientState.Deallocating ? _expiresAt : null;

    /// <summary>Transactions in flight.</summary>
    public int PendingCount => _pending.Count;

    /// <summary>True when a permission for <paramref name="peer"/> is installed on the server.</summary>
    public bool HasPermission(IPAddress peer) => _permissions.TryGetValue(Normalize(peer), out var p) && p.Active;

    /// <summary>The channel bound (confirmed) to <paramref name="peer"/>, if any.</summary>
    public ushort? GetChannel(IPEndPoint peer) =>
        _channelByPeer.TryGetValue(Normalize(peer), out var number) && _channels[number].Bound ? number : null;

    /// <summary>The earliest time <see cref="HandleTimeout"/> has work: a retransmission or a refresh.</summary>
    public TimeSpan? NextTimeout
    {
        get
        {
            TimeSpan? next = null;
            void Consider(TimeSpan? t)
            {
                if (t is { } value && (next is null || value < next))
                {
                    next = value;
                }
            }

            foreach (var r in _pending.Values)
            {
                Consider(r.Timer.Deadline);
            }

            if (State == TurnClientState.Allocated)
            {
                Consider(_refreshAt);
                Consider(_expiresAt);
                foreach (var p in _permissions.Values)
                {
                    Consider(p.InFlight ? null : p.RefreshAt);
                }

                foreach (var c in _channels.Values)
                {
                    Consider(c.InFlight ? null : c.RefreshAt);
                }
            }

            return next;
        }
    }

    /// <summary>Starts the Allocate transaction; the first request carries no credentials (RFC 8489 §9.2.3.1).</summary>
    public void Allocate(TimeSpan now)
    {
        if (State is TurnClientState.Allocating or TurnClientState.Allocated or TurnClientState.Deallocating)
        {
            throw new InvalidOperationException($"cannot allocate while {State}");
        }

        ResetAllocation();
        State = TurnClientState.Allocating;
        Start(new TurnRequest(TurnRequestKind.Allocate), now);
    }

    /// <summary>Refreshes the allocation now (RFC 8656 §8.1) with <paramref name="lifetime"/> or the configured hint.</summary>
    public void Refresh(TimeSpan now, TimeSpan? lifetime = null)
    {
        RequireAllocated();
        _refreshAt = null;
        Start(new TurnRequest(TurnRequestKind.Refresh) { Lifetime = lifetime ?? Options.RequestedLifetime }, now);
    }

    /// <summary>Deletes the allocation: a Refresh with LIFETIME 0 (RFC 8656 §8.1).</summary>
    public void Deallocate(TimeSpan now)
    {
        RequireAllocated();
        State = TurnClientState.Deallocating;
        _refreshAt = null;
        Start(new TurnRequest(TurnRequestKind.Refresh) { Lifetime = TimeSpan.Zero }, now);
    }

    /// <summary>
    /// Installs or refreshes permissions for peer IP addresses (RFC 8656 §10.1); ports are irrelevant. One
    /// CreatePermission carries all of them.
    /// </summary>
    public void CreatePermission(TimeSpan now, params IPAddress[] peers)
    {
        RequireAllocated();
        if (peers.Length == 0)
        {
            throw new ArgumentException("at least one peer (RFC 8656 §10.1)", nameof(peers));
        }

        var addresses = peers.Select(Normalize).Distinct().ToArray();
        foreach (var address in addresses)
        {
            if (!_permissions.TryGetValue(address, out var permission))
            {
                permission = new TurnPermission(address);
                _permissions[address] = permission;
            }

            permission.InFlight = true;
        }

        Start(new TurnRequest(TurnRequestKind.CreatePermission) { Peers = addresses }, now);
    }

    /// <summary>
    /// Binds a channel to <paramref name="peer"/> (RFC 8656 §12.1), or refreshes the one it has. Returns the channel
    /// number: the given one, the peer's current one, or the next unused number from 0x4000. ChannelData on it is
    /// accepted at once; it is used for sending once the server confirms (<see cref="TurnChannelBound"/>).
    /// </summary>
    public ushort BindChannel(IPEndPoint peer, TimeSpan now, ushort? channel = null)
    {
        RequireAllocated();
        peer = Normalize(peer);
        if (_channelByPeer.TryGetValue(peer, out var existing))
        {
            if (channel is { } requested && requested != existing)
            {
                throw new InvalidOperationException($"{peer} is already bound to channel 0x{existing:x4} (RFC 8656 §12)");
            }

            channel = existing;
        }
        else
        {
            channel ??= AllocateChannelNumber();
            if (!TurnChannelData.IsValidChannel(channel.Value) || _channels.ContainsKey(channel.Value))
            {
                throw new ArgumentOutOfRangeException(nameof(channel), "a free channel number in 0x4000-0x4FFF");
            }

            _channels[channel.Value] = new TurnChannelBinding(channel.Value, peer);
            _channelByPeer[peer] = channel.Value;
        }

        if (_channels[channel.Value].InFlight)
        {
            // A ChannelBind for this binding is already on its way.
            return channel.Value;
        }

        _channels[channel.Value].InFlight = true;
        Start(new TurnRequest(TurnRequestKind.ChannelBind) { Channel = channel.Value, Peer = peer }, now);
        return channel.Value;
    }

    /// <summary>
    /// Sends application data to <paramref name="peer"/> through the relay: ChannelData when a channel is bound,
    /// otherwise a Send indication (RFC 8656 §11.1, §12.5). False if no permission for the peer's address exists or
    /// is being created (the client MUST ensure one, §11.1).
    /// </summary>
    public bool Send(IPEndPoint peer, ReadOnlySpan<byte> data)
    {
        peer = Normalize(peer);
        if (GetChannel(peer) is not null)
        {
            return SendChannelData(peer, data);
        }

        return SendIndication(peer, data);
    }

    /// <summary>A Send indication with XOR-PEER-ADDRESS and DATA (RFC 8656 §11.1).</summary>
    public bool SendIndication(IPEndPoint peer, ReadOnlySpan<byte> data, bool dontFragment = false)
    {
        peer = Normalize(peer);
        if (State != TurnClientState.Allocated || !_permissions.ContainsKey(peer.Address))
        {
            return false;
        }

        var writer = new StunMessageWriter(StunMethod.Send, StunClass.Indication, NewTransactionId());
        writer.AddXorPeerAddress(peer).AddData(data);
        if (dontFragment)
        {
            writer.AddDontFragment();
        }

        if (Options.UseFingerprint)
        {
            writer.AddFingerprint();
        }

        _transmits.Enqueue(new StunTransmit(Options.Server, writer.ToArray()));
        return true;
    }

    /// <summary>A ChannelData message on the channel bound to <paramref name="peer"/> (RFC 8656 §12.5); false if none is bound.</summary>
    public bool SendChannelData(IPEndPoint peer, ReadOnlySpan<byte> data)
    {
        if (State != TurnClientState.Allocated || GetChannel(Normalize(peer)) is not { } channel)
        {
            return false;
        }

        _transmits.Enqueue(new StunTransmit(Options.Server, TurnChannelData.Write(channel, data)));
        return true;
    }

    public bool TryPollTransmit(out StunTransmit transmit) => _transmits.TryDequeue(out transmit);

    public bool TryPollEvent(out TurnEvent turnEvent) => _events.TryDequeue(out turnEvent!);

    /// <summary>
    /// Offers a datagram received on the client's socket. Returns true when it came from the server and was TURN
    /// (a response, a Data indication or ChannelData), false to leave it to other protocols. Never throws.
    /// </summary>
    public bool HandleDatagram(IPEndPoint from, ReadOnlySpan<byte> datagram, TimeSpan now)
    {
        if (!Normalize(from).Equals(Normalize(Options.Server)) || datagram.IsEmpty)
        {
            return false;
        }

        // RFC 8656 §12 Table 3: 0-3 is STUN, 64-79 a TURN channel; anything else is not ours.
        if (datagram[0] <= 3)
        {
            if (StunMessage.TryParse(datagram, out var message) != StunError.None)
            {
                return false;
            }

            return message!.Class == StunClass.Indication ? HandleIndication(message) : HandleResponse(message, now);
        }

        if (TurnChannelData.LooksLikeChannelData(datagram))
        {
            return HandleChannelData(datagram);
        }

        return false;
    }

    private bool HandleChannelData(ReadOnlySpan<byte> datagram)
    {
        // RFC 8656 §12.6: discard reserved numbers, short datagrams and unbound channels.
        if (!TurnChannelData.TryParse(datagram, out var number, out var data) || !_channels.TryGetValue(number, out var channel))
        {
            return false;
        }

        _events.Enqueue(new TurnDataReceived(channel.Peer, data.ToArray(), number));
        return true;
    }

    private bool HandleIndication(StunMessage message)
    {
        if (message.Method != StunMethod.Data || message.UnknownComprehensionRequired.Count > 0)
        {
            return false;
        }

        // RFC 8656 §11.4: XOR-PEER-ADDRESS is required and SHOULD match a permission; then DATA or ICMP.
        if (message.XorPeerAddress is not { } peer || !_permissions.ContainsKey(Normalize(peer.Address)))
        {
            return false;
        }

        if (message.Icmp is { } icmp)
        {
            _events.Enqueue(new TurnIcmpReceived(peer, icmp));
            return true;
        }

        if (message.Data is not { } data)
        {
            return false;
        }

        _events.Enqueue(new TurnDataReceived(peer, data.ToArray(), null));
        return true;
    }

    private void RequireAllocated()
    {
        if (State != TurnClientState.Allocated)
        {
            throw new InvalidOperationException($"no allocation ({State})");
        }
    }

    private ushort AllocateChannelNumber()
    {
        for (int i = 0; i <= TurnChannelData.MaxChannel - TurnChannelData.MinChannel; i++)
        {
            ushort candidate = _nextChannel;
            _nextChannel = candidate == TurnChannelData.MaxChannel ? TurnChannelData.MinChannel : (ushort)(candidate + 1);
            if (!_channels.ContainsKey(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("all 4096 channel numbers are in use");
    }

    private void ResetAllocation()
    {
        _pending.Clear();
        _permissions.Clear();
        _channels.Clear();
        _channelByPeer.Clear();
        _relayed.Clear();
        MappedAddress = null;
        _refreshAt = null;
        Lifetime = TimeSpan.Zero;
    }

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private static IPEndPoint Normalize(IPEndPoint endPoint) =>
        endPoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endPoint.Address.MapToIPv4(), endPoint.Port) : endPoint;
}
