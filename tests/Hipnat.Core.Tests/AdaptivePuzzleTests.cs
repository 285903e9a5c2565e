using Hipnat.Core.Association;
using Hipnat.Core.Host;
using Hipnat.Crypto;
using Hipnat.Wire.Packets;
using Hipnat.Wire.Parameters;

namespace Hipnat.Core.Tests;

/// <summary>The responder raises #K while I2s reach DH faster than its threshold and lowers it back once calm.</summary>
public sealed class AdaptivePuzzleTests
{
    private static readonly Lazy<HostIdentity[]> Initiators = new(() =>
        Enumerable.Range(0, 41).Select(_ => HostIdentity.Generate(HostIdentityKind.EcdsaP256)).ToArray());

    [Fact]
    public void BurstOfExchangesRaisesKAndCalmLowersItToTheFloor()
    {
        var net = new DirectNet();
        var responder = new HipHost(new HipHostOptions
        {
            Identity = SimPair.IdentityB,
            RandomSeed = 7,
            PuzzleDifficulty = 1,
            PuzzleDifficultyCeiling = 9,
            PuzzleLoadThreshold = 8,
            PuzzleLoadWindow = TimeSpan.FromSeconds(1),
            PuzzleCalmInterval = TimeSpan.FromSeconds(2),
        });
        var at = net.Add(responder, "198.51.100.2");
        var kInR1 = new Dictionary<Wire.Hit, int>();
        net.Filter = (_, _, p) =>
        {
            if (DirectNet.PacketType(p) == 2 && HipPacket.TryParse(p.AsSpan(4), out var r1) == Wire.WireError.None
                && r1.TryGet<PuzzleParameter>(out var puzzle))
            {
                kInR1[r1.Header.ReceiverHit] = puzzle.K;
            }

            return true;
        };

        var ids = Initiators.Value;
        var hosts = new List<HipHost>();
        void Connect(int from, int count)
        {
            for (int i = from; i < from + count; i++)
            {
                var h = new HipHost(new HipHostOptions { Identity = ids[i], RandomSeed = 100 + i });
                net.Add(h, $"198.51.100.{10 + i}");
                h.AddPeerLocator(responder.LocalHit, at);
                h.Connect(responder.LocalHit, net.Now);
                hosts.Add(h);
            }

            net.Pump();
        }

        // A burst of 20 exchanges at once: over the threshold of 8 per second, #K rises one step.
        Connect(0, 20);
        Assert.Equal(20, responder.Counters.I2DhComputations);
        Assert.Equal(1 + PuzzleGovernor.RaiseStep, responder.Counters.PuzzleDifficulty);
        Assert.Equal(1, responder.Counters.PuzzleRaises);

        // The burst goes on a second later: these Initiators solve the higher #K, and #K rises again.
        net.Run(TimeSpan.FromSeconds(1.2), TimeSpan.FromMilliseconds(100));
        Connect(20, 20);
        Assert.All(hosts.Skip(20), h => Assert.Equal(3, kInR1[h.LocalHit]));
        Assert.Equal(1 + (2 * PuzzleGovernor.RaiseStep), responder.Counters.PuzzleDifficulty);

        // A legitimate Initiator arriving under load gets the raised #K, solves it and completes.
        net.Run(TimeSpan.FromSeconds(0.3), TimeSpan.FromMilliseconds(100));
        Connect(40, 1);
        Assert.Equal(5, kInR1[hosts[40].LocalHit]);
        Assert.Equal(AssociationState.Established, hosts[40].GetState(responder.LocalHit));
        Assert.All(hosts, h => Assert.Equal(AssociationState.Established, h.GetState(responder.LocalHit)));
        Assert.Equal(41, responder.AssociationCount);

        // Calm: one bit per 2 s, driven by the responder's own timer, back to the configured floor and no lower.
        net.Run(TimeSpan.FromSeconds(3.5), TimeSpan.FromMilliseconds(100));
        Assert.InRange(responder.Counters.PuzzleDifficulty, 2, 4);
        net.Run(TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(100));
        Assert.Equal(1, responder.Counters.PuzzleDifficulty);
        Assert.Equal(0, responder.Counters.I2WorkInWindow);
        Assert.Equal(2, responder.Counters.PuzzleRaises);

        // New R1s carry the floor again.
        var late = new HipHost(new HipHostOptions { Identity = SimPair.IdentityA, RandomSeed = 5 });
        net.Add(late, "198.51.100.200");
        late.AddPeerLocator(responder.LocalHit, at);
        late.Connect(responder.LocalHit, net.Now);
        net.Pump();
        Assert.Equal(1, kInR1[late.LocalHit]);
        Assert.Equal(AssociationState.Established, late.GetState(responder.LocalHit));
    }

    [Fact]
    public void SolutionClaimingALowerKThanTheR1IsRejected()
    {
        var net = new DirectNet();
        var a = new HipHost(new HipHostOptions { Identity = SimPair.IdentityA, RandomSeed = 3 });
        var b = new HipHost(new HipHostOptions { Identity = SimPair.IdentityB, RandomSeed = 4, PuzzleDifficulty = 6 });
        var atA = net.Add(a, "198.51.100.1");
        var atB = net.Add(b, "198.51.100.2");
        byte[]? i2 = null;
        net.Filter = (_, _, p) =>
        {
            if (DirectNet.PacketType(p) != 3)
            {
                return true;
            }

            i2 = p;
            return false;
        };
        a.AddPeerLocator(b.LocalHit, atB);
        a.Connect(b.LocalHit, net.Now);
        net.Pump();
        Assert.NotNull(i2);

        // SOLUTION #K lowered to 0 (which any #J meets): below the #K of the generation's R1s.
        int solution = I2ReplayTests.FindParameter(i2, ParameterType.Solution);
        Assert.Equal(6, i2[solution + 4]);
        var cheap = (byte[])i2.Clone();
        cheap[solution + 4] = 0;
        net.Filter = null;
        net.Inject(atA, atB, cheap);
        Assert.Equal(1, b.Counters.Dropped(DropReason.BadPuzzle));
        Assert.Equal(0, b.Counters.I2DhComputations);

        net.Inject(atA, atB, i2);
        Assert.Equal(1, b.Counters.I2DhComputations);
        Assert.Equal(1, b.AssociationCount);
    }

    [Fact]
    public void CeilingIsClampedAndKStartsAtTheFloor()
    {
        var governor = new PuzzleGovernor(new HipHostOptions { Identity = SimPair.IdentityB, PuzzleDifficulty = 4, PuzzleDifficultyCeiling = 60 });
        Assert.Equal(4, governor.K);
        Assert.Equal(PuzzleGovernor.HardCeiling, governor.Ceiling);
        Assert.Equal(TimeSpan.MaxValue, governor.NextDue);
    }
}
