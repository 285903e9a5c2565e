using System.Buffers.Binary;
using FsCheck.Xunit;
using Hipnat.Wire.Packets;
using Hipnat.Wire.Parameters;
using static Hipnat.Wire.Tests.TestWire;

namespace Hipnat.Wire.Tests;

/// <summary>
/// Untrusted octets never make the codec throw: every path ends in a <see cref="WireError"/>, and a false
/// result always carries an error other than None.
/// </summary>
public class RobustnessPropertyTests
{
    private static void ProbeEverything(ReadOnlySpan<byte> data)
    {
        var err = HipPacket.TryParse(data, out var packet);
        Assert.True(Enum.IsDefined(err));
        if (err != WireError.None)
        {
            return;
        }

        foreach (var codec in ParameterCodecs.All)
        {
            var (ok, e) = codec.GetAll(packet);
            Assert.Equal(ok, e == WireError.None);
        }

        foreach (var p in packet.Parameters)
        {
            Assert.True(p.Offset + p.TotalLength <= packet.Data.Length);
        }
    }

    [Property(MaxTest = 2000)]
    public void Random_octets(byte[] data)
    {
        ProbeEverything(data ?? []);
        _ = HipUdpFraming.Classify(data ?? []);
        _ = HipUdpFraming.TryParseHipControl(data ?? [], out _);
        _ = HipUdpFraming.TryGetEspSpi(data ?? [], out _);
    }

    [Property(MaxTest = 2000)]
    public void Valid_header_then_random_body(byte typeSelector, byte[] body)
    {
        byte[] types = [1, 2, 3, 4, 16, 17, 18, 19];
        var b = body ?? [];
        int len = Math.Min(HipHeader.MaxPacketLength, HipHeader.Size + ((b.Length + 7) / 8 * 8));
        var packet = new byte[len];
        new HipHeader((HipPacketType)types[typeSelector % types.Length], Sender, Receiver, packetLength: len).Write(packet);
        b.AsSpan(0, Math.Min(b.Length, len - HipHeader.Size)).CopyTo(packet.AsSpan(HipHeader.Size));
        ProbeEverything(packet);
        _ = HipUdpFraming.TryParseHipControl([0, 0, 0, 0, .. packet], out _);
    }

    /// <summary>Well-framed, correctly ordered TLVs of every known type with random contents.</summary>
    [Property(MaxTest = 3000)]
    public void Known_types_with_random_contents(int seed)
    {
        var rnd = new Random(seed);
        var tlvs = new List<(ushort, byte[])>();
        int budget = HipHeader.MaxPacketLength - HipHeader.Size;
        for (int n = rnd.Next(1, 10); n > 0; n--)
        {
            var codec = ParameterCodecs.All[rnd.Next(ParameterCodecs.All.Length)];
            var contents = new byte[rnd.Next(0, 80)];
            rnd.NextBytes(contents);
            if (rnd.Next(3) == 0)
            {
                // Often-plausible contents: small numbers, so inner length fields point inside the TLV.
                for (int i = 0; i < contents.Length; i++)
                {
                    contents[i] = (byte)rnd.Next(0, 8);
                }
            }

            budget -= HipParameterHeader.TotalLength(contents.Length);
            if (budget < 0)
            {
                break;
            }

            tlvs.Add((codec.Type, contents));
        }

        var packet = RawPacket(HipPacketType.Update, [.. tlvs.OrderBy(t => t.Item1)]);
        Assert.Equal(WireError.None, HipPacket.TryParse(packet, out _));
        ProbeEverything(packet);

        foreach (var (type, contents) in tlvs)
        {
            var codec = ParameterCodecs.All.First(c => c.Type == type);
            var (ok, e) = codec.Read(contents);
            Assert.Equal(ok, e == WireError.None);
        }
    }

    [Property(MaxTest = 1000)]
    public void Every_reader_on_random_contents(byte[] contents)
    {
        foreach (var codec in ParameterCodecs.All)
        {
            var (ok, e) = codec.Read(contents ?? []);
            Assert.Equal(ok, e == WireError.None);
        }
    }

    [Property(MaxTest = 1000)]
    public void Mutated_valid_packets(int seed)
    {
        var rnd = new Random(seed);
        var packet = Build(HipPacketType.Update, (ref HipPacketBuilder b) =>
        {
            b.Add(new EspInfoParameter(0, 1, 2));
            b.Add(new LocatorSetParameter(
                Locator.ForTransportAddress(V4("192.0.2.1"), 10500, CandidateKind.Host, 1, 2, 3),
                Locator.ForEspAddress(7, V6("2001:db8::1"), 9)));
            b.Add(new SeqParameter(1));
            b.Add(new DiffieHellmanParameter(8, Bytes(20)));
            b.Add(new HostIdParameter(7, Bytes(30), DomainIdentifierType.Fqdn, Bytes(5)));
            b.Add(new CertParameter(1, 1, 1, CertificateType.X509V3, Bytes(9)));
            b.Add(new RegInfoParameter(1, 2, RegistrationType.RelayUdpHip));
            b.Add(new PeerPermissionParameter(V4("192.0.2.2"), 1, V4("192.0.2.3"), 2, 3, 4));
            b.Add(new HipMacParameter(Bytes(32)));
            b.Add(new ViaRvsParameter(V4("192.0.2.4")));
        });
        for (int flips = rnd.Next(1, 6); flips > 0; flips--)
        {
            packet[rnd.Next(packet.Length)] = (byte)rnd.Next(256);
        }

        var cut = packet.AsSpan(0, rnd.Next(3) == 0 ? rnd.Next(packet.Length + 1) : packet.Length);
        ProbeEverything(cut);
    }

    [Property(MaxTest = 1000)]
    public void Udp_classification_is_total(byte[] payload, uint first)
    {
        var p = payload ?? [];
        if (p.Length >= 4 && first % 2 == 0)
        {
            BinaryPrimitives.WriteUInt32BigEndian(p, first % 4 == 0 ? 0 : first);
        }

        var kind = HipUdpFraming.Classify(p);
        Assert.True(Enum.IsDefined(kind));
        bool esp = HipUdpFraming.TryGetEspSpi(p, out uint spi);
        Assert.Equal(kind == UdpPayloadKind.Esp, esp);
        if (esp)
        {
            Assert.NotEqual(0u, spi);
        }

        var framing = HipUdpFraming.TryGetHipControl(p, out _);
        if (kind != UdpPayloadKind.HipControl)
        {
            Assert.Equal(WireError.BadFraming, framing);
        }
    }
}
