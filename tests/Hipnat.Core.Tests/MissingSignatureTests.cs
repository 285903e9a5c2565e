using Hipnat.Core.Association;
using Hipnat.Core.Host;
using Hipnat.Simulator;
using Hipnat.Wire.Packets;
using Hipnat.Wire.Parameters;
using DropReason = Hipnat.Core.Host.DropReason;

namespace Hipnat.Core.Tests;

/// <summary>
/// A packet that must be signed (RFC 7401 §5.3.2-§5.3.5) arrives without its HIP_SIGNATURE / HIP_SIGNATURE_2: it is
/// dropped and counted as <see cref="DropReason.MissingSignature"/>, and the log says the parameter is missing rather
/// than that a signature does not verify.
/// </summary>
public class MissingSignatureTests
{
    [Theory]
    [InlineData(HipPacketType.R1)]
    [InlineData(HipPacketType.I2)]
    [InlineData(HipPacketType.R2)]
    [InlineData(HipPacketType.Update)]
    public void PacketWithoutItsSignatureIsDroppedAsMissingSignature(HipPacketType type)
    {
        var p = new SimPair(3, null, id => new HipHostOptions { Identity = id, RandomSeed = 3, I1RetriesMax = 1, I2RetriesMax = 1, UpdateRetriesMax = 1 });
        bool fromA = type is HipPacketType.I2 or HipPacketType.Update;
        var (sender, receiver) = fromA ? (p.A, p.B) : (p.B, p.A);
        ushort signature = type == HipPacketType.R1 ? ParameterType.HipSignature2 : ParameterType.HipSignature;
        var log = new List<string>();
        receiver.Host.DebugLog = log.Add;

        if (type == HipPacketType.Update)
        {
            p.Connect(p.A, p.B);
            Assert.True(p.RunUntilEstablished(TimeSpan.FromSeconds(10)));
        }

        int stripped = 0;
        sender.SendFilter = (ctx, from, to, payload) =>
        {
            if (PacketType(payload) != type)
            {
                return false;
            }

            ctx.Send(from, to, Without(payload, signature));
            stripped++;
            return true;
        };

        if (type == HipPacketType.Update)
        {
            var before = p.B.Host.GetAssociation(p.A.Host.LocalHit)!.SaPairs[0];
            p.A.Invoke((h, now) => h.Rekey(p.B.Host.LocalHit, now));
            p.Sim.RunFor(TimeSpan.FromSeconds(10));
            var after = p.B.Host.GetAssociation(p.A.Host.LocalHit)!.SaPairs[0];
            Assert.Equal(before.InboundSpi, after.InboundSpi); // the unsigned UPDATE changed nothing
            Assert.DoesNotContain(p.A.Events, e => e is UpdateCompleted);
        }
        else
        {
            p.Connect(p.A, p.B);
            p.Sim.RunFor(TimeSpan.FromSeconds(10));
            Assert.NotEqual(AssociationState.Established, p.A.Host.GetState(p.B.Host.LocalHit));
            if (type != HipPacketType.R2)
            {
                // (The sender of the R2 moves from R2-SENT to ESTABLISHED when its timer ends, RFC 7401 §4.4.3 Table 5.)
                Assert.Equal(0, p.B.Host.AssociationCount);
            }
        }

        Assert.True(stripped >= 1);
        if (type == HipPacketType.I2)
        {
            // The first I2 spends its puzzle solution on DH; its retransmissions carry the same solution and are
            // dropped as replays before any DH work.
            Assert.Equal(1, receiver.Host.Counters.Dropped(DropReason.MissingSignature));
            Assert.Equal(stripped - 1, receiver.Host.Counters.Dropped(DropReason.ReplayedI2));
            Assert.Equal(1, receiver.Host.Counters.I2DhComputations);
        }
        else
        {
            Assert.Equal(stripped, receiver.Host.Counters.Dropped(DropReason.MissingSignature));
        }

        Assert.Equal(0, receiver.Host.Counters.Dropped(DropReason.BadSignature));
        string expected = $"drop MissingSignature: {(type == HipPacketType.Update ? "UPDATE" : type.ToString())} from {sender.Host.LocalHit}: "
            + $"{ParameterType.Name(signature)} missing";
        Assert.Contains(expected, log);
        Assert.DoesNotContain(log, l => l.Contains("does not verify", StringComparison.Ordinal));
    }

    [Fact]
    public void R2WithAGarbledSignatureIsStillABadSignature()
    {
        var p = new SimPair(4, null, id => new HipHostOptions { Identity = id, RandomSeed = 4, I2RetriesMax = 0 });
        var log = new List<string>();
        p.A.Host.DebugLog = log.Add;
        p.B.SendFilter = (ctx, from, to, payload) =>
        {
            if (PacketType(payload) != HipPacketType.R2)
            {
                return false;
            }

            byte[] copy = payload.ToArray();
            copy[^5] ^= 0x01; // inside the signature value, the last parameter of R2
            ctx.Send(from, to, copy);
            return true;
        };

        p.Connect(p.A, p.B);
        p.Sim.RunFor(TimeSpan.FromSeconds(5));
        Assert.Equal(1, p.A.Host.Counters.Dropped(DropReason.BadSignature));
        Assert.Equal(0, p.A.Host.Counters.Dropped(DropReason.MissingSignature));
        Assert.Contains($"drop BadSignature: R2 from {p.B.Host.LocalHit}: HIP_SIGNATURE does not verify", log);
    }

    /// <summary>The HIP packet type of a UDP-framed HIP packet (four zero octets, then the HIP header; RFC 9028 §5.1).</summary>
    private static HipPacketType PacketType(byte[] udp) => udp.Length > 4 + 40 ? (HipPacketType)(udp[4 + 2] & 0x7F) : 0;

    /// <summary>The packet with the parameter of <paramref name="type"/> cut out and the Header Length fixed.</summary>
    private static byte[] Without(byte[] udp, ushort type)
    {
        const int framing = 4;
        Assert.Equal(Wire.WireError.None, HipPacket.TryParse(udp.AsSpan(framing), out var packet));
        Assert.True(packet.TryFind(type, out var parameter), $"the packet carries no {ParameterType.Name(type)}");
        int start = framing + parameter.Offset;
        byte[] result = [.. udp.AsSpan(0, start), .. udp.AsSpan(start + parameter.TotalLength)];
        HipHeader.PatchLength(result.AsSpan(framing), result.Length - framing);
        return result;
    }
}
