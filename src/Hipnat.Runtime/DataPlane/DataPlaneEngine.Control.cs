using System.Buffers;
using System.Globalization;
using Hipnat.Core.Transport;
using Hipnat.DataPlane.Esp;
using Hipnat.Runtime.Control;
using Hipnat.Wire;
using Microsoft.Extensions.Logging;
using CoreSaPair = Hipnat.Core.Association.EspSaPair;

namespace Hipnat.Runtime.DataPlane;

/// <summary>
/// The control half of the data plane engine: SA installation and removal, routes, LSIs, the on-demand queue and
/// the periodic work. Everything here runs on the daemon's driver thread (tests call it from theirs); the packet
/// threads only read what it publishes.
/// </summary>
public sealed partial class DataPlaneEngine
{
    private readonly Lock _heldLock = new();
    private readonly List<(uint Spi, byte[] Buffer, int Length, long Timestamp)> _held = [];
    private int _nextPeerId;
    private readonly Dictionary<uint, LossMeter> _loss = [];

    /// <summary>The LSI allocator peers take their LSIs from (driver thread only).</summary>
    public LsiAllocator Lsis => _lsis;

    /// <summary>Makes sure the peer has an entry (and an LSI). Driver thread.</summary>
    public uint EnsurePeer(Hit peer) => GetOrCreatePeer(peer).Lsi;

    /// <summary>The LSI this host gave <paramref name="peer"/>, or 0.</summary>
    public uint GetLsi(Hit peer) => _peers.TryGetValue(peer, out var e) ? e.Lsi : 0;

    /// <summary>True when outbound packets to <paramref name="peer"/> can be sent now (SA and route).</summary>
    public bool IsReady(Hit peer) => _peers.TryGetValue(peer, out var e) && e.Route is not null && _sad.TryGetActivePair(peer, out _);

    /// <summary>
    /// Installs the SA pair the core announced in <c>EspSaReady</c> (keys copied now: the core reuses the object
    /// on a rekey). A pair it <paramref name="replaces"/> keeps receiving for <see cref="DataPlaneOptions.RekeyGrace"/>.
    /// Held ESP for the new inbound SPI is processed, and queued packets are sent when the route is known.
    /// </summary>
    public bool InstallSa(Hit peer, CoreSaPair sa, uint? replaces)
    {
        ArgumentNullException.ThrowIfNull(sa);
        if (!EspTransform.TryFromSuiteId(sa.Suite, out var transform, _options.GcmKeyBits))
        {
            _logger.LogError("data plane: ESP suite {Suite} with {Peer} is not supported; no SA installed", sa.Suite, peer);
            return false;
        }

        if (transform.IsAuthenticationOnly && !_options.AllowNullEncryption)
        {
            _logger.LogError("data plane: NULL encryption (suite {Suite}) with {Peer} is not allowed by local policy (RFC 7402 §3.3.5); no SA installed", sa.Suite, peer);
            return false;
        }

        var saOptions = new EspSaOptions
        {
            TimeProvider = _options.TimeProvider,
            PacketLimit = _options.SaPacketLimit,
            ByteLimit = _options.SaByteLimit,
            Lifetime = _options.SaLifetime,
            ReplayWindowSize = _options.ReplayWindowSize,
        };
        EspSa? outbound = null;
        EspSa? inbound = null;
        try
        {
            outbound = new EspSa(sa.OutboundSpi, EspSaDirection.Outbound, transform, sa.OutboundEncryptionKey, sa.OutboundIntegrityKey, saOptions);
            inbound = new EspSa(sa.InboundSpi, EspSaDirection.Inbound, transform, sa.InboundEncryptionKey, sa.InboundIntegrityKey, saOptions);
        }
        catch (ArgumentException e)
        {
            outbound?.Dispose();
            inbound?.Dispose();
            _logger.LogError("data plane: cannot create the SAs with {Peer} (in 0x{In:x8}, out 0x{Out:x8}): {Error}", peer, sa.InboundSpi, sa.OutboundSpi, e.Message);
            return false;
        }

        var entry = GetOrCreatePeer(peer);
        if (_sad.RemovePair(inbound.Spi, out var stale) && stale is not null)
        {
            _records.TryRemove(inbound.Spi, out _);
            stale.Outbound.Dispose();
            stale.Inbound.Dispose();
        }

        // A multihoming SA pair bound to its own locator pair is one lane among others, never the active pair
        // (the primary pair follows the active locator pair; RFC 8047 §4.2.4).
        var pair = _sad.Install(peer, outbound, inbound, makeActive: !sa.IsBound);
        long now = _options.TimeProvider.GetTimestamp();
        _records[inbound.Spi] = new SaRecord(pair, now);
        if (replaces is uint old && old != inbound.Spi && _records.TryGetValue(old, out var previous))
        {
            previous.RetireAt = now + ToTicks(_options.RekeyGrace);
        }

        _logger.LogInformation(
            "data plane: {Peer} (LSI {Lsi}) SA in 0x{In:x8} out 0x{Out:x8} {Transform}{Replaces}",
            peer, LsiAllocator.Format(entry.Lsi), inbound.Spi, outbound.Spi, transform.Name,
            replaces is uint r ? string.Create(CultureInfo.InvariantCulture, $", replaces 0x{r:x8}") : string.Empty);

        ReplayHeld(inbound.Spi);
        if (entry.Route is not null)
        {
            FlushPending(peer);
        }

        return true;
    }

