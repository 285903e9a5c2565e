using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using Hipnat.Core.Transport;
using Hipnat.DataPlane.Beet;
using Hipnat.DataPlane.Esp;
using Hipnat.DataPlane.Tun;
using Hipnat.Runtime.Transports;
using Hipnat.Wire;
using Microsoft.Extensions.Logging;

namespace Hipnat.Runtime.DataPlane;

/// <summary>
/// The ESP data plane (RFC 7402, BEET mode; UDP encapsulation, RFC 9028 §5.11, or plain IP protocol 50 for raw HIP
/// associations): packets the local stack routes to the HIP interface are sealed into ESP and sent to the peer's
/// locator; ESP from the UDP or raw ESP sockets is opened and written back to the interface with a rebuilt inner
/// header (HITs for IPv6, LSIs for IPv4).
/// </summary>
/// <remarks>
/// <para>
/// Threads: <see cref="ProcessOutbound"/> runs on the TUN reader thread, <see cref="TryReceive"/> on the UDP
/// receive threads; neither locks (apart from the SA's own lock), allocates or logs per packet. SA and peer state
/// is changed only by the driver thread (<c>DataPlaneEngine.Control.cs</c>) through the lock-free
/// <see cref="SaDatabase"/> and concurrent dictionaries.
/// </para>
/// <para>
/// Buffers: outbound packets are read one after another into the reader's arena, each behind <see cref="Headroom"/>
/// octets so the ESP header fits in front of the payload, which is sealed in place; a batch is sent when the arena
/// or the batch is full or nothing more is queued (<see cref="RunReader"/>). Inbound packets are decrypted into a
/// per-thread buffer behind room for the rebuilt IPv6 or IPv4 header.
/// </para>
/// </remarks>
public sealed partial class DataPlaneEngine : IEspReceiver, IDisposable
{
    /// <summary>Room in front of a packet for the ESP header and IV (outbound) or the rebuilt inner header (inbound).</summary>
    public const int Headroom = 64;

    /// <summary>Largest IP packet handled.</summary>
    public const int MaxPacket = 65535;

    /// <summary>Size of a packet buffer: headroom, packet, and room for ESP padding and ICV.</summary>
    public const int BufferSize = Headroom + MaxPacket + 128;

    /// <summary>Octets of packets (each with its headroom and tail) one outbound batch holds before it is sent.</summary>
    private const int ArenaSize = 1 << 20;

    /// <summary>Most ESP datagrams in one outbound batch.</summary>
    public const int MaxBatchDatagrams = 512;

    /// <summary>Room after a segment for ESP padding and ICV.</summary>
    private const int SegmentTail = 128;

    private const byte ProtocolIcmp = 1;
    private const byte ProtocolTcp = 6;
    private const byte ProtocolUdp = 17;
    private const byte ProtocolIcmpv6 = 58;

    [ThreadStatic]
    private static byte[]? t_receiveBuffer;

    private readonly Hit _localHit;
    private readonly uint _localLsi;
    private readonly LsiAllocator _lsis;
    private readonly IEspSender _sender;
    private readonly DataPlaneOptions _options;
    private readonly ILogger _logger;
    private readonly SaDatabase _sad = new();
    private readonly ConcurrentDictionary<Hit, PeerEntry> _peers = new();
    private readonly ConcurrentDictionary<uint, PeerEntry> _peersByLsi = new();
    private readonly ConcurrentDictionary<uint, SaRecord> _records = new();
    private readonly ConcurrentDictionary<Hit, PendingQueue> _pending = new();
    private readonly FlowFamilyTable _flows;
    private readonly long[] _drops = new long[Enum.GetValues<DataPlaneDrop>().Length];
    private readonly WarningThrottle _errorLog = new(TimeSpan.FromSeconds(5));
    private long _packetsOut;
    private long _bytesOut;
    private long _packetsIn;
    private long _bytesIn;
    private long _onDemandConnects;
    private volatile IPacketWriter? _writer;
    private volatile bool _disposed;

    public DataPlaneEngine(Hit localHit, LsiAllocator lsis, IEspSender sender, DataPlaneOptions? options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(lsis);
        ArgumentNullException.ThrowIfNull(sender);
        _localHit = localHit;
        _lsis = lsis;
        _localLsi = lsis.LocalLsi;
        _sender = sender;
        _options = options ?? new DataPlaneOptions();
        _flows = new FlowFamilyTable(_options.FlowTableBits);
        _logger = logger;
    }

    public Hit LocalHit => _localHit;

    public uint LocalLsi => _localLsi;

