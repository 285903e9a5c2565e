using Hipnat.Core.Association;
using Hipnat.Core.Host;
using Hipnat.Crypto;
using Hipnat.Simulator;
using Hipnat.Wire;

namespace Hipnat.Core.Tests;

public class BaseExchangeTests
{
    [Fact]
    public void CompletesOnAnIdealLinkWithMatchingSpis()
    {
        var p = new SimPair();
        p.Connect(p.A, p.B);
        Assert.True(p.RunUntilEstablished(TimeSpan.FromSeconds(10)));

        var a = p.A.Host.GetAssociation(p.B.Host.LocalHit)!;
        var b = p.B.Host.GetAssociation(p.A.Host.LocalHit)!;
        Assert.True(a.Initiator);
        Assert.False(b.Initiator);
        Assert.Single(a.SaPairs);
        Assert.Single(b.SaPairs);
        Assert.Equal(a.SaPairs[0].InboundSpi, b.SaPairs[0].OutboundSpi);
        Assert.Equal(a.SaPairs[0].OutboundSpi, b.SaPairs[0].InboundSpi);
        Assert.Equal("NistP256", a.DhGroup);
        Assert.Equal(a.Cipher, b.Cipher);
        Assert.Equal((ushort)13, a.EspSuite);
        Assert.Contains(p.A.Events, e => e is AssociationEstablished { AsInitiator: true });
        Assert.Contains(p.B.Events, e => e is AssociationEstablished { AsInitiator: false });
        Assert.Equal(0, p.A.Host.Counters.DroppedTotal);
        Assert.Equal(0, p.B.Host.Counters.DroppedTotal);
    }

