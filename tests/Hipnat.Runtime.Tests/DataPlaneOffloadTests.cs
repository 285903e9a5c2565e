using System.Buffers.Binary;
using Hipnat.DataPlane.Tun;
using Hipnat.Runtime.DataPlane;

namespace Hipnat.Runtime.Tests;

/// <summary>
/// The data plane on a TUN device with offloads: super-segments from the reader leave as MTU-sized ESP packets, and
/// the TCP segments of one receive burst reach the writer as one super-segment.
/// </summary>
[Collection(nameof(AllocationTests))]
public sealed class DataPlaneOffloadTests
{
    private static byte[] WithHeader(VirtioNetHeader header, byte[] packet)
    {
        var b = new byte[VirtioNetHeader.Size + packet.Length];
        header.WriteTo(b);
        packet.CopyTo(b, VirtioNetHeader.Size);
        return b;
    }

    private static VirtioNetHeader Tso6(int gsoSize) =>
        new(VirtioNetHeader.FlagNeedsCsum, VirtioNetHeader.GsoTcpV6, 60, (ushort)gsoSize, 40, 16);

    private static byte[] Payload(int n, int seed)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    [Fact]
    public void ASuperSegmentFromTheTunLeavesAsSegmentsThatFitTheMtu()
    {
        using var pair = new DataPlaneTestPair(options: o => o with { Mtu = 1400 });
        pair.Connect();
        pair.ImmediateEsp = true;
        var (a, b) = (pair.A, pair.B);
        var data = Payload(60000, 1);
        var tun = new VnetTun();

        // The kernel's gso_size may exceed what fits the tunnel: segments are cut to the MTU all the same.
        tun.Reads.Enqueue(WithHeader(Tso6(1440), DataPlanePackets.Tcp6(a.Hit, b.Hit, 7, data, flags: 0x18, partial: true)));
        a.Engine.RunReader(tun);

        int expected = (data.Length + 1339) / 1340;
        Assert.Equal(expected, b.Received.Count);
        Assert.Equal(expected, a.Engine.PacketsOut);
        var got = new List<byte>();
        uint seq = 7;
        int i = 0;
        foreach (var p in b.Received)
        {
            Assert.True(p.Length <= 1400);
            Assert.True(DataPlanePackets.TransportChecksumValid(p), $"segment {i}");
            var tcp = DataPlanePackets.Transport(p);
            Assert.Equal(seq, BinaryPrimitives.ReadUInt32BigEndian(tcp.AsSpan(4)));
            Assert.Equal(++i == expected ? 0x18 : 0x10, tcp[13]);
            seq += (uint)(tcp.Length - 20);
            got.AddRange(tcp[20..]);
        }

        Assert.Equal(data, got.ToArray());
        Assert.Equal(0, a.Engine.Dropped(DataPlaneDrop.BadOffload));
    }

    [Fact]
    public void SuperSegmentsOfMoreSegmentsThanABatchHoldsLeaveWholeAndInOrder()
    {
        using var pair = new DataPlaneTestPair(options: o => o with { Mtu = 1400 });
        pair.Connect();
        pair.ImmediateEsp = true;
        var (a, b) = (pair.A, pair.B);
        var tun = new VnetTun();

        // gso_size 100: 600 segments each, more than one outbound batch holds; three in a row outgrow the arena.
        var data = Payload(180000, 3);
        for (int k = 0; k < 3; k++)
        {
            tun.Reads.Enqueue(WithHeader(Tso6(100), DataPlanePackets.Tcp6(a.Hit, b.Hit, (uint)(1 + (k * 60000)), data.AsSpan(k * 60000, 60000).ToArray(), flags: 0x18, partial: true)));
        }

        a.Engine.RunReader(tun, batchSize: 8);

        Assert.Equal(1800, b.Received.Count);
        var got = new List<byte>();
        uint seq = 1;
        foreach (var p in b.Received)
        {
            Assert.True(DataPlanePackets.TransportChecksumValid(p));
            var tcp = DataPlanePackets.Transport(p);
            Assert.Equal(seq, BinaryPrimitives.ReadUInt32BigEndian(tcp.AsSpan(4)));
            seq += (uint)(tcp.Length - 20);
            got.AddRange(tcp[20..]);
        }

        Assert.Equal(data, got.ToArray());
        Assert.Equal(0, a.Engine.Dropped(DataPlaneDrop.BadOffload));
        Assert.Equal(0, a.Engine.Dropped(DataPlaneDrop.Internal));
    }

    [Fact]
    public void APartialChecksumIsCompletedAndALyingHeaderIsCounted()
    {
        using var pair = new DataPlaneTestPair();
        pair.Connect();
        pair.ImmediateEsp = true;
        var (a, b) = (pair.A, pair.B);
        var tun = new VnetTun();
        var packet = DataPlanePackets.Tcp6(a.Hit, b.Hit, 1, Payload(500, 2), partial: true);
        tun.Reads.Enqueue(WithHeader(new VirtioNetHeader(VirtioNetHeader.FlagNeedsCsum, 0, 0, 0, 40, 16), packet));
        tun.Reads.Enqueue(WithHeader(Tso6(1000) with { GsoType = VirtioNetHeader.GsoTcpV4 }, packet));
        tun.Reads.Enqueue(WithHeader(new VirtioNetHeader(VirtioNetHeader.FlagNeedsCsum, 0, 0, 0, 40, 60000), packet));
        tun.Reads.Enqueue(new byte[5]);
        tun.Reads.Enqueue(WithHeader(default, DataPlanePackets.Udp6(a.Hit, b.Hit, 1, 2, [1, 2, 3])));
        a.Engine.RunReader(tun);

        Assert.Equal(2, b.Received.Count);
        Assert.True(b.Received.TryDequeue(out var first));
        Assert.True(DataPlanePackets.TransportChecksumValid(first));
        Assert.Equal(3, a.Engine.Dropped(DataPlaneDrop.BadOffload));
        Assert.Equal(0, a.Engine.Dropped(DataPlaneDrop.Internal));
    }

