using Hipnat.Runtime.DataPlane;

namespace Hipnat.Runtime.Tests;

/// <summary>The data plane's per-packet path (seal, send, open, rebuild, write) allocates nothing.</summary>
[Collection(nameof(AllocationTests))]
public sealed class DataPlaneAllocationTests
{
    [Theory]
    [InlineData((ushort)13)]
    [InlineData((ushort)8)]
    public void SealingAndOpeningAllocateNothingPerPacket(ushort suite)
    {
        using var pair = new DataPlaneTestPair([suite]);
        pair.Connect();
        pair.ImmediateEsp = true;
        var (a, b) = (pair.A, pair.B);
        b.CountOnly = true;
        var v6 = DataPlanePackets.Udp6(a.Hit, b.Hit, 1000, 2000, new byte[1200]);
        var v4 = DataPlanePackets.Udp4(a.Engine.LocalLsi, a.LsiOf(b), 1001, 2001, new byte[1200]);
        var echo = DataPlanePackets.Echo4(a.Engine.LocalLsi, a.LsiOf(b), 1, 1);

        void Run(int n)
        {
            for (int i = 0; i < n; i++)
            {
                a.Send(v6);
                a.Send(v4);
                a.Send(echo);
            }
        }

        Run(200); // warm up: JIT, thread-static buffers, the flow table
        const int count = 3000;
        long before = GC.GetAllocatedBytesForCurrentThread();
        Run(count);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(3 * (count + 200), b.Writes);
        Assert.True(allocated < 1024, $"{allocated} bytes allocated for {3 * count} packets");
    }

    /// <summary>The load-balance send path (flow hash, bucket, the lane's SA and route) allocates nothing either.</summary>
    [Fact]
    public void LoadBalancedSendingAllocatesNothingPerPacket()
    {
        using var pair = new DataPlaneTestPair([13]);
        pair.Connect();
        pair.A.Host.AddSaPair(pair.B.Hit, pair.Now);
        pair.Pump();
        pair.ImmediateEsp = true;
        var (a, b) = (pair.A, pair.B);
        b.CountOnly = true;
        a.Engine.Sad.TryGetActivePair(b.Hit, out var active);
        var other = a.Engine.Sad.GetPairs(b.Hit).Single(p => !ReferenceEquals(p, active));
        a.Engine.SetLanes(b.Hit,
        [
            new LaneSpec(active.Inbound.Spi, true, a.Address, b.Address, TimeSpan.FromMilliseconds(1), true),
            new LaneSpec(other.Inbound.Spi, false, Core.Transport.TransportAddress.Udp(System.Net.IPAddress.Parse("192.0.2.11"), 10500), b.Address, TimeSpan.FromMilliseconds(1), true),
        ], spread: true);
        var packets = Enumerable.Range(0, 16).Select(i => DataPlanePackets.Udp6(a.Hit, b.Hit, (ushort)(1000 + i), 2000, new byte[1200]))
            .Concat(Enumerable.Range(0, 16).Select(i => DataPlanePackets.Udp4(a.Engine.LocalLsi, a.LsiOf(b), (ushort)(1000 + i), 2001, new byte[1200]))).ToArray();

        void Run(int n)
        {
            for (int i = 0; i < n; i++)
            {
                a.Send(packets[i % packets.Length]);
            }
        }

        Run(640);
        const int count = 6400;
        long before = GC.GetAllocatedBytesForCurrentThread();
        Run(count);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(count + 640, b.Writes);
        Assert.True(active.Outbound.Packets > 0 && other.Outbound.Packets > 0, "both SA pairs carry flows");
        Assert.True(allocated < 1024, $"{allocated} bytes allocated for {count} packets");
    }
}
