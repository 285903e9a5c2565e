using System.Buffers;
using System.Runtime.CompilerServices;
using Hipnat.Core.Association;
using Hipnat.Core.Transport;
using Hipnat.Crypto;
using Hipnat.Wire;
using Hipnat.Wire.Packets;
using Hipnat.Wire.Parameters;

namespace Hipnat.Core.Host;

/// <summary>
/// One HIP host (one Host Identity) as a pure state machine: feed it datagrams and timer ticks with the current
/// time; poll it for datagrams to send and events. No sockets, threads or clocks inside, so the same code runs
/// in the daemon and in the simulator. Not thread-safe: one driver owns it.
/// </summary>
public sealed partial class HipHost
{
    /// <summary>Room before the HIP packet for the RFC 9028 §5.1 zero marker.</summary>
    internal const int UdpMarkerLength = 4;

    private const int BufferSize = HipHeader.MaxPacketLength + UdpMarkerLength + 64;

    private readonly HipHostOptions _options;
    private readonly HostIdentity _identity;
    private readonly HipRandom _random;
    private readonly Dictionary<Hit, HostAssociation> _associations = [];
    private readonly Dictionary<Hit, List<TransportAddress>> _peerLocators = [];
    private readonly Queue<Transmit> _transmits = new();
    private readonly Queue<HipEvent> _events = new();
    private readonly PriorityQueue<HostAssociation, TimeSpan> _timers = new();
    private readonly R1Cache _r1;
    private readonly PuzzleGovernor _puzzle;

    public HipHost(HipHostOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _identity = options.Identity;
        _random = new HipRandom(options.RandomSeed);
        _r1 = new R1Cache(this);
        _puzzle = new PuzzleGovernor(options);
        Counters.PuzzleDifficulty = _puzzle.K;
        LocalHit = _identity.Hit;
        _localLocators = [.. options.LocalLocators];
    }

    public Hit LocalHit { get; }

    public HipHostOptions Options => _options;

    public HipCounters Counters { get; } = new();

    /// <summary>Optional sink for drop reasons and protocol notes (the daemon wires it to its debug log).</summary>
    public Action<string>? DebugLog { get; set; }

    /// <summary>Earliest time <see cref="HandleTimeout"/> has work to do (absolute, same clock as <c>now</c>).</summary>
    public TimeSpan? NextTimeout
    {
        get
        {
            var due = _r1.NextRotation;
            if (_puzzle.NextDue < due)
            {
                due = _puzzle.NextDue;
            }

            if (_reflexiveClient?.NextTimeout is { } stunDue && stunDue < due)
            {
                due = stunDue;
            }

            while (_timers.TryPeek(out var a, out var t))
            {
                if (a.NextDue != t || !_associations.TryGetValue(a.PeerHit, out var cur) || !ReferenceEquals(cur, a))
                {
                    _timers.Dequeue(); // stale entry
                    continue;
                }

                if (t < due)
                {
                    due = t;
                }

                break;
            }

            return due == TimeSpan.MaxValue ? null : due;
        }
    }

    public int AssociationCount => _associations.Count;

    /// <summary>Whether <paramref name="a"/> is still the association with its peer (not removed or replaced).</summary>
    private bool IsCurrent(HostAssociation a) => _associations.TryGetValue(a.PeerHit, out var cur) && ReferenceEquals(cur, a);

    /// <summary>Entries in the association timer queue, superseded ones included until they reach its head.</summary>
    public int PendingTimers => _timers.Count;

    /// <summary>
    /// Entries in the host's tables besides the associations and the timer queue, by table: all of them are kept per
    /// peer, registration, transaction or handover and must empty when those end (diagnostics; the simulator's soak
    /// checks that each is back at its baseline after every association has ended).
    /// </summary>
    public IReadOnlyList<(string Table, int Entries)> TableEntries =>
    [
        ("peer locators", _peerLocators.Count),
        ("server registrations", _registrations.Count),
        ("data relay clients", _espClientsByAddress.Count),
        ("data relay ports", _clientsByRelayedPort.Count),
        ("ICE-STUN usernames", _stunUsernames.Count),
        ("ICE-STUN checks", _stunChecks.Count),
        ("reflexive queries", _reflexiveQueries.Count),
        ("reflexive STUN clients", _reflexiveClient is null ? 0 : 1),
        ("handover registrars", _handoverRegistrars.Count),
        ("local candidates", _extraCandidates.Count),
        ("transmits queued", _transmits.Count),
        ("events queued", _events.Count),
    ];