    /// <summary>
    /// Sets the locator pair ESP to <paramref name="peer"/> uses (the association's active pair); null
    /// <paramref name="remote"/> clears it. The socket and serialized address are resolved here, once. A
    /// <paramref name="creditLimited"/> route (the peer's address before return routability verified it) takes only
    /// what the peer's credit allows (RFC 8046 §5.6.1).
    /// </summary>
    public void SetRoute(Hit peer, TransportAddress? local, TransportAddress? remote, bool relayed, bool creditLimited = false)
    {
        var entry = GetOrCreatePeer(peer);
        if (remote is not { } r)
        {
            entry.Route = null;
            return;
        }

        var l = local ?? new TransportAddress(r.IsIPv4 ? System.Net.IPAddress.Any : System.Net.IPAddress.IPv6Any, 0, r.Kind);
        var current = entry.Route;
        if (current is not null && current.Local == l && current.Remote == r && current.Relayed == relayed)
        {
            if (entry.CreditLimited != creditLimited)
            {
                entry.CreditLimited = creditLimited;
                _logger.LogInformation("data plane: ESP with {Peer} goes {Route}{Limit}", peer, current, creditLimited ? " within credit" : ", verified");
            }

            return;
        }

        entry.CreditLimited = creditLimited;

        var route = _sender.CreateRoute(l, r, relayed);
        entry.Route = route;
        if (route is null)
        {
            _errorLog.Warn(_logger, "data plane: no socket can send ESP from {Local} to {Remote}; packets to {Peer} are dropped", l, r, peer);
            return;
        }

        _logger.LogInformation("data plane: ESP with {Peer} goes {Route}{Limit}", peer, route, creditLimited ? " within credit until verified" : string.Empty);
        if (_sad.TryGetActivePair(peer, out _))
        {
            FlushPending(peer);
        }
    }

