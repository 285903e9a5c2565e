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
}