    [Fact]
    public void TheSegmentsOfOneReceiveBurstAreWrittenAsOneSuperSegment()
    {
        using var pair = new DataPlaneTestPair();
        pair.Connect();
        var (a, b) = (pair.A, pair.B);
        b.VnetHeaderLength = VirtioNetHeader.Size;
        a.RecordEsp = true;
        var data = Payload(20 * 1300, 3);
        for (int i = 0; i < 20; i++)
        {
            a.Send(DataPlanePackets.Tcp6(a.Hit, b.Hit, (uint)(100 + (i * 1300)), data.AsSpan(i * 1300, 1300), flags: (byte)(i == 19 ? 0x18 : 0x10)));
        }

        a.Send(DataPlanePackets.Udp6(a.Hit, b.Hit, 1, 2, [9]));
        Assert.Equal(21, a.SentEsp.Count);
        b.Engine.BeginBatch();
        foreach (var d in a.SentEsp)
        {
            b.Engine.TryReceive(d);
        }

        b.Engine.EndBatch();

        // One super-segment, then the UDP datagram behind an empty header.
        Assert.Equal(2, b.Received.Count);
        var writes = b.Received.ToArray();
        Assert.True(VirtioNetHeader.TryRead(writes[0], out var h));
        Assert.Equal(VirtioNetHeader.GsoTcpV6, h.GsoType);
        Assert.Equal(VirtioNetHeader.FlagNeedsCsum, h.Flags);
        Assert.Equal((ushort)1300, h.GsoSize);
        var super = writes[0][VirtioNetHeader.Size..];
        Assert.Equal(60 + data.Length, super.Length);
        Assert.Equal(data.Length + 20, BinaryPrimitives.ReadUInt16BigEndian(super.AsSpan(4)));
        Assert.Equal(100u, BinaryPrimitives.ReadUInt32BigEndian(super.AsSpan(44)));
        Assert.Equal(0x18, super[53]);
        Assert.Equal(data, super[60..]);
        Assert.Equal(new byte[VirtioNetHeader.Size], writes[1][..VirtioNetHeader.Size]);
        Assert.True(DataPlanePackets.TransportChecksumValid(writes[1][VirtioNetHeader.Size..]));
        Assert.Equal(21, b.Engine.PacketsIn);

        // Outside a batch every packet is written at once, behind an empty header.
        a.SentEsp.Clear();
        a.Send(DataPlanePackets.Tcp6(a.Hit, b.Hit, 100 + (uint)data.Length, data.AsSpan(0, 1300)));
        b.Engine.TryReceive(a.SentEsp[0]);
        Assert.Equal(3, b.Received.Count);
        Assert.Equal(new byte[VirtioNetHeader.Size], b.Received.Last()[..VirtioNetHeader.Size]);
    }

    [Fact]
    public void SplittingAndCoalescingAllocateNothingPerPacket()
    {
        using var pair = new DataPlaneTestPair();
        pair.Connect();
        var (a, b) = (pair.A, pair.B);
        b.VnetHeaderLength = VirtioNetHeader.Size;
        b.CountOnly = true;
        a.RecordEsp = true;
        const int PerRound = 40;
        for (int i = 0; i < 52 * PerRound; i++)
        {
            a.Send(DataPlanePackets.Tcp6(a.Hit, b.Hit, (uint)(i * 1000), Payload(1000, i % PerRound)));
        }

        var esp = a.SentEsp.ToArray();
        int next = 0;
        var segmenter = new byte[2000];
        var super = DataPlanePackets.Tcp6(a.Hit, b.Hit, 1, Payload(60000, 5), partial: true);
        var header = Tso6(1340);

        void Run(int rounds)
        {
            for (int r = 0; r < rounds; r++)
            {
                // Each round a burst of new ESP (the same again would be replays).
                b.Engine.BeginBatch();
                for (int i = 0; i < PerRound; i++)
                {
                    b.Engine.TryReceive(esp[next++]);
                }

                b.Engine.EndBatch();
                Assert.True(GsoSegmenter.TryPlan(super, header, 1400, out var plan));
                for (int i = 0; i < plan.Count; i++)
                {
                    GsoSegmenter.WriteSegment(super, plan, i, segmenter);
                }
            }
        }

        Run(2);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Run(50);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 1024, $"{allocated} bytes allocated");
        Assert.Equal(52, b.Writes); // one super-segment per burst
        Assert.Equal(0, b.Engine.Dropped(DataPlaneDrop.Replayed));
    }

    /// <summary>A TUN device with offloads and a fixed queue of reads (virtio_net_hdr in front); shut down once empty.</summary>
    private sealed class VnetTun : ITunReader
    {
        public Queue<byte[]> Reads { get; } = new();

        public int VnetHeaderLength => VirtioNetHeader.Size;

        public bool TryRead(Span<byte> buffer, out int length) => TryReadNow(buffer, out length);

        public bool TryReadNow(Span<byte> buffer, out int length)
        {
            length = 0;
            if (!Reads.TryDequeue(out var p))
            {
                return false;
            }

            p.CopyTo(buffer);
            length = p.Length;
            return true;
        }
    }
}
