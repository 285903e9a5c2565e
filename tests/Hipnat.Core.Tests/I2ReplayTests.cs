using Hipnat.Core.Association;
using Hipnat.Core.Host;
using Hipnat.Core.Transport;

namespace Hipnat.Core.Tests;

/// <summary>A valid I2 sent again (by the Initiator or by anyone who saw it) never costs the responder DH again.</summary>
public sealed class I2ReplayTests
{
    private readonly DirectNet _net = new();
    private readonly HipHost _a = new(new HipHostOptions { Identity = SimPair.IdentityA, RandomSeed = 3 });
    private readonly HipHost _b = new(new HipHostOptions { Identity = SimPair.IdentityB, RandomSeed = 4, R1Rotation = TimeSpan.FromMinutes(1) });
    private readonly TransportAddress _addrA;
    private readonly TransportAddress _addrB;
    private byte[]? _i2;

    public I2ReplayTests()
    {
        _addrA = _net.Add(_a, "198.51.100.1");
        _addrB = _net.Add(_b, "198.51.100.2");
        _net.Filter = (_, _, p) =>
        {
            if (DirectNet.PacketType(p) == 3)
            {
                _i2 ??= p;
            }

            return true;
        };
        _a.AddPeerLocator(_b.LocalHit, _addrB);
        _a.Connect(_b.LocalHit, _net.Now);
        _net.Pump();
    }

    [Fact]
    public void ReplayedI2IsAnsweredFromStateWithOneDh()
    {
        Assert.NotNull(_i2);
        Assert.Equal(AssociationState.Established, _a.GetState(_b.LocalHit));
        Assert.Equal(1, _b.Counters.I2DhComputations);
        var before = _b.GetAssociation(_a.LocalHit)!;

        var attacker = TransportAddress.Udp(System.Net.IPAddress.Parse("198.51.100.66"), 10500);
        for (int i = 0; i < 20; i++)
        {
            _net.Inject(i % 2 == 0 ? _addrA : attacker, _addrB, _i2);
        }

        // Once ESTABLISHED (after the R2-SENT hold) the copies are still answered from the cached R2.
        _net.Run(TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(250));
        for (int i = 0; i < 5; i++)
        {
            _net.Inject(attacker, _addrB, _i2);
        }

        Assert.Equal(1, _b.Counters.I2DhComputations);
        Assert.Equal(25, _b.Counters.I2Received - 1);
        var after = _b.GetAssociation(_a.LocalHit)!;
        Assert.Equal(before.SaPairs[0].InboundSpi, after.SaPairs[0].InboundSpi);
        Assert.Equal(before.SaPairs[0].OutboundSpi, after.SaPairs[0].OutboundSpi);
        Assert.Equal(1, _b.AssociationCount);
        Assert.Equal(AssociationState.Established, _b.GetState(_a.LocalHit));
    }

    [Fact]
    public void ReplayWithoutTheAssociationIsDroppedBeforeDh()
    {
        Assert.NotNull(_i2);
        _b.DropAllState(); // the association is gone (closed, expired or the table was flushed)
        for (int i = 0; i < 10; i++)
        {
            _net.Inject(_addrA, _addrB, _i2);
        }

        Assert.Equal(1, _b.Counters.I2DhComputations);
        Assert.Equal(10, _b.Counters.Dropped(DropReason.ReplayedI2));
        Assert.Equal(0, _b.AssociationCount);
    }

    [Fact]
    public void ReplayAfterRotationIsDroppedByThePuzzleCheck()
    {
        Assert.NotNull(_i2);
        _b.DropAllState();

        // One rotation: the generation is the previous one, still accepted, and remembers the solution.
        _net.Run(TimeSpan.FromSeconds(61), TimeSpan.FromSeconds(1));
        _net.Inject(_addrA, _addrB, _i2);
        Assert.Equal(1, _b.Counters.Dropped(DropReason.ReplayedI2));

        // Two rotations: the generation is gone, and with it any puzzle solved for it.
        _net.Run(TimeSpan.FromSeconds(61), TimeSpan.FromSeconds(1));
        _net.Inject(_addrA, _addrB, _i2);
        Assert.Equal(1, _b.Counters.Dropped(DropReason.StaleR1Counter));
        Assert.Equal(1, _b.Counters.I2DhComputations);
        Assert.Equal(0, _b.AssociationCount);
    }

    [Fact]
    public void ForgedPuzzlesCostNoDhAndLeaveTheDifficultyAlone()
    {
        Assert.NotNull(_i2);
        int solution = FindParameter(_i2, Wire.Parameters.ParameterType.Solution);
        int n = (((_i2[solution + 2] << 8) | _i2[solution + 3]) - 4) / 2; // RHASH_len / 8 (§5.2.5)
        for (int i = 0; i < 500; i++)
        {
            var copy = (byte[])_i2.Clone();
            copy[solution + 4 + 4 + (i % n)] ^= (byte)(1 + (i % 255)); // a byte of #I: not the one we sent
            _net.Inject(_addrA, _addrB, copy);
        }

        Assert.Equal(1, _b.Counters.I2DhComputations);
        Assert.Equal(500, _b.Counters.Dropped(DropReason.BadPuzzle));
        Assert.Equal(_b.Options.PuzzleDifficulty, _b.Counters.PuzzleDifficulty);
    }

    internal static int FindParameter(byte[] udp, ushort type)
    {
        int pos = 4 + 40;
        while (pos + 4 <= udp.Length)
        {
            int t = (udp[pos] << 8) | udp[pos + 1];
            int len = (udp[pos + 2] << 8) | udp[pos + 3];
            if (t == type)
            {
                return pos;
            }

            pos += 11 + len - ((len + 3) % 8);
        }

        throw new InvalidOperationException($"parameter {type} not found");
    }
}