    /// <summary>The SA database (for status and tests).</summary>
    public SaDatabase Sad => _sad;

    /// <summary>
    /// Called from the TUN reader thread when the first packet to a HIT without an SA was queued; the daemon starts a
    /// base exchange on its driver thread and later calls <see cref="FlushPending"/> or <see cref="FailPending"/>.
    /// </summary>
    public Action<Hit>? ConnectRequested { get; set; }

    /// <summary>Receive threads: a peer's ESP began to arrive from a new source address (called once per change,
    /// not per packet); the driver takes it with <see cref="TakeNewSource"/> at once instead of at the next tick.</summary>
    public Action<Hit>? NewSourceNoted { get; set; }

    /// <summary>Driver thread: the new source address noted for <paramref name="peer"/>, if any (local, source).</summary>
    public (TransportAddress Local, TransportAddress From)? TakeNewSource(Hit peer) =>
        _peers.TryGetValue(peer, out var entry) && entry.TakeSource() is { } note ? (note.Local, note.From) : null;

    /// <summary>When true, ESP with an unknown SPI is left to the HIP core (a registrar relays it, RFC 9028 §4.12).</summary>
    public bool PassUnknownSpiToCore { get; set; }

    public long PacketsOut => Interlocked.Read(ref _packetsOut);

    public long BytesOut => Interlocked.Read(ref _bytesOut);

    public long PacketsIn => Interlocked.Read(ref _packetsIn);

    public long BytesIn => Interlocked.Read(ref _bytesIn);

    public long OnDemandConnects => Interlocked.Read(ref _onDemandConnects);

    public long Dropped(DataPlaneDrop reason) => Interlocked.Read(ref _drops[(int)reason]);

    /// <summary>Attaches the device decrypted packets are written to.</summary>
    public void AttachWriter(IPacketWriter writer) => _writer = writer;

    /// <summary>
    /// Output processing of one IP packet from the local stack (RFC 7402 B.1.5): parse, find the peer by HIT or LSI,
    /// seal the payload in place and send it. <paramref name="offset"/> must be at least <see cref="Headroom"/> and
    /// the buffer must hold 128 octets after the packet (ESP padding and ICV). Never throws for packet content.
    /// </summary>
    public void ProcessOutbound(byte[] buffer, int offset, int length)
    {
        if (TrySeal(buffer, offset, length, out var peer, out var route, out int wireStart, out int wireLength))
        {
            if (_sender.Send(buffer.AsSpan(wireStart, wireLength), route))
            {
                CountSent(peer, length);
            }
            else
            {
                Count(DataPlaneDrop.SendFailed);
            }
        }
    }

