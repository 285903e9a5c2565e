using System.Buffers.Binary;
using System.Net;
using Hipnat.Core.Transport;
using Hipnat.Runtime.DataPlane;

namespace Hipnat.Runtime.Tests;

/// <summary>
/// The load-balance policy's flow hash and weights (<see cref="FlowSpreader"/>), and the engine spreading flows over two
/// SA pairs on their own paths, each SA with its own anti-replay window (RFC 8047 §4.2.2, §4.2.4).
/// </summary>
public sealed class MultihomingDataPlaneTests
{
    private static readonly byte[] Src = IPAddress.Parse("2001:20::1").GetAddressBytes();
    private static readonly byte[] Dst = IPAddress.Parse("2001:20::2").GetAddressBytes();

    private static int[] Counts(byte[] table, int lanes)
    {
        var counts = new int[lanes];
        foreach (byte b in table)
        {
            counts[b]++;
        }

        return counts;
    }

    [Fact]
    public void AFlowAlwaysHashesToTheSameBucketAndPortsMatter()
    {
        uint h = FlowSpreader.Hash(6, Src, Dst, 40000, 5201);
        for (int i = 0; i < 100; i++)
        {
            Assert.Equal(h, FlowSpreader.Hash(6, Src, Dst, 40000, 5201));
        }

        var buckets = Enumerable.Range(0, 64).Select(p => FlowSpreader.Bucket(FlowSpreader.Hash(6, Src, Dst, (ushort)(40000 + p), 5201))).Distinct().Count();
        Assert.True(buckets > 40, $"64 flows fell into {buckets} buckets");
        Assert.NotEqual(FlowSpreader.Hash(6, Src, Dst, 40000, 5201), FlowSpreader.Hash(17, Src, Dst, 40000, 5201));
    }

    [Fact]
    public void WeightsFollowRttAndLoss()
    {
        Assert.Equal(1.0, FlowSpreader.Weight(TimeSpan.Zero, 0), 6);
        Assert.True(FlowSpreader.Weight(TimeSpan.FromMilliseconds(10), 0) > FlowSpreader.Weight(TimeSpan.FromMilliseconds(100), 0));
        Assert.True(FlowSpreader.Weight(TimeSpan.FromMilliseconds(10), 0.1) < FlowSpreader.Weight(TimeSpan.FromMilliseconds(10), 0));

        // Within the RTT floor paths weigh about the same: LAN noise does not skew the split.
        Assert.InRange(FlowSpreader.Weight(TimeSpan.FromMilliseconds(0.3), 0) / FlowSpreader.Weight(TimeSpan.FromMilliseconds(1), 0), 1.0, 1.04);

        // 20 ms against 100 ms: 3 to 1 (F = 20 ms: 20/40 against 20/120).
        Assert.Equal(3.0, FlowSpreader.Weight(TimeSpan.FromMilliseconds(20), 0) / FlowSpreader.Weight(TimeSpan.FromMilliseconds(100), 0), 6);
        Assert.Equal(0.01, FlowSpreader.Weight(TimeSpan.Zero, 0.95), 6); // loss is capped at 0.9
    }

    [Theory]
    [InlineData(1.0, 1.0, 128)]
    [InlineData(3.0, 1.0, 192)]
    [InlineData(1.0, 0.0, 256)]
    public void TheTableGivesEachLaneItsShareOfBuckets(double w0, double w1, int expected0)
    {
        var table = FlowSpreader.BuildTable([w0, w1])!;
        Assert.Equal([expected0, 256 - expected0], Counts(table, 2));
        Assert.Null(FlowSpreader.BuildTable([0.0, 0.0]));
    }

    [Fact]
    public void ManyFlowsSpreadByWeightWithinTolerance()
    {
        var rng = new Random(7);
        foreach (var (weights, expected) in new[] { (new[] { 1.0, 1.0 }, new[] { 0.5, 0.5 }), (new[] { 3.0, 1.0 }, new[] { 0.75, 0.25 }), (new[] { 2.0, 1.0, 1.0 }, new[] { 0.5, 0.25, 0.25 }) })
        {
            var table = FlowSpreader.BuildTable(weights)!;
            var counts = new int[weights.Length];
            const int flows = 20000;
            var src = new byte[16];
            for (int i = 0; i < flows; i++)
            {
                rng.NextBytes(src);
                uint h = FlowSpreader.Hash(6, src, Dst, (ushort)rng.Next(1024, 65536), 5201);
                counts[table[FlowSpreader.Bucket(h)]]++;
            }

            for (int i = 0; i < weights.Length; i++)
            {
                Assert.InRange(counts[i] / (double)flows, expected[i] - 0.03, expected[i] + 0.03);
            }
        }
    }