    /// <summary>
    /// Driver thread: the SA pairs of <paramref name="peer"/> as lanes (simultaneous multihoming, docs/multihoming.md).
    /// Every bound lane's path is known to the receive path (its ESP is no move); with <paramref name="spread"/> (the
    /// load-balance policy) flows are spread over the usable lanes by weight: <see cref="FlowSpreader.Weight"/> of the
    /// path's RTT and of the loss measured here from the gaps in the lane's inbound sequence numbers. The bucket table
    /// is rebuilt only when a lane comes or goes or a share moves by more than 5 %, and then moves as few flows as it
    /// can. Fewer than two SA pairs: no lanes.
    /// </summary>
    public void SetLanes(Hit peer, IReadOnlyList<LaneSpec> specs, bool spread)
    {
        ArgumentNullException.ThrowIfNull(specs);
        if (specs.Count < 2)
        {
            if (_peers.TryGetValue(peer, out var single))
            {
                single.Lanes = null;
            }

            return;
        }

        var entry = GetOrCreatePeer(peer);
        var previous = entry.Lanes;

        var lanes = new List<SaLane>(specs.Count);
        var weights = new List<double>(specs.Count);
        var primaryRoute = entry.Route;
        foreach (var spec in specs)
        {
            EspSaPair? pair = null;
            if (spec.Primary)
            {
                _sad.TryGetActivePair(peer, out pair);
            }
            else if (!_sad.TryGetInbound(spec.InboundSpi, out pair))
            {
                continue;
            }

            EspRoute? route = null;
            if (!spec.Primary)
            {
                route = Array.Find(previous?.Lanes ?? [], l => l.Route is { } r && r.Local == spec.Local && r.Remote == spec.Remote && l.InboundSpi == spec.InboundSpi)?.Route
                    ?? _sender.CreateRoute(spec.Local, spec.Remote, false);
                if (route is null)
                {
                    continue;
                }
            }

            double loss = pair is null ? 0 : MeasureLoss(pair.Inbound);

            // A bound path that is the primary's too (the active pair moved onto it) carries nothing of its own.
            bool duplicate = !spec.Primary && primaryRoute is { } pr && pr.Local == spec.Local && pr.Remote == spec.Remote;
            var lane = spec.Primary ? new SaLane(spec.InboundSpi, null, null) : new SaLane(spec.InboundSpi, pair, route);
            if (spec.Primary)
            {
                lanes.Insert(0, lane);
                weights.Insert(0, spec.Usable ? FlowSpreader.Weight(spec.Rtt, loss) : 0);
            }
            else
            {
                lanes.Add(lane);
                weights.Add(spec.Usable && !duplicate ? FlowSpreader.Weight(spec.Rtt, loss) : 0);
            }
        }

        foreach (var spi in _loss.Keys.Where(k => !_sad.TryGetInbound(k, out EspSaPair _)).ToList())
        {
            _loss.Remove(spi);
        }

        if (lanes.Count < 2 || lanes[0].Route is not null) // no primary lane: nothing to spread around
        {
            entry.Lanes = lanes.Count < 2 ? null : new SaLaneSet([.. lanes], null, [.. weights]);
            return;
        }

        byte[]? table = null;
        if (spread && weights.Count(w => w > 0) >= 2)
        {
            bool sameLanes = previous is not null && previous.Lanes.Length == lanes.Count
                && previous.Lanes.Select((l, i) => l.InboundSpi == lanes[i].InboundSpi && ReferenceEquals(l.Route, lanes[i].Route)).All(x => x);
            if (sameLanes && previous!.Table is not null && !SharesMoved(previous.Weights, weights))
            {
                return; // nothing worth moving flows for
            }

            var map = previous is null ? [] : previous.Lanes.Select(l => lanes.FindIndex(n => n.InboundSpi == l.InboundSpi)).ToArray();
            table = FlowSpreader.BuildTable([.. weights], previous?.Table, map);
        }
        else if (previous is not null && previous.Table is null && previous.Lanes.Length == lanes.Count
            && previous.Lanes.Select((l, i) => l.InboundSpi == lanes[i].InboundSpi && ReferenceEquals(l.Route, lanes[i].Route)).All(x => x))
        {
            return;
        }

        var set = new SaLaneSet([.. lanes], table, [.. weights]);
        entry.Lanes = set;
        _logger.LogInformation("data plane: {Peer} has {Count} SA lanes{Mode}: {Lanes}", peer, lanes.Count, table is null ? string.Empty : " (load-balance)",
            string.Join(", ", lanes.Select((l, i) => string.Create(CultureInfo.InvariantCulture,
                $"0x{l.InboundSpi:x8} {(l.Route?.ToString() ?? "primary")} {set.Share(i) * 100:F0} %"))));
    }