    /// <summary>
    /// Output processing up to the send: true with the ESP datagram's place in <paramref name="buffer"/> and its
    /// route when it is ready to go; false when the packet was queued for a base exchange or dropped (counted).
    /// </summary>
    private bool TrySeal(byte[] buffer, int offset, int length, out PeerEntry peerEntry, out EspRoute route, out int wireStart, out int wireLength, SealerSlot? slot = null)
    {
        peerEntry = null!;
        route = null!;
        wireStart = 0;
        wireLength = 0;
        var packet = buffer.AsSpan(offset, length);
        if (!BeetPacket.TryParse(packet, out var inner))
        {
            Count(DataPlaneDrop.NotHip);
            return false;
        }

        if (_options.Mtu is int mtu && length > mtu)
        {
            ReportTooBig(packet, mtu);
            return false;
        }

        PeerEntry? peer;
        Hit peerHit;
        if (inner.IsIpv6)
        {
            peerHit = inner.DestinationHit;
            if (!peerHit.IsOrchidV2)
            {
                Count(DataPlaneDrop.NotHip);
                return false;
            }

            if (inner.SourceHit != _localHit)
            {
                Count(DataPlaneDrop.BadSource);
                return false;
            }

            _peers.TryGetValue(peerHit, out peer);
        }
        else
        {
            if (!_peersByLsi.TryGetValue(inner.DestinationLsi, out peer))
            {
                Count(DataPlaneDrop.UnknownLsi);
                return false;
            }

            if (inner.SourceLsi != _localLsi)
            {
                Count(DataPlaneDrop.BadSource);
                return false;
            }

            peerHit = peer.Hit;
        }

        var current = peer?.Route;
        if (current is null || !_sad.TryGetActivePair(peerHit, out var pair))
        {
            EnqueuePending(peerHit, buffer, offset, length);
            return false;
        }

        var payload = inner.Payload(packet);
        byte protocol = inner.Protocol;
        if ((protocol == ProtocolTcp || protocol == ProtocolUdp) && payload.Length >= 4 && inner.FragmentOffset == 0)
        {
            _flows.Record(peer!.Id, protocol, BinaryPrimitives.ReadUInt16BigEndian(payload), BinaryPrimitives.ReadUInt16BigEndian(payload[2..]), ipv4: !inner.IsIpv6);
        }

        if (peer!.Lanes is { Table: not null } lanes && !peer.CreditLimited)
        {
            // Load balance: the flow's lane (its SA pair and bound path); every packet of a flow hashes alike.
            var lane = lanes.Pick(FlowHashOf(packet, inner.IsIpv6, protocol, payload, inner.IsFragment));
            if (lane.Pair is { } lanePair && lane.Route is { } laneRoute)
            {
                pair = lanePair;
                current = laneRoute;
            }
        }

        int payloadStart = offset + inner.PayloadOffset;
        if (inner.IsFragment)
        {
            // The fragmentation fields must reach the peer's stack: the fragment travels with its IPv4 header.
            if (!BeetPacket.TryPrepareIpv4Fragment(packet, inner, _localHit, peerHit, out int carriedOffset, out int carriedLength))
            {
                Count(DataPlaneDrop.Fragment);
                return false;
            }

            payloadStart = offset + carriedOffset;
            payload = buffer.AsSpan(payloadStart, carriedLength);
            protocol = BeetPacket.ProtocolIpv4;
        }
        else if (!inner.IsIpv6 && !BeetPacket.TryConvertChecksumToHits(payload, protocol, inner.SourceLsi, inner.DestinationLsi, _localHit, peerHit))
        {
            // RFC 7401 §4.5.1: on the wire transport checksums are over the HIT pseudo-header.
            Count(DataPlaneDrop.NotHip);
            return false;
        }

        if (peer!.CreditLimited && !peer.Credit.TrySpend(length))
        {
            // RFC 8046 §5.6.1: not more to an unverified address than the peer sent us.
            Count(DataPlaneDrop.NoCredit);
            return false;
        }

        var sa = pair.Outbound;
        wireStart = payloadStart - sa.PayloadOffset;
        bool sealedNow;
        while (!(sealedNow = sa.TrySeal(buffer.AsSpan(payloadStart, payload.Length), protocol, buffer.AsSpan(wireStart), slot?.Index ?? -1, out wireLength, out bool mustWait))
            && mustWait)
        {
            // Another queue's reader holds older packets of this SA: send ours, let it send, then seal.
            slot!.Flush();
            slot.Waits++;
            Thread.Yield();
        }

        if (!sealedNow)
        {
            Count(DataPlaneDrop.SealFailed);
            return false;
        }

        slot?.Note(sa);

        peerEntry = peer!;
        route = current;
        return true;
    }

    /// <summary>The inner flow's hash (<see cref="FlowSpreader.Hash"/>): protocol, addresses, and the ports of TCP and
    /// UDP packets that are not fragments.</summary>
    private static uint FlowHashOf(ReadOnlySpan<byte> packet, bool ipv6, byte protocol, ReadOnlySpan<byte> payload, bool fragment)
    {
        ushort sport = 0;
        ushort dport = 0;
        if ((protocol == ProtocolTcp || protocol == ProtocolUdp) && !fragment && payload.Length >= 4)
        {
            sport = BinaryPrimitives.ReadUInt16BigEndian(payload);
            dport = BinaryPrimitives.ReadUInt16BigEndian(payload[2..]);
        }

        return ipv6
            ? FlowSpreader.Hash(protocol, packet.Slice(8, 16), packet.Slice(24, 16), sport, dport)
            : FlowSpreader.Hash(protocol, packet.Slice(12, 4), packet.Slice(16, 4), sport, dport);
    }

    /// <summary>Answers an oversize packet with ICMPv6 Packet Too Big / ICMP Fragmentation Needed written back into
    /// the local stack, so its path MTU discovery shrinks the flow to fit the tunnel.</summary>
    private void ReportTooBig(ReadOnlySpan<byte> packet, int mtu)
    {
        Count(DataPlaneDrop.TooBig);
        if (_writer is not { } writer)
        {
            return;
        }

        int header = writer.VnetHeaderLength; // 0, or an empty virtio_net_hdr in front
        Span<byte> icmp = stackalloc byte[Hipnat.DataPlane.Tun.VirtioNetHeader.Size + 1280];
        icmp[..header].Clear();
        if (BeetPacket.TryWriteTooBig(packet, mtu, icmp[header..], out int length))
        {
            FlushCoalesced(writer);
            writer.TryWrite(icmp[..(header + length)]);
        }
    }

