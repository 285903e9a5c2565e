using System.Buffers.Binary;
using System.Net;
using Hipnat.Nat.Stun;
using Hipnat.Nat.Turn;
using Hipnat.Wire;

namespace Hipnat.Nat.Tests.Stun;

/// <summary>Untrusted input never makes the codec or the state machines throw.</summary>
public class StunFuzzTests
{
    private static readonly IPEndPoint Peer = new(IPAddress.Parse("192.0.2.9"), 5000);

    private static IEnumerable<byte[]> Corpus(int seed, int count)
    {
        var random = new Random(seed);
        var samples = new List<byte[]>
        {
            Rfc5769Vectors.SampleRequest, Rfc5769Vectors.Ipv4Response, Rfc5769Vectors.Ipv6Response, Rfc5769Vectors.LongTermRequest,
        };
        for (int i = 0; i < count; i++)
        {
            switch (random.Next(4))
            {
                case 0:
                {
                    // Pure noise.
                    var bytes = new byte[random.Next(0, 120)];
                    random.NextBytes(bytes);
                    yield return bytes;
                    break;
                }

                case 1:
                {
                    // A valid vector with a few octets flipped.
                    var bytes = (byte[])samples[random.Next(samples.Count)].Clone();
                    for (int k = random.Next(1, 4); k > 0; k--)
                    {
                        bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                    }

                    yield return bytes;
                    break;
                }

                case 2:
                {
                    // A valid vector truncated, with the length field kept consistent.
                    var source = samples[random.Next(samples.Count)];
                    var bytes = source.AsSpan(0, random.Next(StunHeader.Size, source.Length + 1)).ToArray();
                    BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(2), (ushort)((bytes.Length - StunHeader.Size) & ~3));
                    yield return bytes;
                    break;
                }

                default:
                {
                    // A well-formed header with random TLVs of known and unknown types.
                    var body = new List<byte>();
                    int attributes = random.Next(0, 6);
                    for (int a = 0; a < attributes; a++)
                    {
                        ushort type = random.Next(3) switch
                        {
                            0 => (ushort)Enum.GetValues<StunAttributeType>()[random.Next(Enum.GetValues<StunAttributeType>().Length)],
                            1 => (ushort)random.Next(0, 0x30),
                            _ => (ushort)random.Next(0, 0x10000),
                        };
                        int length = random.Next(0, 40);
                        var value = new byte[length + StunAttribute.PaddingFor(length)];
                        random.NextBytes(value);
                        body.Add((byte)(type >> 8));
                        body.Add((byte)type);
                        body.Add((byte)(length >> 8));
                        body.Add((byte)length);
                        body.AddRange(value);
                    }

                    var header = new byte[StunHeader.Size];
                    BinaryPrimitives.WriteUInt16BigEndian(header, (ushort)random.Next(0, 0x4000));
                    BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), (ushort)body.Count);
                    BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), StunHeader.MagicCookie);
                    random.NextBytes(header.AsSpan(8));
                    yield return [.. header, .. body];
                    break;
                }
            }
        }
    }

    [Fact]
    public void GarbageNeverThrowsFromTheCodec()
    {
        int parsed = 0;
        foreach (var bytes in Corpus(1, 20_000))
        {
            if (StunMessage.TryParse(bytes, out var m) == StunError.None)
            {
                parsed++;
                _ = m!.VerifyIntegrity([1, 2, 3]);
                _ = m.VerifyMessageIntegrity([1, 2, 3]);
            }

            _ = StunHeader.IsStun(bytes);
            _ = StunKeepalive.IsKeepalive(bytes);
            _ = TurnChannelData.TryParse(bytes, out _, out _);
        }

        // The corpus is not all rejected: the generator reaches the attribute decoders.
        Assert.True(parsed > 1000, $"only {parsed} parsed");
    }

    [Fact]
    public void GarbageNeverThrowsFromTheStateMachines()
    {
        var server = new StunServer(new StunServerOptions { ShortTermKeyLookup = u => u == "a:b" ? [1] : null });
        var client = new StunBindingClient();
        var turn = new TurnClient(new TurnClientOptions { Server = Peer, Username = "u", Password = "p" });
        turn.Allocate(TimeSpan.Zero);
        client.Start(Peer, TimeSpan.Zero);
        foreach (var bytes in Corpus(2, 20_000))
        {
            _ = server.Handle(Peer, bytes);
            _ = client.HandleDatagram(Peer, bytes, TimeSpan.Zero);
            _ = turn.HandleDatagram(Peer, bytes, TimeSpan.Zero);
        }
    }

    [Fact]
    public void IsStunAgreesWithTheHipPortDemultiplexer()
    {
        foreach (var bytes in Corpus(3, 20_000))
        {
            Assert.Equal(HipUdpFraming.IsStun(bytes), StunHeader.IsStun(bytes));
        }

        Assert.True(StunHeader.IsStun(Rfc5769Vectors.SampleRequest));
        Assert.False(StunHeader.IsStun(new byte[24]));
    }
}
