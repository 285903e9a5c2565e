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
}