    private void CountSent(PeerEntry peer, int innerLength)
    {
        Interlocked.Increment(ref _packetsOut);
        Interlocked.Add(ref _bytesOut, innerLength);
        peer.MarkSent();
    }

    /// <summary>
    /// Input processing of one UDP payload that starts with a non-zero SPI (RFC 9028 §5.11): SA by SPI, verify and
    /// decrypt, rebuild the inner header, write to the interface. Returns false only when the SPI is unknown and
    /// <see cref="PassUnknownSpiToCore"/> is set; every other outcome, drops included, consumes the datagram.
    /// </summary>
    public bool TryReceive(ReadOnlySpan<byte> datagram) => TryReceive(datagram, default, default);

    /// <summary>
    /// As <see cref="TryReceive(ReadOnlySpan{byte})"/>; a packet whose ICV checked out from a source other than the
    /// peer's route (and not through a relay) is noted for the driver, which asks the core to verify that address
    /// (draft-melen-hip-nat-mm §3.3; RFC 8046 §5.4). Without addresses (<c>default</c>) nothing is noted.
    /// </summary>
    public bool TryReceive(ReadOnlySpan<byte> datagram, in TransportAddress local, in TransportAddress from)
    {
        if (datagram.Length < EspTransform.EspHeaderLength)
        {
            Count(DataPlaneDrop.Malformed);
            return true;
        }

        uint spi = BinaryPrimitives.ReadUInt32BigEndian(datagram);
        if (!_sad.TryGetInbound(spi, out EspSaPair pair))
        {
            if (PassUnknownSpiToCore)
            {
                return false;
            }

            if (!_disposed && HoldUnknownSpi(datagram))
            {
                return true;
            }

            Count(DataPlaneDrop.UnknownSpi);
            return true;
        }

        var buffer = t_receiveBuffer ??= GC.AllocateUninitializedArray<byte>(BufferSize, pinned: true);
        if (!pair.Inbound.TryOpen(datagram, buffer.AsSpan(Headroom), out int length, out byte nextHeader, out var reason))
        {
            CountEspDrop(spi, reason);
            return true;
        }

        if (!_peers.TryGetValue(pair.PeerHit, out var peer))
        {
            Count(DataPlaneDrop.Internal);
            return true;
        }

        peer.MarkReceived();
        peer.Credit.Earn(datagram.Length); // RFC 8046 §5.6.1
        if (from.Address is not null && peer.Route is { Relayed: false } route && (route.Remote != from || OnOtherLocal(route, local))
            && peer.Lanes?.IsBoundSource(from) != true)
        {
            // (ESP of a multihoming SA pair comes over its own bound path, RFC 8047 §4.2.4: no move.)
            // ESP whose ICV checked out from an address ICE verified already: answer there at once, before the
            // driver hears of it (make-before-break without a lost reply); the core confirms the move.
            if (peer.FindAlternate(from) is { } verified)
            {
                peer.CreditLimited = false;
                peer.Route = verified;
            }

            if (peer.NoteSource(local, from))
            {
                NewSourceNoted?.Invoke(peer.Hit);
            }
        }

        Deliver(buffer, length, nextHeader, peer);
        return true;
    }

    /// <summary>ESP arrived at another of our addresses than the route's (a multihomed host's other uplink).</summary>
    private static bool OnOtherLocal(EspRoute route, in TransportAddress local) =>
        local.Address is { } at && route.Local.Address is { } ours && !ours.Equals(System.Net.IPAddress.Any) && !ours.Equals(System.Net.IPAddress.IPv6Any)
        && !at.Equals(ours);