    /// <summary>Forgets every association and registration at once (a restart without sending anything).</summary>
    public void DropAllState()
    {
        _associations.Clear();
        _registrations.Clear();
        _timers.Clear();
        _espClientsByAddress.Clear();
        _clientsByRelayedPort.Clear();
        _stunUsernames.Clear();
        _stunChecks.Clear();
        _reflexiveQueries.Clear();
        _reflexiveClient = null;
        _handoverRegistrars.Clear();
    }

    /// <summary>Adds a locator at which <paramref name="peer"/> (or its rendezvous/relay server) can be reached.</summary>
    public void AddPeerLocator(Hit peer, TransportAddress locator)
    {
        if (!_peerLocators.TryGetValue(peer, out var list))
        {
            _peerLocators[peer] = list = [];
        }

        if (!list.Contains(locator))
        {
            list.Add(locator);
        }
    }

    /// <summary>Forgets <paramref name="locator"/> of <paramref name="peer"/> (a peer taken out of the configuration);
    /// an association with it keeps its own locators. False if it was not known.</summary>
    public bool RemovePeerLocator(Hit peer, TransportAddress locator)
    {
        if (!_peerLocators.TryGetValue(peer, out var list) || !list.Remove(locator))
        {
            return false;
        }

        if (list.Count == 0)
        {
            _peerLocators.Remove(peer);
        }

        return true;
    }

    public IReadOnlyList<TransportAddress> GetPeerLocators(Hit peer) =>
        _peerLocators.TryGetValue(peer, out var l) ? l.ToArray() : [];

    public bool TryPollTransmit(out Transmit transmit) => _transmits.TryDequeue(out transmit);

    public bool TryPollEvent(out HipEvent ev) => _events.TryDequeue(out ev!);

    public AssociationState GetState(Hit peer) =>
        _associations.TryGetValue(peer, out var a) ? a.State : AssociationState.Unassociated;

    public IReadOnlyList<AssociationInfo> GetAssociations()
    {
        var list = new List<AssociationInfo>(_associations.Count);
        foreach (var a in _associations.Values)
        {
            list.Add(Snapshot(a));
        }

        return list;
    }

    public AssociationInfo? GetAssociation(Hit peer) =>
        _associations.TryGetValue(peer, out var a) ? Snapshot(a) : null;

    /// <summary>The association itself, for tests that look at state no snapshot shows (UPDATE SEQ counters).</summary>
    internal HostAssociation? FindAssociation(Hit peer) => _associations.GetValueOrDefault(peer);

