using Hipnat.Core.Association;
using Hipnat.Core.Host;
using Hipnat.Simulator;

namespace Hipnat.Core.Tests;

public class UpdateAndCloseTests
{
    private static SimPair Established(long seed = 1, LinkProfile? profile = null)
    {
        var p = new SimPair(seed, profile, id => new HipHostOptions { Identity = id, RandomSeed = (int)seed, I1RetriesMax = 12, I2RetriesMax = 12, UpdateRetriesMax = 12, PeerTimeout = TimeSpan.Zero });
        p.Connect(p.A, p.B);
        Assert.True(p.RunUntilEstablished(TimeSpan.FromSeconds(60)));
        return p;
    }

    [Fact]
    public void RekeyChangesSpisOnBothSidesConsistently()
    {
        var p = Established();
        var before = p.A.Host.GetAssociation(p.B.Host.LocalHit)!.SaPairs[0];
        bool started = false;
        p.A.Invoke((h, now) => started = h.Rekey(p.B.Host.LocalHit, now));
        Assert.True(started);
        p.Sim.RunFor(TimeSpan.FromSeconds(5));

        var a = p.A.Host.GetAssociation(p.B.Host.LocalHit)!.SaPairs[0];
        var b = p.B.Host.GetAssociation(p.A.Host.LocalHit)!.SaPairs[0];
        Assert.NotEqual(before.InboundSpi, a.InboundSpi);
        Assert.NotEqual(before.OutboundSpi, a.OutboundSpi);
        Assert.Equal(a.InboundSpi, b.OutboundSpi);
        Assert.Equal(a.OutboundSpi, b.InboundSpi);
        Assert.Equal(1, a.Generation);
        Assert.Equal(1, b.Generation);
        Assert.Contains(p.A.Events, e => e is UpdateCompleted { Rekeyed: true });
    }

    [Theory]
    [InlineData(21)]
    [InlineData(22)]
    [InlineData(23)]
    public void UpdateIsRetransmittedUnderLossAndAcknowledged(long seed)
    {
        var lossy = new LinkProfile { Delay = TimeSpan.FromMilliseconds(10), Loss = 0.3 };
        var p = Established(seed, lossy);
        p.A.Invoke((h, now) => h.Rekey(p.B.Host.LocalHit, now));
        Assert.True(p.Sim.RunUntil(() => p.A.Events.Any(e => e is UpdateCompleted), TimeSpan.FromSeconds(120)));
        p.Sim.RunFor(TimeSpan.FromSeconds(30));
        var a = p.A.Host.GetAssociation(p.B.Host.LocalHit)!.SaPairs[0];
        var b = p.B.Host.GetAssociation(p.A.Host.LocalHit)!.SaPairs[0];
        Assert.Equal(a.InboundSpi, b.OutboundSpi);
        Assert.Equal(a.OutboundSpi, b.InboundSpi);
        Assert.Equal(AssociationState.Established, p.A.Host.GetState(p.B.Host.LocalHit));
    }

    [Fact]
    public void UnansweredUpdateRetransmitsThenFails()
    {
        var p = Established();
        p.Sim.RemoveHost(p.Sim.Hosts[1]);
        long before = p.A.Host.Counters.Retransmissions;
        p.A.Invoke((h, now) => h.Rekey(p.B.Host.LocalHit, now));
        p.Sim.RunFor(TimeSpan.FromMinutes(3));
        Assert.Equal(12, p.A.Host.Counters.Retransmissions - before);
        Assert.Contains(p.A.Events, e => e is AssociationFailed f && f.Reason.Contains("UPDATE", StringComparison.Ordinal));
    }

    [Fact]
    public void ParallelSaPairWithOldSpiZero()
    {
        var p = Established();
        p.A.Invoke((h, now) => h.AddSaPair(p.B.Host.LocalHit, now));
        p.Sim.RunFor(TimeSpan.FromSeconds(5));
        var a = p.A.Host.GetAssociation(p.B.Host.LocalHit)!;
        var b = p.B.Host.GetAssociation(p.A.Host.LocalHit)!;
        Assert.Equal(2, a.SaPairs.Count);
        Assert.Equal(2, b.SaPairs.Count);
        Assert.Equal(a.SaPairs[1].InboundSpi, b.SaPairs[1].OutboundSpi);
        Assert.Equal(a.SaPairs[1].OutboundSpi, b.SaPairs[1].InboundSpi);
    }

