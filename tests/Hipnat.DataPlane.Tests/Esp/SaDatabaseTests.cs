using System.Net;
using Hipnat.DataPlane.Esp;
using Hipnat.Wire;

namespace Hipnat.DataPlane.Tests.Esp;

public class SaDatabaseTests
{
    private static readonly Hit PeerA = Hit.Parse("2001:20::a");
    private static readonly Hit PeerB = Hit.Parse("2001:20::b");

    private static (EspSa Out, EspSa In) Pair(uint outSpi, uint inSpi)
    {
        var t = EspTransform.Aes128Gcm;
        return (new EspSa(outSpi, EspSaDirection.Outbound, t, new byte[20], []),
                new EspSa(inSpi, EspSaDirection.Inbound, t, new byte[20], []));
    }

    [Fact]
    public void Inbound_by_spi_and_outbound_by_peer()
    {
        var db = new SaDatabase();
        var (outA, inA) = Pair(0x100, 0x200);
        var (outB, inB) = Pair(0x100, 0x300); // peers may pick the same SPI for our outbound SAs
        db.Install(PeerA, outA, inA);
        db.Install(PeerB, outB, inB);

        Assert.True(db.TryGetInbound(0x200u, out EspSa sa));
        Assert.Same(inA, sa);
        Assert.True(db.TryGetInbound(0x300u, out EspSaPair pair));
        Assert.Equal(PeerB, pair.PeerHit);
        Assert.False(db.TryGetInbound(0x100u, out EspSa _));
        Assert.True(db.TryGetOutbound(PeerA, out var outbound));
        Assert.Same(outA, outbound);
        Assert.True(db.TryGetOutbound(PeerB, out outbound));
        Assert.Same(outB, outbound);
        Assert.False(db.TryGetOutbound(Hit.Parse("2001:20::c"), out _));
        Assert.Equal(2, db.AssociationCount);
        Assert.Equal(2, db.PairCount);
    }

    [Fact]
    public void Duplicate_inbound_spi_and_swapped_directions_are_refused()
    {
        var db = new SaDatabase();
        var (o, i) = Pair(0x100, 0x200);
        db.Install(PeerA, o, i);
        var (o2, i2) = Pair(0x101, 0x200);
        Assert.Throws<ArgumentException>(() => db.Install(PeerB, o2, i2));
        Assert.Throws<ArgumentException>(() => db.Install(PeerB, i2, o2));
        Assert.Equal(1, db.PairCount);
    }

    [Fact]
    public void An_association_owns_several_pairs_with_one_active_for_outbound()
    {
        var db = new SaDatabase();
        var (o1, i1) = Pair(0x111, 0x211);
        var (o2, i2) = Pair(0x112, 0x212);
        var (o3, i3) = Pair(0x113, 0x213);
        db.Install(PeerA, o1, i1);
        db.Install(PeerA, o2, i2);                      // rekey or a second interface: becomes active
        db.Install(PeerA, o3, i3, makeActive: false);   // simultaneous multihoming backup

        Assert.Equal(1, db.AssociationCount);
        Assert.Equal(3, db.PairCount);
        Assert.Equal(new[] { i1, i2, i3 }, db.GetPairs(PeerA).Select(p => p.Inbound));
        Assert.True(db.TryGetOutbound(PeerA, out var active));
        Assert.Same(o2, active);

        // Every pair's inbound SA stays reachable by SPI.
        foreach (uint spi in new uint[] { 0x211, 0x212, 0x213 })
        {
            Assert.True(db.TryGetInbound(spi, out EspSaPair p));
            Assert.Equal(PeerA, p.PeerHit);
        }

        Assert.True(db.SetActive(0x213));
        Assert.True(db.TryGetOutbound(PeerA, out active));
        Assert.Same(o3, active);
        Assert.False(db.SetActive(0x999));

        // Removing the active pair hands outbound traffic to the most recently installed remaining pair.
        Assert.True(db.RemovePair(0x213, out var removed));
        Assert.Same(i3, removed!.Inbound);
        Assert.True(db.TryGetOutbound(PeerA, out active));
        Assert.Same(o2, active);
        Assert.False(db.TryGetInbound(0x213u, out EspSa _));
        Assert.False(db.RemovePair(0x213, out _));

        var all = db.Remove(PeerA);
        Assert.Equal(2, all.Length);
        Assert.False(db.TryGetOutbound(PeerA, out _));
        Assert.False(db.TryGetInbound(0x211u, out EspSa _));
        Assert.Equal(0, db.PairCount);
        Assert.Empty(db.Remove(PeerA));
    }

    [Fact]
    public void One_pair_over_several_locator_pairs_with_failover()
    {
        var db = new SaDatabase();
        var (o, i) = Pair(0x100, 0x200);
        var primary = new EspPath(null, new IPEndPoint(IPAddress.Parse("192.0.2.1"), 10500));
        var backup = new EspPath(null, new IPEndPoint(IPAddress.Parse("2001:db8::1"), 10500));
        var pair = db.Install(PeerA, o, i, [primary, backup]);
        Assert.Equal(primary, pair.ActivePath);
        Assert.True(pair.ActivePath!.IsUdpEncapsulated);

        Assert.True(pair.SetActivePath(backup));
        Assert.True(db.TryGetActivePair(PeerA, out var looked));
        Assert.Equal(backup, looked.ActivePath);
        Assert.False(pair.SetActivePath(new EspPath(null, new IPEndPoint(IPAddress.Parse("198.51.100.1"), 0))));

        pair.SetPaths([primary], 0);
        Assert.Equal(primary, pair.ActivePath);
        Assert.Single(pair.Paths);
        pair.SetPaths([]);
        Assert.Null(pair.ActivePath);
        Assert.Throws<ArgumentOutOfRangeException>(() => pair.SetPaths([primary], 1));
    }

    [Fact]
    public async Task Lookups_during_concurrent_installs_and_removals_see_whole_pairs()
    {
        var db = new SaDatabase();
        var (stableOut, stableIn) = Pair(0x100, 0x200);
        db.Install(PeerA, stableOut, stableIn);
        using var stop = new CancellationTokenSource();
        int failures = 0;
        var readers = Enumerable.Range(0, 2).Select(reader => Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                if (!db.TryGetInbound(0x200u, out EspSaPair p) || p.Outbound != stableOut || !db.TryGetOutbound(PeerA, out _))
                {
                    Interlocked.Increment(ref failures);
                }

                if (db.TryGetInbound(0x300u, out EspSaPair q) && q.PeerHit != PeerB)
                {
                    Interlocked.Increment(ref failures);
                }
            }
        })).ToArray();

        for (int k = 0; k < 2000; k++)
        {
            var (o, i) = Pair(0x101, 0x300);
            db.Install(PeerB, o, i);
            Assert.True(db.RemovePair(0x300, out _));
        }

        stop.Cancel();
        await Task.WhenAll(readers);
        Assert.Equal(0, failures);
    }
}