    /// <summary>Entry point for every received datagram (UDP payload, or raw HIP packet when <paramref name="remote"/> is raw).</summary>
    public void HandleDatagram(TransportAddress local, TransportAddress remote, ReadOnlySpan<byte> payload, TimeSpan now)
    {
        Counters.PacketsIn++;
        ReadOnlySpan<byte> hip;
        if (remote.Kind == TransportKind.Udp)
        {
            // RFC 9028 §5.1: HIP control after 32 zero bits; anything else on the port is ESP (non-zero SPI) or STUN.
            // RFC 9028 §5.1: HIP control after 32 zero bits. ESP, STUN and NAT keepalives share the port but are
            // demultiplexed by the driver before the control core; here they are counted, not processed.
            var kind = HipUdpFraming.Classify(payload);
            if (kind == UdpPayloadKind.Esp && _options.Registrar is not null)
            {
                RelayEsp(local, remote, payload, now);
                return;
            }

            if (kind == UdpPayloadKind.Stun && TryHandleReflexiveAnswer(remote, payload, now))
            {
                return;
            }

            if (kind == UdpPayloadKind.Stun && TryHandleStunCheck(local, remote, payload, now))
            {
                return;
            }

            if (kind == UdpPayloadKind.Stun && (_options.AnswerStun ?? _options.Registrar is not null))
            {
                AnswerStun(local, remote, payload);
                return;
            }

            if (kind != UdpPayloadKind.HipControl)
            {
                Drop(DropReason.BadFraming, $"from {remote}: {kind} datagram reached the HIP control core");
                return;
            }

            hip = payload[HipUdpFraming.HipControlOffset..];
        }
        else
        {
            hip = payload;
        }

        var err = HipPacket.TryParse(hip, out var packet);
        if (err != WireError.None)
        {
            Drop(DropReason.Malformed, $"from {remote}: {err}");
            return;
        }

        if (remote.Kind == TransportKind.Udp && packet.Header.Checksum != 0)
        {
            // RFC 9028 §5.1: over UDP the HIP checksum is zero (UDP's own checksum covers the packet).
            Drop(DropReason.BadFraming, $"from {remote}: non-zero HIP checksum over UDP");
            return;
        }

        var receiver = packet.Header.ReceiverHit;
        if (receiver != LocalHit && !(receiver.IsZero && packet.Type is HipPacketType.I1))
        {
            // Not for us: a registrar forwards it for a registered client, anyone else drops it.
            if (!TryRelay(packet, hip, local, remote, now))
            {
                Drop(DropReason.NotForUs, receiver == _identity.HitBeforeUncompressedPoint
                    ? $"from {remote}: receiver HIT {receiver} is this host's HIT from before ECDSA HOST_IDs carried 0x04 | x | y; the sender needs our HIT {LocalHit}"
                    : $"from {remote}: receiver HIT {receiver} is neither ours nor a registered client's");
            }

            return;
        }

        RelayedVia? via = null;
        if (packet.Has(ParameterType.RelayFrom) || packet.Has(ParameterType.From))
        {
            if (!TryVerifyRelayed(packet, remote, out var v, out string why))
            {
                Drop(DropReason.BadMac, why);
                return;
            }

            via = v;
        }

        try
        {
            switch (packet.Type)
            {
                case HipPacketType.I1: OnI1(packet, local, remote, now, via); break;
                case HipPacketType.R1: OnR1(packet, local, remote, now); break;
                case HipPacketType.I2: OnI2(packet, local, remote, now, via); break;
                case HipPacketType.R2: OnR2(packet, local, remote, now); break;
                case HipPacketType.Update: OnUpdate(packet, local, remote, now, via); break;
                case HipPacketType.Notify: OnNotify(packet, local, remote, now); break;
                case HipPacketType.Close: OnClose(packet, local, remote, now); break;
                case HipPacketType.CloseAck: OnCloseAck(packet, local, remote, now); break;
            }
        }
        catch (HipFormatException e)
        {
            Drop(DropReason.Malformed, $"{packet.Type} from {remote}: {e.Message}");
        }
    }

    private Hipnat.Nat.Stun.StunServer? _stun;

    /// <summary>STUN Binding responder (RFC 8489 §6.3): XOR-MAPPED-ADDRESS with the source we observe.</summary>
    private void AnswerStun(TransportAddress local, TransportAddress remote, ReadOnlySpan<byte> payload)
    {
        _stun ??= new Hipnat.Nat.Stun.StunServer();
        var result = _stun.Handle(new System.Net.IPEndPoint(remote.Address, remote.Port), payload);
        if (result.Response is { } response)
        {
            var buf = PacketBuffers.Rent(response.Length);
            response.CopyTo(buf, 0);
            Counters.PacketsOut++;
            Counters.StunAnswered++;
            _transmits.Enqueue(new Transmit(local, remote, buf, response.Length));
        }
        else
        {
            Drop(DropReason.Malformed, $"STUN from {remote}: {result.Error}");
        }
    }

    /// <summary>Counts a dropped packet; <paramref name="detail"/> goes to <see cref="DebugLog"/> when there is one.</summary>
    internal void Drop(DropReason reason, string detail)
    {
        Counters.Drop(reason);
        DebugLog?.Invoke($"drop {reason}: {detail}");
    }

    /// <summary>
    /// Counts a dropped packet; the interpolated <paramref name="detail"/> is formatted only when there is a
    /// <see cref="DebugLog"/> (see <see cref="DropDetailHandler"/>).
    /// </summary>
    internal void Drop(DropReason reason, [InterpolatedStringHandlerArgument("")] ref DropDetailHandler detail)
    {
        Counters.Drop(reason);
        if (detail.Enabled && DebugLog is { } log)
        {
            log($"drop {reason}: {detail.ToStringAndClear()}");
        }
    }