    [Fact]
    public void CloseTearsDownBothSides()
    {
        var p = Established();
        p.A.Invoke((h, now) => h.Close(p.B.Host.LocalHit, now));
        p.Sim.RunFor(TimeSpan.FromSeconds(2));
        Assert.Equal(AssociationState.Unassociated, p.A.Host.GetState(p.B.Host.LocalHit));
        Assert.Equal(AssociationState.Closed, p.B.Host.GetState(p.A.Host.LocalHit));
        Assert.Contains(p.B.Events, e => e is AssociationClosed { ByPeer: true });
        p.Sim.RunFor(TimeSpan.FromMinutes(1));
        Assert.Equal(AssociationState.Unassociated, p.B.Host.GetState(p.A.Host.LocalHit));

        // A new base exchange works after the close.
        p.Connect(p.A, p.B);
        Assert.True(p.RunUntilEstablished(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void ResponderMovesFromR2SentToEstablishedOnUpdate()
    {
        var p = new SimPair(1, null, id => new HipHostOptions { Identity = id, R2SentHold = TimeSpan.FromMinutes(10) });
        p.Connect(p.A, p.B);
        p.Sim.RunUntil(() => p.A.Host.GetState(p.B.Host.LocalHit) == AssociationState.Established, TimeSpan.FromSeconds(5));
        Assert.Equal(AssociationState.R2Sent, p.B.Host.GetState(p.A.Host.LocalHit));
        p.A.Invoke((h, now) => h.AnnounceLocators(p.B.Host.LocalHit, [Transport.TransportAddress.Udp(p.AddrA, 10500)], now));
        p.Sim.RunFor(TimeSpan.FromSeconds(1));
        Assert.Equal(AssociationState.Established, p.B.Host.GetState(p.A.Host.LocalHit));
    }
}

public class R1GenerationTests
{
    [Fact]
    public void SolutionOfThePreviousGenerationIsAcceptedButNotOlder()
    {
        // 0.75 s per link, 1.5 s one way: the R1 is made when the I1 arrives (t=1.5 s), the I2 arrives at t=4.5 s.
        var slow = Simulator.LinkProfile.WithDelay(TimeSpan.FromSeconds(0.75));

        // Rotation every 2 s: one rotation (t=3.5 s) lies in between; the previous generation is still accepted.
        var p = new SimPair(1, slow, id => new HipHostOptions { Identity = id, R1Rotation = TimeSpan.FromSeconds(2), RetransmitInitial = TimeSpan.FromSeconds(30) });
        p.Connect(p.A, p.B);
        Assert.True(p.RunUntilEstablished(TimeSpan.FromSeconds(20)));
        Assert.Equal(0, p.B.Host.Counters.Dropped(Host.DropReason.StaleR1Counter));

        // Rotation every 0.5 s: several rotations lie in between; the I2 is stale and dropped without state.
        var p2 = new SimPair(1, slow, id => new HipHostOptions { Identity = id, R1Rotation = TimeSpan.FromSeconds(0.5), I2RetriesMax = 0, RetransmitInitial = TimeSpan.FromSeconds(30) });
        p2.Connect(p2.A, p2.B);
        p2.Sim.RunFor(TimeSpan.FromSeconds(10));
        Assert.Equal(0, p2.B.Host.AssociationCount);
        Assert.Equal(1, p2.B.Host.Counters.Dropped(Host.DropReason.StaleR1Counter));
    }
}

public class EspKeyTests
{
    [Fact]
    public void BothEndsDeriveMatchingEspKeysAndRekeyDrawsFreshOnes()
    {
        var p = new SimPair();
        p.Connect(p.A, p.B);
        Assert.True(p.RunUntilEstablished(TimeSpan.FromSeconds(5)));
        var atA = p.A.Events.OfType<EspSaReady>().Single().Sa;
        var atB = p.B.Events.OfType<EspSaReady>().Single().Sa;

        // AES-128-GCM: 16-octet key + 4-octet salt per direction; A's outbound is B's inbound.
        Assert.Equal(20, atA.OutboundEncryptionKey.Length);
        Assert.Equal(atA.OutboundEncryptionKey, atB.InboundEncryptionKey);
        Assert.Equal(atA.InboundEncryptionKey, atB.OutboundEncryptionKey);
        Assert.NotEqual(atA.OutboundEncryptionKey, atA.InboundEncryptionKey);
        var before = atA.OutboundEncryptionKey;
        int indexBefore = atA.KeymatIndex;

        p.A.Invoke((h, now) => h.Rekey(p.B.Host.LocalHit, now));
        p.Sim.RunFor(TimeSpan.FromSeconds(2));
        var rekA = p.A.Events.OfType<EspSaReady>().Last();
        var rekB = p.B.Events.OfType<EspSaReady>().Last();
        Assert.NotNull(rekA.Replaces);
        Assert.Equal(rekA.Sa.OutboundEncryptionKey, rekB.Sa.InboundEncryptionKey);
        Assert.Equal(rekA.Sa.InboundEncryptionKey, rekB.Sa.OutboundEncryptionKey);
        Assert.NotEqual(before, rekA.Sa.OutboundEncryptionKey);
        Assert.True(rekA.Sa.KeymatIndex > indexBefore);
    }

    [Fact]
    public void CbcSuiteDrawsEncryptionAndIntegrityKeys()
    {
        var p = new SimPair(2, null, id => new HipHostOptions { Identity = id, EspSuites = [8] });
        p.Connect(p.A, p.B);
        Assert.True(p.RunUntilEstablished(TimeSpan.FromSeconds(5)));
        var a = p.A.Events.OfType<EspSaReady>().Single().Sa;
        var b = p.B.Events.OfType<EspSaReady>().Single().Sa;
        Assert.Equal(16, a.OutboundEncryptionKey.Length);
        Assert.Equal(32, a.OutboundIntegrityKey.Length);
        Assert.Equal(a.OutboundIntegrityKey, b.InboundIntegrityKey);
    }
}
