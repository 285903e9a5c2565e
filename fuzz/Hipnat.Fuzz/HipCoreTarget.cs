using System.Buffers.Binary;

namespace Hipnat.Fuzz;

/// <summary>
/// hip-core: a HIP host (<see cref="HipPair.B"/>, fixed identity, seeded randomness, a clock that starts at 1 s) fed
/// untrusted datagrams. An input whose first octet is below 0xF0 is one UDP datagram to B from A's address (a real
/// HIP control datagram starts with the 0x00000000 marker). From 0xF0 on, the rest is a script of records
/// <c>op, length (16 bits), data</c> that reaches states beyond the first packet:
/// 0/1/2 raw datagram to B / to A / to B from a stranger; 3/4 the next real datagram A→B / B→A with <c>data</c>
/// XORed in at the offset in its first two octets; 5 deliver everything queued; 6 A connects to B;
/// 7 advance the clock by data[0]×100 ms and run timers; 8/9 A/B acts on the association (rekey, close,
/// add an SA pair, NOTIFY).
/// </summary>
public sealed class HipCoreTarget : IFuzzTarget
{
    public const byte ScriptMode = 0xF0;

    public string Name => "hip-core";

    public void Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return;
        }

        var pair = new HipPair();
        if (input[0] < ScriptMode)
        {
            pair.Deliver(toA: false, HipPair.AddressA, input);
            return;
        }

        var script = input[1..];
        int steps = 0;
        while (!script.IsEmpty && steps++ < 64)
        {
            byte op = script[0];
            int length = script.Length >= 3 ? BinaryPrimitives.ReadUInt16BigEndian(script[1..]) : 0;
            var rest = script.Length >= 3 ? script[3..] : [];
            length = Math.Min(length, rest.Length);
            var data = rest[..length];
            script = rest[length..];
            Step(pair, op % 10, data);
        }
    }

    public IEnumerable<(string Name, byte[] Data)> CreateSeeds() => SeedPackets.HipCore();

    /// <summary>Builds a script input (mode octet and records).</summary>
    public static byte[] Script(params (byte Op, byte[] Data)[] records)
    {
        var bytes = new List<byte> { ScriptMode };
        foreach (var (op, data) in records)
        {
            bytes.Add(op);
            bytes.Add((byte)(data.Length >> 8));
            bytes.Add((byte)data.Length);
            bytes.AddRange(data);
        }

        return [.. bytes];
    }

    private static void Step(HipPair pair, int op, ReadOnlySpan<byte> data)
    {
        switch (op)
        {
            case 0: pair.Deliver(toA: false, HipPair.AddressA, data); break;
            case 1: pair.Deliver(toA: true, HipPair.AddressB, data); break;
            case 2: pair.Deliver(toA: false, HipPair.Stranger, data); break;
            case 3 or 4:
                {
                    var patch = data.ToArray();
                    pair.Pump(fromA: op == 3, patch.Length < 3 ? null : payload => Patch(payload, patch));
                    break;
                }

            case 5: pair.Settle(); break;
            case 6: pair.A.Connect(pair.B.LocalHit, pair.Now); break;
            case 7: pair.Advance(TimeSpan.FromMilliseconds(100 * (data.IsEmpty ? 1 : data[0] + 1))); break;
            default:
                {
                    bool fromA = op == 8;
                    var host = fromA ? pair.A : pair.B;
                    var peer = fromA ? pair.B.LocalHit : pair.A.LocalHit;
                    switch (data.IsEmpty ? 0 : data[0] % 4)
                    {
                        case 0: host.Rekey(peer, pair.Now); break;
                        case 1: host.Close(peer, pair.Now); break;
                        case 2: host.AddSaPair(peer, pair.Now); break;
                        default:
                            // SendNotify's precondition (a local call): a route or locator for the peer.
                            if (host.GetAssociation(peer) is not null || host.GetPeerLocators(peer).Count > 0)
                            {
                                ushort type = data.Length >= 3 ? BinaryPrimitives.ReadUInt16BigEndian(data[1..]) : (ushort)16384;
                                var notifyData = data.Length > 3 ? data[3..] : [];
                                host.SendNotify(peer, type, notifyData[..Math.Min(notifyData.Length, 256)], pair.Now);
                            }

                            break;
                    }

                    break;
                }
        }
    }

    /// <summary>XORs patch[2..] into the payload at the offset in patch[0..2] (modulo the payload length).</summary>
    private static byte[] Patch(byte[] payload, byte[] patch)
    {
        if (payload.Length == 0)
        {
            return payload;
        }

        int at = BinaryPrimitives.ReadUInt16BigEndian(patch) % payload.Length;
        for (int i = 2; i < patch.Length && at < payload.Length; i++, at++)
        {
            payload[at] ^= patch[i];
        }

        return payload;
    }
}