    /// <summary>
    /// The TUN reader thread's body, until the device is shut down: waits for a packet, drains whatever else is
    /// queued (up to <paramref name="batchSize"/>), seals each, and sends runs of datagrams to the same route with
    /// one <see cref="IEspSender.SendBatch"/> (UDP segmentation offload on the daemon's sockets).
    /// </summary>
    /// <param name="tun">The device (or one queue of it).</param>
    /// <param name="batchSize">Reads per wake-up at most.</param>
    /// <param name="maxDatagrams">Datagrams sealed before they are sent at most (up to <see cref="MaxBatchDatagrams"/>).</param>
    /// <param name="sealer">This reader's index among several reading queues of one device (-1: the only reader):
    /// packets of one SA sealed by different readers then leave at most <see cref="EspSa.ReorderBound"/> out of
    /// order.</param>
    public void RunReader(ITunReader tun, int batchSize = 32, int maxDatagrams = MaxBatchDatagrams, int sealer = -1)
    {
        ArgumentNullException.ThrowIfNull(tun);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDatagrams, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxDatagrams, MaxBatchDatagrams);
        int header = tun.VnetHeaderLength; // 0 without offloads
        var arena = GC.AllocateUninitializedArray<byte>(ArenaSize, pinned: true);
        var datagrams = new EspDatagram[MaxBatchDatagrams];
        var routes = new EspRoute[MaxBatchDatagrams];
        var peers = new PeerEntry[MaxBatchDatagrams];
        var lengths = new int[MaxBatchDatagrams];
        byte[]? spill = null;
        int maxSegment = _options.Mtu ?? MaxPacket;
        int cursor = 0;
        int ready = 0;

        var slot = sealer >= 0 ? new SealerSlot(sealer) : null;
        void Flush()
        {
            SendReady(datagrams, routes, peers, lengths, ready);
            slot?.Sent();
            cursor = 0;
            ready = 0;
        }

        if (slot is not null)
        {
            slot.Flush = Flush;
        }

        // Seals the packet at offset in place; the next packet goes after its tail.
        void Seal(int offset, int length)
        {
            if (TrySeal(arena, offset, length, out var peer, out var route, out int start, out int wireLength, slot))
            {
                datagrams[ready] = new EspDatagram(arena, start, wireLength);
                routes[ready] = route;
                peers[ready] = peer;
                lengths[ready] = length;
                ready++;
            }

            cursor = Align(offset + length + SegmentTail);
        }

