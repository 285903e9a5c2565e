using Hipnat.Core.Association;
using Hipnat.Core.Host;
using Hipnat.Core.Transport;
using Hipnat.Crypto;
using Hipnat.Crypto.Tests;
using Hipnat.Wire;
using Hipnat.Wire.Packets;
using Hipnat.Wire.Parameters;
using DropReason = Hipnat.Core.Host.DropReason;

namespace Hipnat.Core.Tests;

/// <summary>
/// The HOST_ID parameters hipnat puts in R1 and I2 for fixed ECDSA keys are the octets computed outside .NET
/// (<see cref="EcdsaKnownAnswers"/>): ECC Curve | 0x04 | x | y (RFC 7401 §5.2.9), and each side knows the other by
/// the HIT of those octets (§3.2).
/// </summary>
public class EcdsaHostIdWireTests
{
    private static readonly Lazy<HostIdentity> P256 = new(() => HostIdentity.ImportPem(EcdsaKnownAnswers.P256Pem));
    private static readonly Lazy<HostIdentity> P384 = new(() => HostIdentity.ImportPem(EcdsaKnownAnswers.P384Pem));

    [Fact]
    public void R1AndI2CarryTheUncompressedPointAndTheBaseExchangeCompletes()
    {
        var p = new SimPair(5, a: P256.Value, b: P384.Value);
        byte[]? r1HostId = null;
        byte[]? i2HostId = null;
        p.B.SendFilter = (_, _, _, payload) =>
        {
            r1HostId ??= HostIdTlv(payload, HipPacketType.R1);
            return false;
        };
        p.A.SendFilter = (_, _, _, payload) =>
        {
            i2HostId ??= HostIdTlv(payload, HipPacketType.I2);
            return false;
        };

        p.Connect(p.A, p.B);
        Assert.True(p.RunUntilEstablished(TimeSpan.FromSeconds(10)), p.Sim.TraceText());

        Assert.Equal(Convert.FromHexString(EcdsaKnownAnswers.P384HostIdParameter), r1HostId);
        Assert.Equal(Convert.FromHexString(EcdsaKnownAnswers.P256HostIdParameter), i2HostId);
        Assert.Equal(Hit.Parse(EcdsaKnownAnswers.P256Hit), p.A.Host.LocalHit);
        Assert.Equal(Hit.Parse(EcdsaKnownAnswers.P384Hit), p.B.Host.LocalHit);
        Assert.Equal(AssociationState.Established, p.B.Host.GetState(Hit.Parse(EcdsaKnownAnswers.P256Hit)));
    }

    [Fact]
    public void AnI1ForTheHitFromBeforeTheEncodingChangeSaysWhichHitTheSenderNeeds()
    {
        var p = new SimPair(6, a: P384.Value, b: P256.Value);
        var log = new List<string>();
        p.B.Host.DebugLog = log.Add;
        var oldHit = Hit.Parse(EcdsaKnownAnswers.P256HitBefore);
        p.A.Host.AddPeerLocator(oldHit, TransportAddress.Udp(p.AddrB, TransportAddress.DefaultHipPort));
        p.A.Invoke((h, now) => h.Connect(oldHit, now));
        p.Sim.RunFor(TimeSpan.FromSeconds(1));

        Assert.True(p.B.Host.Counters.Dropped(DropReason.NotForUs) >= 1);
        Assert.Contains(log, l => l.Contains($"receiver HIT {oldHit} is this host's HIT from before ECDSA HOST_IDs carried 0x04 | x | y; the sender needs our HIT {Hit.Parse(EcdsaKnownAnswers.P256Hit)}", StringComparison.Ordinal));
        Assert.Equal(0, p.B.Host.AssociationCount);
    }

    /// <summary>The HOST_ID TLV (with its padding) of a UDP-framed HIP packet of <paramref name="type"/>, else null.</summary>
    private static byte[]? HostIdTlv(byte[] udp, HipPacketType type)
    {
        const int framing = 4; // RFC 9028 §5.1: four zero octets before the HIP header over UDP
        if (udp.Length <= framing || HipPacket.TryParse(udp.AsSpan(framing), out var packet) != WireError.None || packet.Type != type)
        {
            return null;
        }

        Assert.True(packet.TryFind(ParameterType.HostId, out var hostId));
        return udp.AsSpan(framing + hostId.Offset, hostId.TotalLength).ToArray();
    }
}