    private static bool SharesMoved(double[] before, List<double> after)
    {
        double a = before.Sum();
        double b = after.Sum();
        if (a <= 0 || b <= 0)
        {
            return a != b;
        }

        for (int i = 0; i < before.Length; i++)
        {
            if (Math.Abs((before[i] / a) - (after[i] / b)) > 0.05)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Loss seen on an inbound SA since the last call: sequence numbers passed over (the window's highest
    /// moved further than packets arrived), smoothed (EWMA 0.3); 0 until 16 numbers were seen.</summary>
    private double MeasureLoss(EspSa inbound)
    {
        if (!_loss.TryGetValue(inbound.Spi, out var meter))
        {
            _loss[inbound.Spi] = meter = new LossMeter { Highest = inbound.SequenceNumber, Packets = inbound.Packets };
            return 0;
        }

        ulong highest = inbound.SequenceNumber;
        ulong packets = inbound.Packets;
        ulong span = highest - meter.Highest;
        if (span >= 16)
        {
            ulong got = packets - meter.Packets;
            double sample = got >= span ? 0 : (span - got) / (double)span;
            meter.Loss = (0.7 * meter.Loss) + (0.3 * sample);
            meter.Highest = highest;
            meter.Packets = packets;
        }

        return meter.Loss;
    }

    private sealed class LossMeter
    {
        public ulong Highest { get; set; }

        public ulong Packets { get; set; }

        public double Loss { get; set; }
    }

    /// <summary>Removes every SA of <paramref name="peer"/> (association closed or failed). The peer keeps its LSI.</summary>
    /// <summary>Driver thread: keeps a route to an address of <paramref name="peer"/> that ICE verified, so the receive
    /// path can move ESP there the moment the peer's traffic arrives from it.</summary>
    public void AddAlternateRoute(Hit peer, TransportAddress local, TransportAddress remote)
    {
        var entry = GetOrCreatePeer(peer);
        var current = entry.Alternates;
        if (Array.Exists(current, r => r.Remote == remote && r.Local == local))
        {
            return;
        }

        if (_sender.CreateRoute(local, remote, false) is not { } route)
        {
            return;
        }

        var list = current.Where(r => r.Remote != remote).TakeLast(7).ToList();
        list.Add(route);
        entry.Alternates = [.. list];
    }

    public void RemovePeer(Hit peer)
    {
        foreach (var pair in _sad.Remove(peer))
        {
            _records.TryRemove(pair.Inbound.Spi, out _);
            pair.Outbound.Dispose();
            pair.Inbound.Dispose();
        }

        if (_peers.TryGetValue(peer, out var entry))
        {
            entry.Route = null;
            entry.Alternates = [];
            entry.Lanes = null;
        }
    }

    /// <summary>Sends the packets queued for <paramref name="peer"/> (its SA and route are ready).</summary>
    public void FlushPending(Hit peer)
    {
        if (!_pending.TryRemove(peer, out var queue))
        {
            return;
        }

        var items = new List<(byte[] Buffer, int Length, long Timestamp)>();
        lock (queue.Lock)
        {
            queue.Closed = true;
            while (queue.TryTake(out var item))
            {
                items.Add(item);
            }
        }

        long now = _options.TimeProvider.GetTimestamp();
        long lifetime = ToTicks(_options.QueueLifetime);
        foreach (var (buffer, length, timestamp) in items)
        {
            try
            {
                if (now - timestamp > lifetime)
                {
                    Count(DataPlaneDrop.QueueExpired);
                }
                else
                {
                    ProcessOutbound(buffer, Headroom, length);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>Drops the packets queued for <paramref name="peer"/> and refuses new ones for a moment (no association can be had).</summary>
    public void FailPending(Hit peer)
    {
        if (!_pending.TryGetValue(peer, out var queue))
        {
            return;
        }

        lock (queue.Lock)
        {
            int dropped = queue.Clear();
            Interlocked.Add(ref _drops[(int)DataPlaneDrop.NoAssociation], dropped);
            queue.ConnectRequested = false;
            queue.FailedUntil = _options.TimeProvider.GetTimestamp() + ToTicks(_options.FailureHold);
        }
    }

    /// <summary>Counts a base exchange started for a queued packet (the driver calls it when it really connects).</summary>
    public void CountOnDemandConnect() => Interlocked.Increment(ref _onDemandConnects);

    /// <summary>
    /// Periodic work (driver thread, a few times a second): retires SA pairs whose rekey grace ended, reports which
    /// peers sent or received ESP since the last call (for <c>HipHost.NoteTraffic</c>), expires queued and held
    /// packets.
    /// </summary>
    public void Tick(Action<Hit, bool>? noteTraffic) => Tick(noteTraffic, null);

    /// <summary>As <see cref="Tick(Action{Hit, bool}?)"/>; <paramref name="noteSource"/> hears of ESP that came from a new
    /// source address of a peer (local, source).</summary>
    public void Tick(Action<Hit, bool>? noteTraffic, Action<Hit, TransportAddress, TransportAddress>? noteSource)
    {
        long now = _options.TimeProvider.GetTimestamp();
        foreach (var (spi, record) in _records)
        {
            if (record.RetireAt != 0 && now >= record.RetireAt)
            {
                if (_sad.RemovePair(spi, out var removed) && removed is not null)
                {
                    removed.Outbound.Dispose();
                    removed.Inbound.Dispose();
                }

                _records.TryRemove(spi, out _);
            }
        }

        var age = _options.TimeProvider.GetElapsedTime(0, now);
        foreach (var entry in _peers.Values)
        {
            entry.Credit.Age(age); // RFC 8046 §5.6.2
            if (entry.TakeSent())
            {
                noteTraffic?.Invoke(entry.Hit, true);
            }

            if (entry.TakeReceived())
            {
                noteTraffic?.Invoke(entry.Hit, false);
            }

            if (entry.TakeSource() is { } source)
            {
                noteSource?.Invoke(entry.Hit, source.Local, source.From);
            }
        }

        long lifetime = ToTicks(_options.QueueLifetime);
        foreach (var (hit, queue) in _pending)
        {
            bool remove;
            lock (queue.Lock)
            {
                while (queue.TryPeek(out var item) && now - item.Timestamp > lifetime)
                {
                    queue.TryTake(out _);
                    ArrayPool<byte>.Shared.Return(item.Buffer);
                    Count(DataPlaneDrop.QueueExpired);
                }

                remove = queue.Count == 0 && queue.FailedUntil <= now && now - queue.LastActivity > ToTicks(TimeSpan.FromSeconds(10));
                if (remove)
                {
                    queue.Closed = true;
                }
            }

            if (remove)
            {
                _pending.TryRemove(hit, out _);
            }
        }

        ExpireHeld(now);
    }

    /// <summary>Packets currently queued for base exchanges.</summary>
    public int QueuedPackets
    {
        get
        {
            int n = 0;
            foreach (var queue in _pending.Values)
            {
                lock (queue.Lock)
                {
                    n += queue.Count;
                }
            }

            return n;
        }
    }

    /// <summary>The status report of the data plane.</summary>
    public DataPlaneReport BuildReport(string device, int mtu)
    {
        var time = _options.TimeProvider;
        var report = new DataPlaneReport
        {
            Device = device,
            Mtu = mtu,
            LocalLsi = LsiAllocator.Format(_localLsi),
            LsiNetwork = _lsis.Network.ToString(),
            PacketsOut = PacketsOut,
            BytesOut = BytesOut,
            PacketsIn = PacketsIn,
            BytesIn = BytesIn,
            Queued = QueuedPackets,
            OnDemandConnects = OnDemandConnects,
        };
        foreach (var reason in Enum.GetValues<DataPlaneDrop>())
        {
            long n = Dropped(reason);
            if (n > 0)
            {
                report.Drops[reason.ToString()] = n;
            }
        }

        foreach (var entry in _peers.Values.OrderBy(e => e.Hit))
        {
            var route = entry.Route;
            var peer = new DataPlanePeerReport
            {
                Hit = entry.Hit.ToString(),
                Lsi = entry.Lsi == 0 ? string.Empty : LsiAllocator.Format(entry.Lsi),
                Local = route?.Local.ToString(),
                Peer = route?.Remote.ToString(),
                Relayed = route?.Relayed ?? false,
            };
            _sad.TryGetActivePair(entry.Hit, out var active);
            var lanes = entry.Lanes;
            foreach (var pair in _sad.GetPairs(entry.Hit))
            {
                _records.TryGetValue(pair.Inbound.Spi, out var record);
                int lane = lanes is null ? -1 : Array.FindIndex(lanes.Lanes, l => ReferenceEquals(l.Pair, pair) || (l.Pair is null && ReferenceEquals(pair, active)));
                long lastUse = Math.Max(pair.Inbound.LastUsedTimestamp, pair.Outbound.LastUsedTimestamp);
                peer.SecurityAssociations.Add(new EspSaReport
                {
                    InboundSpi = pair.Inbound.Spi.ToString("x8", CultureInfo.InvariantCulture),
                    OutboundSpi = pair.Outbound.Spi.ToString("x8", CultureInfo.InvariantCulture),
                    Transform = pair.Outbound.Transform.Name,
                    Active = ReferenceEquals(pair, active),
                    PacketsIn = (long)pair.Inbound.Packets,
                    BytesIn = (long)pair.Inbound.Bytes,
                    PacketsOut = (long)pair.Outbound.Packets,
                    BytesOut = (long)pair.Outbound.Bytes,
                    ReplayDrops = record?.ReplayDrops ?? 0,
                    IcvDrops = record?.IcvDrops ?? 0,
                    OtherDrops = record?.OtherDrops ?? 0,
                    LastUseSecondsAgo = Math.Round(time.GetElapsedTime(lastUse).TotalSeconds, 3),
                    AgeSeconds = Math.Round(pair.Inbound.Age.TotalSeconds, 3),
                    Path = lane >= 0 ? lanes!.Lanes[lane].Route?.ToString() : null,
                    SharePercent = lane >= 0 && lanes!.Table is not null ? Math.Round(lanes.Share(lane) * 100, 1) : null,
                });
            }

            report.Peers.Add(peer);
        }

        return report;
    }

    private PeerEntry GetOrCreatePeer(Hit peer)
    {
        if (_peers.TryGetValue(peer, out var entry))
        {
            return entry;
        }

        uint lsi = _lsis.GetOrAssign(peer);
        entry = new PeerEntry(peer, lsi, Interlocked.Increment(ref _nextPeerId));
        _peers[peer] = entry;
        if (lsi != 0)
        {
            _peersByLsi[lsi] = entry;
        }

        return entry;
    }

    /// <summary>Queues a packet to a peer without SA or route and asks the driver for a base exchange (TUN thread).</summary>
    private void EnqueuePending(Hit peer, byte[] buffer, int offset, int length)
    {
        long now = _options.TimeProvider.GetTimestamp();
        var queue = _pending.GetOrAdd(peer, static _ => new PendingQueue());
        bool request = false;
        bool direct = false;
        lock (queue.Lock)
        {
            if (queue.Closed)
            {
                direct = true;
            }
            else if (queue.FailedUntil > now)
            {
                Count(DataPlaneDrop.NoAssociation);
                return;
            }
            else if (queue.Count >= _options.QueuePerPeer)
            {
                Count(DataPlaneDrop.QueueFull);
                return;
            }
            else
            {
                var copy = ArrayPool<byte>.Shared.Rent(Headroom + length + 128);
                Buffer.BlockCopy(buffer, offset, copy, Headroom, length);
                queue.Add(copy, length, now);
                queue.LastActivity = now;
                if (!queue.ConnectRequested)
                {
                    queue.ConnectRequested = true;
                    request = true;
                }
            }
        }

        if (direct)
        {
            // Flushed while we looked: the SA is there now (or the queue was retired; start over).
            if (IsReady(peer))
            {
                ProcessOutbound(buffer, offset, length);
            }
            else
            {
                _pending.TryRemove(new KeyValuePair<Hit, PendingQueue>(peer, queue));
                EnqueuePending(peer, buffer, offset, length);
            }

            return;
        }

        if (request)
        {
            ConnectRequested?.Invoke(peer);
        }

        // The SA may have been installed between the lookup and the enqueue: nobody else would flush then.
        if (IsReady(peer))
        {
            FlushPending(peer);
        }
    }

    private bool HoldUnknownSpi(ReadOnlySpan<byte> datagram)
    {
        if (_options.UnknownSpiHoldCapacity <= 0 || _options.UnknownSpiHold <= TimeSpan.Zero)
        {
            return false;
        }

        long now = _options.TimeProvider.GetTimestamp();
        lock (_heldLock)
        {
            ExpireHeldLocked(now);
            if (_held.Count >= _options.UnknownSpiHoldCapacity)
            {
                return false;
            }

            var copy = ArrayPool<byte>.Shared.Rent(datagram.Length);
            datagram.CopyTo(copy);
            _held.Add((System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(datagram), copy, datagram.Length, now));
            return true;
        }
    }

    private void ReplayHeld(uint spi)
    {
        List<(byte[] Buffer, int Length)>? replay = null;
        lock (_heldLock)
        {
            for (int i = 0; i < _held.Count; i++)
            {
                if (_held[i].Spi == spi)
                {
                    (replay ??= []).Add((_held[i].Buffer, _held[i].Length));
                    _held.RemoveAt(i);
                    i--;
                }
            }
        }

        if (replay is null)
        {
            return;
        }

        foreach (var (buffer, length) in replay)
        {
            try
            {
                TryReceive(buffer.AsSpan(0, length));
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private void ExpireHeld(long now)
    {
        lock (_heldLock)
        {
            ExpireHeldLocked(now);
        }
    }

    private void ExpireHeldLocked(long now)
    {
        long hold = ToTicks(_options.UnknownSpiHold);
        int expired = 0;
        while (expired < _held.Count && now - _held[expired].Timestamp > hold)
        {
            ArrayPool<byte>.Shared.Return(_held[expired].Buffer);
            expired++;
        }

        if (expired > 0)
        {
            _held.RemoveRange(0, expired);
            Interlocked.Add(ref _drops[(int)DataPlaneDrop.UnknownSpi], expired);
        }
    }

    private void ReleaseHeld()
    {
        lock (_heldLock)
        {
            foreach (var h in _held)
            {
                ArrayPool<byte>.Shared.Return(h.Buffer);
            }

            _held.Clear();
        }
    }

    private long ToTicks(TimeSpan span) => (long)(span.TotalSeconds * _options.TimeProvider.TimestampFrequency);
}