        while (!_disposed)
        {
            try
            {
                for (int n = 0; n < batchSize; n++)
                {
                    if (cursor + Headroom + MaxPacket + SegmentTail > ArenaSize || ready >= maxDatagrams)
                    {
                        Flush();
                    }

                    // The packet lands behind its headroom in the arena and is sealed where it lies; a virtio_net_hdr
                    // (with offloads) sits in the headroom, which the ESP headers overwrite.
                    int offset = cursor + Headroom;
                    var into = arena.AsSpan(offset - header, header + MaxPacket);
                    int total;
                    if (n == 0)
                    {
                        if (!tun.TryRead(into, out total))
                        {
                            return;
                        }
                    }
                    else if (!tun.TryReadNow(into, out total))
                    {
                        break;
                    }

                    try
                    {
                        if (header == 0)
                        {
                            Seal(offset, total);
                            continue;
                        }

                        if (total < header || !VirtioNetHeader.TryRead(into, out var vnet))
                        {
                            Count(DataPlaneDrop.BadOffload);
                            continue;
                        }

                        var packet = arena.AsSpan(offset, total - header);
                        if (vnet.GsoKind == VirtioNetHeader.GsoNone)
                        {
                            if (GsoSegmenter.TryCompleteChecksum(packet, vnet))
                            {
                                Seal(offset, packet.Length);
                            }
                            else
                            {
                                Count(DataPlaneDrop.BadOffload);
                            }
                        }
                        else if (GsoSegmenter.TryPlan(packet, vnet, maxSegment, out var plan))
                        {
                            // The segments are cut into the arena after the super-segment; when they do not fit
                            // there, the super-segment is moved aside and the batch sent first.
                            byte[] source = arena;
                            int sourceOffset = offset;
                            long needed = Align(offset + packet.Length) + ((long)plan.Count * (Headroom + SegmentTail + 16 + plan.HeaderLength)) + plan.PayloadLength;
                            if (needed > ArenaSize || ready + plan.Count > maxDatagrams)
                            {
                                spill ??= GC.AllocateUninitializedArray<byte>(MaxPacket, pinned: true);
                                packet.CopyTo(spill);
                                source = spill;
                                sourceOffset = 0;
                                Flush();
                            }
                            else
                            {
                                cursor = Align(offset + packet.Length);
                            }

                            var superSegment = source.AsSpan(sourceOffset, packet.Length);
                            for (int i = 0; i < plan.Count; i++)
                            {
                                int length = plan.SegmentLength(i);
                                if (ready >= maxDatagrams || cursor + Headroom + length + SegmentTail > ArenaSize)
                                {
                                    Flush(); // only when the super-segment is in the spill buffer
                                }

                                int at = cursor + Headroom;
                                if (GsoSegmenter.WriteSegment(superSegment, plan, i, arena.AsSpan(at, length)) != length)
                                {
                                    Count(DataPlaneDrop.BadOffload);
                                    break;
                                }

                                Seal(at, length);
                            }
                        }
                        else
                        {
                            Count(DataPlaneDrop.BadOffload);
                        }
                    }
                    catch (Exception e) when (e is not IOException)
                    {
                        Count(DataPlaneDrop.Internal);
                        _errorLog.Warn(_logger, "data plane: outbound packet failed: {Error}", e.ToString());
                    }
                }
            }
            catch (IOException e)
            {
                _errorLog.Warn(_logger, "data plane: reading the TUN device failed: {Error}", e.Message);
                Thread.Sleep(10);
            }

            Flush();
        }
    }

    private static int Align(int offset) => (offset + 15) & ~15;

    /// <summary>Sends the first <paramref name="ready"/> sealed datagrams: runs for one route go out together
    /// (<see cref="IEspSender.SendBatch"/>, UDP segmentation offload); clears the references it held.</summary>
    private void SendReady(EspDatagram[] datagrams, EspRoute[] routes, PeerEntry[] peers, int[] lengths, int ready)
    {
        int i = 0;
        while (i < ready)
        {
            var route = routes[i];
            int j = i + 1;
            while (j < ready && ReferenceEquals(routes[j], route))
            {
                j++;
            }

            int sent = j - i == 1
                ? (_sender.Send(datagrams[i].Span, route) ? 1 : 0)
                : _sender.SendBatch(route, datagrams.AsSpan(i, j - i));
            for (int k = i; k < j; k++)
            {
                CountSent(peers[k], lengths[k]);
            }

            if (sent < j - i)
            {
                Interlocked.Add(ref _packetsOut, sent - (j - i));
                Interlocked.Add(ref _drops[(int)DataPlaneDrop.SendFailed], (j - i) - sent);
            }

            i = j;
        }

        Array.Clear(routes, 0, ready);
        Array.Clear(peers, 0, ready);
    }

    public void Dispose()
    {
        _disposed = true;
        foreach (var hit in _pending.Keys)
        {
            if (_pending.TryRemove(hit, out var q))
            {
                q.Clear();
            }
        }

        ReleaseHeld();
        foreach (var p in _sad.GetAllPairs())
        {
            p.Outbound.Dispose();
            p.Inbound.Dispose();
        }
    }

    private void Deliver(byte[] buffer, int length, byte nextHeader, PeerEntry peer)
    {
        var writer = _writer;
        if (writer is null)
        {
            Count(DataPlaneDrop.TunWriteFailed);
            return;
        }

        var payload = buffer.AsSpan(Headroom, length);
        bool ipv4 = nextHeader switch
        {
            ProtocolIcmp => true,
            ProtocolIcmpv6 => false,
            ProtocolTcp or ProtocolUdp => ChooseIpv4(peer, nextHeader, payload),
            _ => false,
        };

        int start;
        int total;
        if (nextHeader == BeetPacket.ProtocolIpv4)
        {
            // An IPv4 fragment with its header: addresses from the SA (our LSIs), fragmentation fields as sent.
            if (peer.Lsi == 0 || !BeetPacket.TryRebuildIpv4Fragment(payload, peer.Hit, _localHit, peer.Lsi, _localLsi))
            {
                Count(DataPlaneDrop.Malformed);
                return;
            }

            RecordFirstFragmentFlow(peer, payload);
            start = Headroom;
            total = length;
        }
        else if (ipv4)
        {
            BeetPacket.TryConvertChecksumToLsis(payload, nextHeader, peer.Hit, _localHit, peer.Lsi, _localLsi);
            start = Headroom - BeetPacket.Ipv4HeaderLength;
            total = BeetPacket.WriteIpv4Header(buffer.AsSpan(start), peer.Lsi, _localLsi, nextHeader, length);
        }
        else
        {
            start = Headroom - BeetPacket.Ipv6HeaderLength;
            total = BeetPacket.WriteIpv6Header(buffer.AsSpan(start), peer.Hit, _localHit, nextHeader, length);
        }

        int header = writer.VnetHeaderLength;
        if (header > 0)
        {
            // A TUN device with offloads: join in-order TCP segments of a receive burst (GRO), else write the
            // packet behind an empty virtio_net_hdr (gso_type NONE, checksum complete).
            if (t_batching && nextHeader == ProtocolTcp && TryCoalesce(writer, buffer.AsSpan(start, total)))
            {
                Interlocked.Increment(ref _packetsIn);
                Interlocked.Add(ref _bytesIn, total);
                return;
            }

            FlushCoalesced(writer);
            start -= header;
            total += header;
            buffer.AsSpan(start, header).Clear();
        }

        bool written;
        try
        {
            written = writer.TryWrite(buffer.AsSpan(start, total));
        }
        catch (IOException)
        {
            written = false;
        }

        if (!written)
        {
            Count(DataPlaneDrop.TunWriteFailed);
            return;
        }

        Interlocked.Increment(ref _packetsIn);
        Interlocked.Add(ref _bytesIn, total - header);
    }

    /// <summary>A first fragment of a TCP or UDP datagram from the peer names an IPv4 flow (the rest of it goes the same way).</summary>
    private void RecordFirstFragmentFlow(PeerEntry peer, ReadOnlySpan<byte> ipv4Packet)
    {
        byte protocol = ipv4Packet[9];
        if ((protocol == ProtocolTcp || protocol == ProtocolUdp) && (BinaryPrimitives.ReadUInt16BigEndian(ipv4Packet[6..]) & 0x1FFF) == 0
            && ipv4Packet.Length >= BeetPacket.Ipv4HeaderLength + 4)
        {
            var transport = ipv4Packet[BeetPacket.Ipv4HeaderLength..];
            _flows.Record(peer.Id, protocol, BinaryPrimitives.ReadUInt16BigEndian(transport[2..]), BinaryPrimitives.ReadUInt16BigEndian(transport), ipv4: true);
        }
    }

    /// <summary>
    /// The inner family of an inbound TCP or UDP packet: what the local application used on this flow, else (first
    /// packet of a flow the peer opened) IPv4 only when an IPv4-only socket listens on the port.
    /// </summary>
    private bool ChooseIpv4(PeerEntry peer, byte protocol, ReadOnlySpan<byte> transport)
    {
        if (transport.Length < 4)
        {
            return false;
        }

        ushort remotePort = BinaryPrimitives.ReadUInt16BigEndian(transport);
        ushort localPort = BinaryPrimitives.ReadUInt16BigEndian(transport[2..]);
        if (_flows.TryGet(peer.Id, protocol, localPort, remotePort, out bool ipv4))
        {
            return ipv4;
        }

        if (peer.Lsi == 0)
        {
            return false;
        }

        // Only a flow's opening packet asks the kernel's socket tables (a TCP SYN, or any UDP datagram of an
        // unknown flow); the answer is remembered for the flow.
        if (protocol == ProtocolTcp && (transport.Length < 14 || (transport[13] & 0x12) != 0x02))
        {
            return false;
        }

        ipv4 = _options.PrefersIpv4 is { } prefers ? prefers(protocol, localPort) : ListeningSockets.PrefersIpv4(protocol, localPort);
        _flows.Record(peer.Id, protocol, localPort, remotePort, ipv4);
        return ipv4;
    }

    private void CountEspDrop(uint spi, EspDropReason reason)
    {
        var drop = reason switch
        {
            EspDropReason.Truncated or EspDropReason.Malformed or EspDropReason.DestinationTooSmall => DataPlaneDrop.Malformed,
            EspDropReason.UnknownSpi or EspDropReason.SpiMismatch => DataPlaneDrop.UnknownSpi,
            EspDropReason.Replayed => DataPlaneDrop.Replayed,
            EspDropReason.TooOld => DataPlaneDrop.TooOld,
            EspDropReason.IntegrityCheckFailed => DataPlaneDrop.IntegrityCheckFailed,
            EspDropReason.InvalidPadding => DataPlaneDrop.InvalidPadding,
            EspDropReason.DummyPacket => DataPlaneDrop.Dummy,
            EspDropReason.SaRemoved => DataPlaneDrop.SaRemoved,
            _ => DataPlaneDrop.Internal,
        };
        Count(drop);
        if (_records.TryGetValue(spi, out var record))
        {
            record.CountDrop(drop);
        }
    }

    private void Count(DataPlaneDrop reason) => Interlocked.Increment(ref _drops[(int)reason]);

    /// <summary>What the data plane knows about one peer; read lock-free by the packet threads.</summary>
    internal sealed class PeerEntry(Hit hit, uint lsi, int id)
    {
        private int _sent;
        private int _received;

        public Hit Hit { get; } = hit;

        /// <summary>The LSI this host gave the peer (0 when the LSI network is full).</summary>
        public uint Lsi { get; } = lsi;

        /// <summary>Small number identifying the peer in the flow table.</summary>
        public int Id { get; } = id;

        public volatile EspRoute? Route;

        /// <summary>The association's SA lanes (simultaneous multihoming); null with a single SA pair.</summary>
        public volatile SaLaneSet? Lanes;

        /// <summary><see cref="Route"/> goes to an address not verified yet: sends spend <see cref="Credit"/>.</summary>
        public volatile bool CreditLimited;

        /// <summary>What the peer's ESP earned (RFC 8046 §5.6): the budget of a credit-limited route.</summary>
        public Hipnat.Core.Paths.CreditCounter Credit { get; } = new();

        /// <summary>Routes to other addresses of the peer that ICE has verified (copy-on-write, at most 8).</summary>
        public volatile EspRoute[] Alternates = [];

        /// <summary>A verified route to <paramref name="remote"/>, if one is kept (receive threads; no allocation).</summary>
        public EspRoute? FindAlternate(in TransportAddress remote)
        {
            foreach (var r in Alternates)
            {
                if (r.Remote == remote)
                {
                    return r;
                }
            }

            return null;
        }

        /// <summary>Checks before writing, so a busy flow does not bounce the cache line between threads.</summary>
        public void MarkSent()
        {
            if (Volatile.Read(ref _sent) == 0)
            {
                Volatile.Write(ref _sent, 1);
            }
        }

        private SourceNote? _newSource;

        /// <summary>ESP arrived from <paramref name="from"/>, not the route's address (allocates only when it changes).</summary>
        public bool NoteSource(in TransportAddress local, in TransportAddress from)
        {
            var current = Volatile.Read(ref _newSource);
            if (current is null || current.From != from)
            {
                Volatile.Write(ref _newSource, new SourceNote(local, from));
                return true;
            }

            return false;
        }

        public SourceNote? TakeSource() => Interlocked.Exchange(ref _newSource, null);

        public void MarkReceived()
        {
            if (Volatile.Read(ref _received) == 0)
            {
                Volatile.Write(ref _received, 1);
            }
        }

        public bool TakeSent() => Interlocked.Exchange(ref _sent, 0) != 0;

        public bool TakeReceived() => Interlocked.Exchange(ref _received, 0) != 0;
    }

    /// <summary>Per-SA drop counters and retirement, keyed by inbound SPI.</summary>
    internal sealed class SaRecord(EspSaPair pair, long installed)
    {
        private long _replay;
        private long _icv;
        private long _other;

        public EspSaPair Pair { get; } = pair;

        public long InstalledTimestamp { get; } = installed;

        /// <summary>Timestamp after which a replaced pair is removed; 0 while current.</summary>
        public long RetireAt { get; set; }

        public long ReplayDrops => Interlocked.Read(ref _replay);

        public long IcvDrops => Interlocked.Read(ref _icv);

        public long OtherDrops => Interlocked.Read(ref _other);

        public void CountDrop(DataPlaneDrop drop)
        {
            switch (drop)
            {
                case DataPlaneDrop.Replayed or DataPlaneDrop.TooOld:
                    Interlocked.Increment(ref _replay);
                    break;
                case DataPlaneDrop.IntegrityCheckFailed:
                    Interlocked.Increment(ref _icv);
                    break;
                default:
                    Interlocked.Increment(ref _other);
                    break;
            }
        }
    }

    /// <summary>Packets to a peer waiting for its base exchange (slow path: locked, pooled copies).</summary>
    internal sealed class PendingQueue
    {
        private readonly Queue<(byte[] Buffer, int Length, long Timestamp)> _items = new();

        public Lock Lock { get; } = new();

        /// <summary>Set once flushed: late arrivals are sent directly.</summary>
        public bool Closed { get; set; }

        public bool ConnectRequested { get; set; }

        /// <summary>Timestamp until which packets are dropped at once (the base exchange just failed).</summary>
        public long FailedUntil { get; set; }

        public long LastActivity { get; set; }

        public int Count => _items.Count;

        public void Add(byte[] buffer, int length, long timestamp) => _items.Enqueue((buffer, length, timestamp));

        public bool TryTake(out (byte[] Buffer, int Length, long Timestamp) item) => _items.TryDequeue(out item);

        public bool TryPeek(out (byte[] Buffer, int Length, long Timestamp) item) => _items.TryPeek(out item);

        public int Clear()
        {
            int n = _items.Count;
            while (_items.TryDequeue(out var item))
            {
                ArrayPool<byte>.Shared.Return(item.Buffer);
            }

            return n;
        }
    }

    /// <summary>An ESP packet of a peer came from an address other than its route's.</summary>
    internal sealed record SourceNote(TransportAddress Local, TransportAddress From);
}
