using System.Buffers.Binary;
using Hipnat.DataPlane.Esp;
using Hipnat.Runtime.DataPlane;

namespace Hipnat.Runtime.Tests;

/// <summary>
/// Forged and replayed ESP against an established association (the HIP part of issue 11, item 5 lives in
/// Hipnat.Core.Tests' ForgedPacketTests): an on-path attacker knows the SPIs and sees every packet but has no SA
/// key. Each packet must leave the inbound SA (highest sequence number, replay window, packet count), the peer's
/// HIP association and the local stack untouched, and be counted under its own data plane drop reason
/// (RFC 4303 §3.4.2-3.4.4).
/// </summary>
public sealed class ForgedEspTests
{
    [Fact]
    public void EspWithAWrongIcvIsCountedAndLeavesTheWindowAlone()
    {
        using var pair = Connected(out var sent);
        var b = pair.B;
        var good = Send(pair, 1)[0];
        var before = State(pair);

        // The attacker takes a packet it saw, gives it the next sequence number (which the ICV covers), and also
        // one far ahead (which must not move the window).
        var next = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt32BigEndian(next.AsSpan(4), BinaryPrimitives.ReadUInt32BigEndian(good.AsSpan(4)) + 1);
        var ahead = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt32BigEndian(ahead.AsSpan(4), 1_000_000);
        Assert.True(b.Engine.TryReceive(next));
        Assert.True(b.Engine.TryReceive(ahead));

        Assert.Equal(before, State(pair));
        Assert.Equal("IntegrityCheckFailed=2", Drops(b.Engine));
        Assert.Equal(2, AllDrops(b.Engine));
        Assert.Equal(sent + 1, b.Received.Count);

        // The next genuine packet (the sequence number the forgery borrowed) is still accepted: the window did not
        // move to 1,000,000.
        Send(pair, 1);
        Assert.Equal(sent + 2, b.Received.Count);
        Assert.Equal(2, AllDrops(b.Engine));
    }

    [Fact]
    public void ReplayedEspInsideTheWindowIsCountedAsReplayed()
    {
        using var pair = Connected(out var sent);
        var b = pair.B;
        var packets = Send(pair, 10);
        var before = State(pair);

        foreach (var p in packets[..5])
        {
            Assert.True(b.Engine.TryReceive(p));
        }

        Assert.Equal(before, State(pair));
        Assert.Equal(5, b.Engine.Dropped(DataPlaneDrop.Replayed));
        Assert.Equal(5, AllDrops(b.Engine));
        Assert.Equal(sent + 10, b.Received.Count);
    }

    /// <summary>hipnat's SAs use extended sequence numbers: a 32-bit number left of the window is read as the next
    /// subspace (RFC 4303 Appendix A2.2), so the replay fails the ICV and is counted as IntegrityCheckFailed (an SA
    /// without ESN counts TooOld, EspSaTests). Either way the window does not move.</summary>
    [Fact]
    public void ReplayedEspLeftOfTheWindowFailsTheIcv()
    {
        using var pair = Connected(out var sent, windowSize: ReplayWindow.MinimumSize);
        var b = pair.B;
        var packets = Send(pair, ReplayWindow.MinimumSize + 10);
        var before = State(pair);

        // The first ten are now left of a 64-packet window (RFC 4303 §3.4.3).
        foreach (var p in packets[..10])
        {
            Assert.True(b.Engine.TryReceive(p));
        }

        Assert.Equal(before, State(pair));
        Assert.True(b.Engine.Sad.GetPairs(pair.A.Hit).Single().Inbound.ExtendedSequenceNumbers);
        Assert.Equal("IntegrityCheckFailed=10", Drops(b.Engine));
        Assert.Equal(10, AllDrops(b.Engine));
        Assert.Equal(sent + ReplayWindow.MinimumSize + 10, b.Received.Count);
    }

    [Fact]
    public void EspWithAnUnknownSpiIsHeldBrieflyThenCountedAsUnknownSpi()
    {
        using var pair = Connected(out var sent);
        var b = pair.B;
        var good = Send(pair, 1)[0];
        var before = State(pair);

        // An SPI no SA has (B's outbound SPI, which only A receives on, and a random one).
        var reflected = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt32BigEndian(reflected, b.Engine.Sad.GetPairs(pair.A.Hit).Single().Outbound.Spi);
        var random = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt32BigEndian(random, 0x0BAD_0BAD);
        Assert.True(b.Engine.TryReceive(reflected));
        Assert.True(b.Engine.TryReceive(random));
        pair.Advance(TimeSpan.FromSeconds(1)); // past the hold for an SA about to be installed (0.5 s)
        pair.Tick();

        Assert.Equal(before, State(pair));
        Assert.Equal(2, b.Engine.Dropped(DataPlaneDrop.UnknownSpi));
        Assert.Equal(2, AllDrops(b.Engine));
        Assert.Equal(sent + 1, b.Received.Count);
    }

    private static DataPlaneTestPair Connected(out int received, int windowSize = ReplayWindow.DefaultSize)
    {
        var pair = new DataPlaneTestPair(options: o => o with { ReplayWindowSize = windowSize });
        pair.Connect();
        pair.A.RecordEsp = true;
        received = pair.B.Received.Count;
        return pair;
    }

    /// <summary>A sends <paramref name="count"/> packets to B, delivered; returns them as they were on the wire.</summary>
    private static byte[][] Send(DataPlaneTestPair pair, int count)
    {
        var (a, b) = (pair.A, pair.B);
        a.SentEsp.Clear();
        for (int i = 0; i < count; i++)
        {
            a.Send(DataPlanePackets.Udp6(a.Hit, b.Hit, 4000, 5000, new byte[64]));
        }

        pair.DeliverEsp();
        return [.. a.SentEsp];
    }

    /// <summary>B's inbound SA (highest sequence number, packets, bytes) and its HIP association with A.</summary>
    private static string State(DataPlaneTestPair pair)
    {
        var b = pair.B;
        var sa = b.Engine.Sad.GetPairs(pair.A.Hit).Single();
        var info = b.Host.GetAssociation(pair.A.Hit)!;
        return $"in 0x{sa.Inbound.Spi:x8} seq {sa.Inbound.SequenceNumber} packets {sa.Inbound.Packets} bytes {sa.Inbound.Bytes}; "
            + $"out 0x{sa.Outbound.Spi:x8} seq {sa.Outbound.SequenceNumber}; {info.State} {info.PeerAddress} "
            + string.Join(',', info.SaPairs.Select(s => $"{s.InboundSpi:x8}/{s.OutboundSpi:x8}/{s.Generation}"))
            + $"; received {b.Received.Count}; core out {b.Host.Counters.PacketsOut}";
    }

    private static long AllDrops(DataPlaneEngine engine) => Enum.GetValues<DataPlaneDrop>().Sum(engine.Dropped);

    private static string Drops(DataPlaneEngine engine) =>
        string.Join(' ', Enum.GetValues<DataPlaneDrop>().Where(r => engine.Dropped(r) != 0).Select(r => $"{r}={engine.Dropped(r)}"));
}