    internal void Raise(HipEvent e)
    {
        if (e is ActivePathChanged changed && _associations.TryGetValue(changed.Peer, out var a))
        {
            a.ActivePathSince = changed.At; // (PATH_UNHEARD about a path we have just left is stale)
        }

        _events.Enqueue(e);
    }

    internal HipRandom Random => _random;

    /// <summary>A Diffie-Hellman key pair of <paramref name="group"/>: fresh, or from <see cref="HipHostOptions.DhKeySource"/>.</summary>
    internal DhKeyPair NewDhKey(DhGroupId group) => _options.DhKeySource?.Invoke(group) ?? DhKeyPair.Generate(group);

    internal HostIdentity Identity => _identity;

    /// <summary>Rents a buffer for one outgoing packet; the HIP packet starts at <see cref="UdpMarkerLength"/>.</summary>
    internal static byte[] RentPacketBuffer() => PacketBuffers.Rent(BufferSize);

    /// <summary>Queues a HIP packet built at offset 4 of <paramref name="buffer"/> (which the transmit takes ownership of).</summary>
    internal void Emit(TransportAddress local, TransportAddress remote, byte[] buffer, int hipLength)
    {
        Counters.PacketsOut++;
        if (remote.Kind == TransportKind.Udp)
        {
            buffer.AsSpan(0, UdpMarkerLength).Clear();
            _transmits.Enqueue(new Transmit(local, remote, buffer, hipLength + UdpMarkerLength));
        }
        else
        {
            Buffer.BlockCopy(buffer, UdpMarkerLength, buffer, 0, hipLength);
            _transmits.Enqueue(new Transmit(local, remote, buffer, hipLength));
        }
    }

    /// <summary>Sends a copy of a stored HIP packet (retransmissions, cached CLOSE_ACK).</summary>
    internal void EmitCopy(TransportAddress local, TransportAddress remote, ReadOnlySpan<byte> hipPacket)
    {
        var buf = RentPacketBuffer();
        hipPacket.CopyTo(buf.AsSpan(UdpMarkerLength));
        Emit(local, remote, buf, hipPacket.Length);
    }

    internal void ScheduleTimer(HostAssociation a)
    {
        var due = a.NextDue;
        if (due != TimeSpan.MaxValue)
        {
            _timers.Enqueue(a, due);
        }
    }

    internal void SetState(HostAssociation a, AssociationState state, TimeSpan now)
    {
        if (a.State == state)
        {
            return;
        }

        var from = a.State;
        a.State = state;
        a.StateSince = now;
        Raise(new AssociationStateChanged(now, a.PeerHit, from, state));
    }

    internal TransportAddress DefaultLocal(TransportAddress remote)
    {
        foreach (var l in _localLocators)
        {
            if (l.Kind == remote.Kind && l.Address.AddressFamily == remote.Address.AddressFamily)
            {
                return l;
            }
        }

        var any = remote.IsIPv4 ? System.Net.IPAddress.Any : System.Net.IPAddress.IPv6Any;
        return new TransportAddress(any, 0, remote.Kind);
    }

    private static AssociationInfo Snapshot(HostAssociation a) => new(
        a.PeerHit,
        a.State,
        a.IsInitiator,
        a.ActivePair?.Local,
        a.ActivePair?.Peer,
        a.EstablishedAt,
        a.LastSeen,
        a.PeerLocators.ToArray(),
        a.Pairs.Select(p => new LocatorPairInfo(p.Local, p.Peer, p.State, p.Rtt, p.LastReceived, p.RelayedTo, p.ThroughRelay, p.ViaDataRelay, p.CreditLimited)).ToArray(),
        a.SaPairs.Select(s => new SaPairInfo(s.InboundSpi, s.OutboundSpi, s.Suite, s.KeymatIndex, s.Generation, s.BoundLocal, s.BoundPeer, BoundPathState(a, s))).ToArray(),
        a.DhGroup.ToString(),
        a.Cipher.ToString(),
        a.Suite.ToString(),
        a.EspSuite)
    {
        LastHandover = a.LastHandover,
        LastFailover = a.LastFailover,
    };
}
