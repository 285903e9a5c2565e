using System.Net;
using Hipnat.Core.Host;
using Hipnat.Core.Registration;
using Hipnat.Core.Transport;
using Hipnat.Crypto;
using Hipnat.Wire.Parameters;

namespace Hipnat.Core.Tests;

/// <summary>
/// The lab's I2 flood (bench/Hipnat.Bench/FloodBench.cs) in virtual time: I1s with random Initiator HITs, an I2
/// built on a captured R1 with a random #J each (one in 2^#K passes the puzzle and costs DH before HIP_MAC fails),
/// and that I2 unchanged. Two raises of #K must retire the captured generation, whether or not the responder answers
/// any I1 itself during the flood: a registrar's flood I1s go to a client's HIT and are forwarded (RFC 8004 §3.2),
/// so it sends no R1 of its own.
/// </summary>
public sealed class PuzzleFloodTests
{
    private static readonly Lazy<HostIdentity> AttackerId = new(() => HostIdentity.Generate(HostIdentityKind.EcdsaP256));

    public enum Victim
    {
        /// <summary>A plain host; the flood's I1s are for it and it answers them with R1s.</summary>
        Host,

        /// <summary>A plain host flooded with I2s only.</summary>
        HostI2Only,

        /// <summary>A registrar; the flood's I1s are for a registered client (forwarded or rate-limited).</summary>
        Registrar,
    }

    [Theory]
    [InlineData(Victim.Host)]
    [InlineData(Victim.HostI2Only)]
    [InlineData(Victim.Registrar)]
    public void TwoRaisesRetireTheCapturedGeneration(Victim kind)
    {
        var net = new DirectNet();
        var victim = new HipHost(new HipHostOptions
        {
            Identity = SimPair.IdentityB,
            RandomSeed = 4,
            Registrar = kind == Victim.Registrar
                ? new RegistrarOptions { AllowAnyone = true, Services = [RegistrationType.RelayUdpHip] }
                : null,
        });
        var atVictim = net.Add(victim, "198.51.100.2");

        var i1Target = victim.LocalHit;
        if (kind == Victim.Registrar)
        {
            var client = new HipHost(new HipHostOptions { Identity = SimPair.IdentityA, RandomSeed = 3 });
            net.Add(client, "198.51.100.3");
            client.AddPeerLocator(victim.LocalHit, atVictim);
            client.Register(victim.LocalHit, [RegistrationType.RelayUdpHip], TimeSpan.FromMinutes(10), net.Now);
            net.Pump();
            Assert.NotNull(victim.GetRegisteredClient(client.LocalHit));
            i1Target = client.LocalHit;
        }

        // The attacker runs I1 -> R1 once from its own address and keeps the I2 (never delivered).
        var attacker = new HipHost(new HipHostOptions { Identity = AttackerId.Value, RandomSeed = 9 });
        var atAttacker = net.Add(attacker, "198.51.100.66");
        byte[]? i1 = null, i2 = null;
        net.Filter = (_, _, p) =>
        {
            switch (DirectNet.PacketType(p))
            {
                case 1: i1 ??= p; return true;
                case 3: i2 ??= p; return false;
                default: return true;
            }
        };
        attacker.AddPeerLocator(victim.LocalHit, atVictim);
        attacker.Connect(victim.LocalHit, net.Now);
        net.Pump();
        net.Filter = null;
        Assert.NotNull(i1);
        Assert.NotNull(i2);
        int solution = I2ReplayTests.FindParameter(i2, ParameterType.Solution);
        Assert.Equal(victim.Options.PuzzleDifficulty, i2[solution + 4]);
        int n = (((i2[solution + 2] << 8) | i2[solution + 3]) - 4) / 2; // RHASH_len / 8 (§5.2.5)
        int j = solution + 4 + 4 + n;

        // 4 s of flood from spoofed sources, 3 packets per millisecond.
        var rng = new Random(17);
        var spoofed = TransportAddress.Udp(IPAddress.Parse("192.0.2.77"), 40000);
        long dhAfterTwoSeconds = 0;
        for (int ms = 1; ms <= 4000; ms++)
        {
            net.Run(TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(1));
            if (kind != Victim.HostI2Only)
            {
                var flood1 = (byte[])i1.Clone();
                rng.NextBytes(flood1.AsSpan(4 + 8 + 4, 12)); // Initiator HIT: ORCHID prefix kept, the rest random
                i1Target.WriteTo(flood1.AsSpan(4 + 24));
                net.Inject(spoofed, atVictim, flood1);
            }

            var flood2 = (byte[])i2.Clone();
            rng.NextBytes(flood2.AsSpan(j, n));
            net.Inject(spoofed, atVictim, flood2);
            net.Inject(spoofed, atVictim, i2);
            if (ms == 2000)
            {
                dhAfterTwoSeconds = victim.Counters.I2DhComputations;
            }
        }

        // The first raise (within the first window) starts a new generation, the second (a window later) retires
        // the captured one: from then on each flood I2 with a random #J costs one lookup and no hash. (The unchanged
        // I2 cost one DH and set up an association; its copies are answered from the cached R2.)
        Assert.True(victim.Counters.PuzzleRaises >= 2, $"{victim.Counters.PuzzleRaises} raises");
        Assert.True(victim.Counters.Dropped(DropReason.StaleR1Counter) > 2500,
            string.Join(", ", Enum.GetValues<DropReason>().Where(r => victim.Counters.Dropped(r) > 0).Select(r => $"{r} {victim.Counters.Dropped(r)}"))
            + $"; DH {victim.Counters.I2DhComputations}, #K {victim.Counters.PuzzleDifficulty}, I2s {victim.Counters.I2Received}");
        Assert.Equal(dhAfterTwoSeconds, victim.Counters.I2DhComputations);
        Assert.InRange(victim.Counters.PuzzleDifficulty, 1, 5);
    }
}