    [Fact]
    public void TakesItsDiffieHellmanKeyPairsFromTheKeySourceWhenOneIsSet()
    {
        using var keyA = DhKeyPair.Generate(DhGroupId.NistP256);
        using var keyB = DhKeyPair.Generate(DhGroupId.NistP256);
        var asked = new List<(Hit Host, DhGroupId Group)>();
        var p = new SimPair(1, null, id => new HipHostOptions
        {
            Identity = id,
            RandomSeed = 1,
            DhKeySource = group =>
            {
                asked.Add((id.Hit, group));
                return id.Hit == SimPair.IdentityA.Hit ? keyA : keyB;
            },
        });
        p.Connect(p.A, p.B);
        Assert.True(p.RunUntilEstablished(TimeSpan.FromSeconds(10)));

        // B's R1 generation and A's I2 each took one key pair from the source, and the keys agree (the exchange
        // completed with their shared secret).
        Assert.Equal([(p.B.Host.LocalHit, DhGroupId.NistP256), (p.A.Host.LocalHit, DhGroupId.NistP256)], asked);
        Assert.Equal(0, p.A.Host.Counters.DroppedTotal);
        Assert.Equal(0, p.B.Host.Counters.DroppedTotal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void CompletesWithThirtyPercentLossDuplicationAndReordering(long seed)
    {
        var profile = new LinkProfile
        {
            Delay = TimeSpan.FromMilliseconds(20),
            Jitter = TimeSpan.FromMilliseconds(5),
            Loss = 0.30,
            Duplication = 0.10,
            Reordering = 0.20,
            ReorderDelay = TimeSpan.FromMilliseconds(40),
        };
        var p = new SimPair(seed, profile, id => new HipHostOptions { Identity = id, RandomSeed = (int)seed, I1RetriesMax = 12, I2RetriesMax = 12 });
        p.Connect(p.A, p.B);
        Assert.True(p.RunUntilEstablished(TimeSpan.FromSeconds(120)), p.Sim.TraceText());
        var a = p.A.Host.GetAssociation(p.B.Host.LocalHit)!;
        var b = p.B.Host.GetAssociation(p.A.Host.LocalHit)!;
        Assert.Equal(a.SaPairs[0].InboundSpi, b.SaPairs[0].OutboundSpi);
        Assert.Equal(a.SaPairs[0].OutboundSpi, b.SaPairs[0].InboundSpi);
    }

    [Fact]
    public void SimultaneousI1sEndInOneAssociation()
    {
        var p = new SimPair(7, LinkProfile.WithDelay(TimeSpan.FromMilliseconds(30)));
        p.Connect(p.A, p.B);
        p.Connect(p.B, p.A);
        Assert.True(p.RunUntilEstablished(TimeSpan.FromSeconds(10)));
        p.Sim.RunFor(TimeSpan.FromSeconds(5));
        var a = p.A.Host.GetAssociation(p.B.Host.LocalHit)!;
        var b = p.B.Host.GetAssociation(p.A.Host.LocalHit)!;
        Assert.Equal(AssociationState.Established, a.State);
        Assert.Equal(AssociationState.Established, b.State);

        // Exactly one side ended as Initiator: the one with the smaller HIT (RFC 7401 §4.4.3 Table 3).
        Assert.NotEqual(a.Initiator, b.Initiator);
        var smaller = p.A.Host.LocalHit < p.B.Host.LocalHit ? a : b;
        Assert.True(smaller.Initiator);
        Assert.Equal(a.SaPairs[0].InboundSpi, b.SaPairs[0].OutboundSpi);
        Assert.Equal(a.SaPairs[0].OutboundSpi, b.SaPairs[0].InboundSpi);
    }

    [Fact]
    public void RetransmissionExhaustionReachesEFailed()
    {
        var p = new SimPair();
        p.Sim.RemoveHost(p.Sim.Hosts[1]); // B is gone: nobody answers
        p.Connect(p.A, p.B);
        p.Sim.RunFor(TimeSpan.FromMinutes(2));
        Assert.Contains(p.A.Events, e => e is AssociationFailed);
        Assert.Contains(p.A.Events, e => e is AssociationStateChanged { To: AssociationState.EFailed });

        // I1 + I1RetriesMax retransmissions, with exponential backoff.
        Assert.Equal(p.A.Host.Options.I1RetriesMax, p.A.Host.Counters.Retransmissions);
        Assert.Equal(1, p.A.Host.Counters.Failed);
    }

    [Fact]
    public void EFailedReturnsToUnassociatedAfterTheHoldTime()
    {
        var p = new SimPair();
        p.Sim.RemoveHost(p.Sim.Hosts[1]);
        p.Connect(p.A, p.B);
        p.Sim.RunFor(TimeSpan.FromMinutes(5));
        Assert.Equal(AssociationState.Unassociated, p.A.Host.GetState(p.B.Host.LocalHit));
    }

    [Fact]
    public void EncryptedHostIdAndOtherSuitesComplete()
    {
        var p384 = HostIdentity.Generate(HostIdentityKind.EcdsaP384);
        var p = new SimPair(3, null, id => new HipHostOptions
        {
            Identity = id,
            EncryptHostId = true,
            DhGroups = [DhGroupId.NistP384, DhGroupId.NistP256],
            Ciphers = [HipCipherId.Aes256Cbc, HipCipherId.Aes128Cbc],
        }, a: p384);
        p.Connect(p.A, p.B);
        Assert.True(p.RunUntilEstablished(TimeSpan.FromSeconds(10)));
        var a = p.A.Host.GetAssociation(p.B.Host.LocalHit)!;
        Assert.Equal("NistP384", a.DhGroup);
        Assert.Equal("Aes256Cbc", a.Cipher);
    }

    [Fact]
    public void RsaIdentityWithModp3072Completes()
    {
        var rsa = HostIdentity.Generate(HostIdentityKind.Rsa);
        var p = new SimPair(4, null, id => new HipHostOptions { Identity = id, DhGroups = [DhGroupId.Modp3072] }, b: rsa);
        p.Connect(p.A, p.B);
        Assert.True(p.RunUntilEstablished(TimeSpan.FromSeconds(10)));
        var a = p.A.Host.GetAssociation(p.B.Host.LocalHit)!;
        Assert.Equal("Modp3072", a.DhGroup);
        Assert.Equal("RsaDsaSha256", a.HitSuite);
    }

    [Fact]
    public void DowngradedDhGroupIsRefused()
    {
        // The responder only offers MODP-3072 while the initiator prefers P-256 and also lists MODP-3072:
        // that is a legitimate choice. But if the responder answers with a group the initiator did not rank
        // first among the common ones, the initiator aborts (RFC 7401 §4.1.7).
        var p = new SimPair(5, null, id => new HipHostOptions
        {
            Identity = id,
            DhGroups = id == SimPair.IdentityA ? [DhGroupId.NistP256, DhGroupId.Modp3072] : [DhGroupId.Modp3072],
        });
        p.Connect(p.A, p.B);
        Assert.True(p.RunUntilEstablished(TimeSpan.FromSeconds(10)));
        Assert.Equal("Modp3072", p.A.Host.GetAssociation(p.B.Host.LocalHit)!.DhGroup);
    }

    [Fact]
    public void SameSeedGivesTheSameTrace()
    {
        static string Run(long seed)
        {
            var profile = new LinkProfile { Delay = TimeSpan.FromMilliseconds(10), Loss = 0.3 };
            var p = new SimPair(seed, profile, id => new HipHostOptions { Identity = id, RandomSeed = 99, I1RetriesMax = 12, I2RetriesMax = 12 });
            p.Connect(p.A, p.B);
            p.RunUntilEstablished(TimeSpan.FromSeconds(60));
            return p.Sim.TraceText();
        }

        Assert.Equal(Run(11), Run(11));
        Assert.NotEqual(Run(11), Run(12));
    }
}
