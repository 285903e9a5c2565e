using Hipnat.DataPlane.Tun;
using Microsoft.Extensions.Logging;

namespace Hipnat.Runtime.DataPlane;

/// <summary>
/// The data plane on a TUN device with offloads (IFF_VNET_HDR, TUNSETOFFLOAD; Documentation/networking/tuntap.rst):
/// out, the kernel hands over TCP (and UDP) super-segments of up to 64 KiB with partial checksums, which are cut
/// into segments that fit the tunnel MTU (<see cref="GsoSegmenter"/>) and sealed one ESP packet each; in, TCP
/// segments decrypted from one UDP_GRO receive are joined (<see cref="TcpCoalescer"/>) and written as one
/// super-segment.
/// </summary>
public sealed partial class DataPlaneEngine
{
    /// <summary>Octets of segments (each with its headroom and tail) one outbound batch holds before it is sent.</summary>
    private const int ArenaSize = 1 << 20;

    /// <summary>Most ESP datagrams in one outbound batch.</summary>
    private const int MaxBatchDatagrams = 512;

    /// <summary>Room after a segment for ESP padding and ICV.</summary>
    private const int SegmentTail = 128;

    [ThreadStatic]
    private static TcpCoalescer? t_coalescer;

    [ThreadStatic]
    private static bool t_batching;

    /// <summary>Receive threads: the next datagrams come from one receive call; TCP segments among them may be coalesced.</summary>
    public void BeginBatch() => t_batching = _writer is { VnetHeaderLength: > 0 };

    /// <summary>Receive threads: writes what the batch held back.</summary>
    public void EndBatch()
    {
        t_batching = false;
        if (_writer is { } writer)
        {
            FlushCoalesced(writer);
        }
    }

    /// <summary>Joins <paramref name="packet"/> to this thread's pending super-segment, or starts one with it; false when
    /// it can be neither (the pending one has been written then).</summary>
    private bool TryCoalesce(IPacketWriter writer, ReadOnlySpan<byte> packet)
    {
        var coalescer = t_coalescer ??= new TcpCoalescer();
        if (coalescer.HasPending && coalescer.TryAppend(packet))
        {
            return true;
        }

        FlushCoalesced(writer);
        return coalescer.TryStart(packet);
    }

    /// <summary>Writes this thread's pending (super-)segment, if any.</summary>
    private void FlushCoalesced(IPacketWriter writer)
    {
        if (t_coalescer is not { HasPending: true } coalescer)
        {
            return;
        }

        int segments = coalescer.Count;
        bool written;
        try
        {
            written = writer.TryWrite(coalescer.Complete());
        }
        catch (IOException)
        {
            written = false;
        }

        if (!written)
        {
            Interlocked.Add(ref _drops[(int)DataPlaneDrop.TunWriteFailed], segments);
            Interlocked.Add(ref _packetsIn, -segments);
        }
    }

    /// <summary>
    /// The TUN reader with offloads: each read is a virtio_net_hdr and a packet; a super-segment is cut into
    /// segments of at most the tunnel MTU, a partial checksum completed, and every packet copied into a batch arena
    /// behind <see cref="Headroom"/> octets, sealed in place and sent by route as in <see cref="RunReader"/>.
    /// </summary>
    private void RunOffloadReader(ITunReader tun, int batchSize)
    {
        int header = tun.VnetHeaderLength;
        var read = GC.AllocateUninitializedArray<byte>(header + MaxPacket, pinned: true);
        var arena = GC.AllocateUninitializedArray<byte>(ArenaSize, pinned: true);
        var datagrams = new EspDatagram[MaxBatchDatagrams];
        var routes = new EspRoute[MaxBatchDatagrams];
        var peers = new PeerEntry[MaxBatchDatagrams];
        var lengths = new int[MaxBatchDatagrams];
        int maxSegment = _options.Mtu ?? MaxPacket;
        int cursor = 0;
        int ready = 0;

        // Seals the packet at cursor + Headroom; sends the batch first when the arena or the batch is full.
        void Stage(ReadOnlySpan<byte> packet, in GsoPlan plan, int index)
        {
            int length = index < 0 ? packet.Length : plan.SegmentLength(index);
            if (cursor + Headroom + length + SegmentTail > ArenaSize || ready == MaxBatchDatagrams)
            {
                SendReady(datagrams, routes, peers, lengths, ready);
                cursor = 0;
                ready = 0;
            }

            int offset = cursor + Headroom;
            var slot = arena.AsSpan(offset, length);
            if (index < 0)
            {
                packet.CopyTo(slot);
            }
            else if (GsoSegmenter.WriteSegment(packet, plan, index, slot) != length)
            {
                Count(DataPlaneDrop.BadOffload);
                return;
            }

            if (TrySeal(arena, offset, length, out var peer, out var route, out int start, out int wireLength))
            {
                datagrams[ready] = new EspDatagram(arena, start, wireLength);
                routes[ready] = route;
                peers[ready] = peer;
                lengths[ready] = length;
                ready++;
                cursor = (offset + length + SegmentTail + 15) & ~15;
            }
        }

        while (!_disposed)
        {
            try
            {
                for (int n = 0; n < batchSize && ready < MaxBatchDatagrams / 2; n++)
                {
                    int total;
                    if (n == 0)
                    {
                        if (!tun.TryRead(read, out total))
                        {
                            return;
                        }
                    }
                    else if (!tun.TryReadNow(read, out total))
                    {
                        break;
                    }

                    try
                    {
                        if (total < header || !VirtioNetHeader.TryRead(read, out var vnet))
                        {
                            Count(DataPlaneDrop.BadOffload);
                            continue;
                        }

                        var packet = read.AsSpan(header, total - header);
                        if (vnet.GsoKind == VirtioNetHeader.GsoNone)
                        {
                            if (!GsoSegmenter.TryCompleteChecksum(packet, vnet))
                            {
                                Count(DataPlaneDrop.BadOffload);
                                continue;
                            }

                            Stage(packet, default, -1);
                        }
                        else if (GsoSegmenter.TryPlan(packet, vnet, maxSegment, out var plan))
                        {
                            for (int i = 0; i < plan.Count; i++)
                            {
                                Stage(packet, plan, i);
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

            SendReady(datagrams, routes, peers, lengths, ready);
            cursor = 0;
            ready = 0;
        }
    }
}