    [Fact]
    public void ARebuildMovesOnlyTheFlowsItMustAndAFailedLanesFlowsMoveToTheOthers()
    {
        var before = FlowSpreader.BuildTable([1.0, 1.0])!;

        // 1:1 to 3:2 (128 to 154 buckets for lane 0): 26 buckets move, all from lane 1 to lane 0.
        var after = FlowSpreader.BuildTable([3.0, 2.0], before, [0, 1])!;
        int moved = Enumerable.Range(0, 256).Count(b => before[b] != after[b]);
        Assert.Equal(26, moved);
        Assert.True(Enumerable.Range(0, 256).All(b => before[b] == after[b] || (before[b] == 1 && after[b] == 0)));

        // Lane 1's path failed (weight 0): its buckets go to lane 0, lane 0's stay.
        var failed = FlowSpreader.BuildTable([1.0, 0.0], before, [0, 1])!;
        Assert.True(failed.All(b => b == 0));
    }

    /// <summary>Two SA pairs with B, the second on a path of its own (another local address): the flows spread over
    /// both, the packets of each flow stay on one SA, and B accepts both sequences 1, 2, 3... interleaved — one
    /// anti-replay window per inbound SA.</summary>
    [Fact]
    public void LoadBalanceSpreadsFlowsOverTwoSaPairsAndEachInboundSaHasItsOwnReplayWindow()
    {
        using var pair = new DataPlaneTestPair([13]);
        pair.Connect();
        pair.A.Host.AddSaPair(pair.B.Hit, pair.Now);
        pair.Pump();
        var (a, b) = (pair.A, pair.B);
        var spis = a.Engine.Sad.GetPairs(b.Hit);
        Assert.Equal(2, spis.Length);
        a.Engine.Sad.TryGetActivePair(b.Hit, out var active);
        var other = spis.Single(p => !ReferenceEquals(p, active));
        var secondLocal = TransportAddress.Udp(IPAddress.Parse("192.0.2.11"), 10500);
        a.Engine.SetLanes(b.Hit,
        [
            new LaneSpec(active.Inbound.Spi, true, a.Address, b.Address, TimeSpan.FromMilliseconds(1), true),
            new LaneSpec(other.Inbound.Spi, false, secondLocal, b.Address, TimeSpan.FromMilliseconds(1), true),
        ], spread: true);

        pair.ImmediateEsp = true;
        a.RecordEsp = true;
        const int flows = 64;
        const int packets = 8;
        for (int round = 0; round < packets; round++)
        {
            for (int f = 0; f < flows; f++)
            {
                a.Send(DataPlanePackets.Udp6(a.Hit, b.Hit, (ushort)(30000 + f), 5201, new byte[100]));
            }
        }

        // Every packet arrived: neither SA's sequence numbers were taken for replays of the other's.
        Assert.Equal(flows * packets, b.Received.Count);
        Assert.Equal(0, b.Engine.Dropped(DataPlaneDrop.Replayed));
        Assert.True(active.Outbound.Packets > flows * packets / 4 && other.Outbound.Packets > flows * packets / 4,
            $"{active.Outbound.Packets} and {other.Outbound.Packets} packets on the two SAs");

        // Each flow stayed on one SA: the i-th ESP datagram is flow i % 64.
        var spiOfFlow = new Dictionary<int, HashSet<uint>>();
        for (int i = 0; i < a.SentEsp.Count; i++)
        {
            uint spi = BinaryPrimitives.ReadUInt32BigEndian(a.SentEsp[i]);
            (spiOfFlow.TryGetValue(i % flows, out var set) ? set : spiOfFlow[i % flows] = []).Add(spi);
        }

        Assert.All(spiOfFlow.Values, s => Assert.Single(s));
        Assert.Equal(2, spiOfFlow.Values.SelectMany(s => s).Distinct().Count());

        // The peer's ESP on the second path is no move of the route.
        Assert.Equal(2, b.Engine.Sad.GetPairs(a.Hit).Length);
        Assert.Equal(flows * packets, b.Engine.Sad.GetPairs(a.Hit).Select(p => p.Inbound.Packets).Sum(x => (long)x));
    }
}
