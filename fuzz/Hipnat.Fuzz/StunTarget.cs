using System.Buffers.Binary;
using System.Net;
using Hipnat.Nat.Stun;
using Hipnat.Nat.Turn;

namespace Hipnat.Fuzz;

/// <summary>
/// stun: the STUN codec (<see cref="StunMessage.TryParse"/>, every decoded attribute, MESSAGE-INTEGRITY checks with
/// short- and long-term keys), the STUN server, TURN ChannelData, and the binding and TURN clients fed the input as
/// answers to their pending requests. The input is split into consecutive datagrams by the STUN header's Message
/// Length (ChannelData by its Length); the transaction ID of each is replaced by the client's pending one so that
/// responses reach the clients' state machines.
/// </summary>
public sealed class StunTarget : IFuzzTarget
{
    private static readonly IPEndPoint Server = new(IPAddress.Parse("203.0.113.1"), 3478);
    private static readonly IPEndPoint Client = new(IPAddress.Parse("192.0.2.1"), 40000);
    private static readonly byte[] ShortTermKey = StunCredentials.ShortTermKey("VOkJxbRl1RmTxUk/WvJxBt");
    private static readonly byte[] LongTermKey = StunCredentials.LongTermKey("user", "example.org", "pass");

    public string Name => "stun";

    public void Run(ReadOnlySpan<byte> input)
    {
        var now = TimeSpan.FromSeconds(1);
        var server = new StunServer(new StunServerOptions { ShortTermKeyLookup = _ => ShortTermKey });
        var binding = new StunBindingClient();
        var turn = new TurnClient(new TurnClientOptions { Server = Server, Username = "user", Password = "pass" });
        var bindingId = binding.Start(Server, now);
        turn.Allocate(now);
        byte[]? turnId = null;
        int count = 0;
        while (!input.IsEmpty && count++ < 16)
        {
            int length = DatagramLength(input);
            var datagram = input[..length].ToArray();
            input = input[length..];

            Decode(datagram);
            _ = server.Handle(Client, datagram);
            _ = TurnChannelData.TryParse(datagram, out _, out _);

            if (datagram.Length >= StunHeader.Size)
            {
                bindingId.WriteTo(datagram.AsSpan(8));
            }

            _ = binding.HandleDatagram(Server, datagram, now);
            turnId = LatestRequestId(turn, turnId);
            if (datagram.Length >= StunHeader.Size && turnId is not null)
            {
                turnId.CopyTo(datagram, 8);
            }

            _ = turn.HandleDatagram(Server, datagram, now);
            while (turn.TryPollEvent(out _))
            {
            }

            while (binding.TryPollResult(out _))
            {
            }

            now += TimeSpan.FromMilliseconds(50);
            turn.HandleTimeout(now);
            binding.HandleTimeout(now);
        }
    }

    public IEnumerable<(string Name, byte[] Data)> CreateSeeds() => SeedPackets.Stun();

    /// <summary>The transaction ID of the TURN client's latest request, or <paramref name="current"/> when it sent none.</summary>
    private static byte[]? LatestRequestId(TurnClient turn, byte[]? current)
    {
        while (turn.TryPollTransmit(out var t))
        {
            if (t.Payload.Length >= StunHeader.Size && t.Payload[0] <= 1)
            {
                current = t.Payload.AsSpan(8, StunTransactionId.Length).ToArray();
            }
        }

        return current;
    }

    private static int DatagramLength(ReadOnlySpan<byte> input)
    {
        if (input.Length >= StunHeader.Size && input[0] <= 3)
        {
            return Math.Min(input.Length, StunHeader.Size + BinaryPrimitives.ReadUInt16BigEndian(input[2..]));
        }

        if (input.Length >= TurnChannelData.HeaderSize && TurnChannelData.LooksLikeChannelData(input))
        {
            int length = BinaryPrimitives.ReadUInt16BigEndian(input[2..]);
            return Math.Min(input.Length, TurnChannelData.HeaderSize + length + ((4 - (length & 3)) & 3));
        }

        return input.Length;
    }

    private static void Decode(byte[] datagram)
    {
        if (StunMessage.TryParse(datagram, out var message) != StunError.None || message is null)
        {
            return;
        }

        _ = message.MappedAddress?.ToString();
        _ = message.XorMappedAddress?.ToString();
        _ = message.AlternateServer?.ToString();
        _ = message.ErrorCode?.ToString();
        _ = message.PasswordAlgorithms?.Count;
        _ = message.PasswordAlgorithm?.ToString();
        _ = message.Icmp?.ToString();
        _ = message.XorPeerAddresses.Count;
        _ = message.XorRelayedAddresses.Count;
        foreach (var attribute in message.Attributes)
        {
            _ = message.TryGetAttribute(attribute.Type, out _);
        }

        _ = message.VerifyIntegrity(ShortTermKey);
        _ = message.VerifyMessageIntegrity(LongTermKey);
        _ = message.VerifyMessageIntegritySha256(LongTermKey);
        _ = StunFingerprint.EndsWithValidFingerprint(datagram);
    }
}
