using System.Buffers.Binary;
using System.Net;
using System.Text;
using Hipnat.DataPlane.Beet;
using Hipnat.DataPlane.Esp;
using Hipnat.Nat.Stun;
using Hipnat.Nat.Turn;
using Hipnat.Wire.Packets;

namespace Hipnat.Fuzz;

/// <summary>
/// Valid inputs for every target, built with hipnat's own code: a base exchange, UPDATE, NOTIFY and CLOSE between
/// two hosts; the RFC 5769 STUN vectors and TURN messages from the writer; ESP sealed by the harness's SAs; inner
/// IP packets; the configuration examples of docs/config.md; control requests.
/// </summary>
public static class SeedPackets
{
    /// <summary>Every control datagram of a base exchange, a rekey, a NOTIFY and a close (UDP payloads).</summary>
    public static List<(bool FromA, byte[] Payload)> Exchange()
    {
        var pair = new HipPair();
        pair.A.Connect(pair.B.LocalHit, pair.Now);
        pair.Settle();
        pair.A.Rekey(pair.B.LocalHit, pair.Now);
        pair.Settle();
        pair.B.SendNotify(pair.A.LocalHit, 16384, Encoding.ASCII.GetBytes("hello"), pair.Now);
        pair.Settle();
        pair.A.Close(pair.B.LocalHit, pair.Now);
        pair.Settle();
        return pair.Sent;
    }

    public static IEnumerable<(string Name, byte[] Data)> Hip()
    {
        int i = 0;
        foreach (var (fromA, payload) in Exchange())
        {
            string type = HipPacket.TryParse(payload.AsSpan(4), out var p) == Hipnat.Wire.WireError.None ? p.Type.ToString().ToLowerInvariant() : "unknown";
            yield return ($"{i++:00}-{type}-{(fromA ? "a" : "b")}", payload);
        }
    }

    public static IEnumerable<(string Name, byte[] Data)> HipCore()
    {
        var exchange = Exchange();
        int i = 0;
        foreach (var (fromA, payload) in exchange.Where(x => x.FromA).Take(3))
        {
            // A's own datagrams to a fresh B: I1 is answered; I2 and later hit the checks for unknown state.
            yield return ($"raw-{i++:00}", payload);
        }

        byte[] none = [];
        yield return ("script-exchange", HipCoreTarget.Script((6, none), (5, none)));
        yield return ("script-rekey-close", HipCoreTarget.Script((6, none), (5, none), (8, [0]), (5, none), (9, [3, 0x40, 0x00, 1, 2]), (5, none), (8, [1]), (5, none)));
        yield return ("script-stepwise", HipCoreTarget.Script((6, none), (3, none), (4, none), (3, [0, 40, 0x01]), (4, none), (7, [10]), (5, none)));
        yield return ("script-timers", HipCoreTarget.Script((6, none), (7, [4]), (7, [4]), (3, none), (7, [200]), (5, none)));
        var update = exchange.FirstOrDefault(x => x.FromA && x.Payload.Length > 12 && (x.Payload[6] & 0x7F) == (byte)HipPacketType.Update);
        if (update.Payload is not null)
        {
            yield return ("script-replayed-update", HipCoreTarget.Script((6, none), (5, none), (0, update.Payload), (5, none)));
        }

        var close = exchange.FirstOrDefault(x => x.FromA && x.Payload.Length > 12 && (x.Payload[6] & 0x7F) == (byte)HipPacketType.Close);
        if (close.Payload is not null)
        {
            yield return ("script-stranger-close", HipCoreTarget.Script((6, none), (5, none), (2, close.Payload), (5, none)));
        }
    }

    public static IEnumerable<(string Name, byte[] Data)> Stun()
    {
        yield return ("rfc5769-request", Convert.FromHexString(
            "000100582112a442b7e7a701bc34d686fa87dfae802200105354554e207465737420636c69656e74002400046e0001ff80290008932ff9b151263b36" +
            "000600096576746a3a68367659202020000800149aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a280280004e57a3bcf"));
        yield return ("rfc5769-ipv4-response", Convert.FromHexString(
            "0101003c2112a442b7e7a701bc34d686fa87dfae8022000b7465737420766563746f7220002000080001a147e112a643" +
            "000800142b91f599fd9e90c38c7489f92af9ba53f06be7d780280004c07d4c96"));
        yield return ("rfc5769-ipv6-response", Convert.FromHexString(
            "010100482112a442b7e7a701bc34d686fa87dfae8022000b7465737420766563746f7220002000140002a1470113a9faa5d3f179bc25f4b5bed2b9d9" +
            "00080014a382954e4be67bf11784c97c8292c275bfe3ed4180280004c8fb0b4c"));
        yield return ("rfc5769-long-term-request", Convert.FromHexString(
            "000100602112a44278ad3433c6ad72c029da412e00060012e3839ee38388e383aae38383e382afe382b90000" +
            "0015001c662f2f3439396b39353464364f4c33346f4c394653547679363473410014000b6578616d706c652e6f726700" +
            "00080014f67024656dd64a3e02b8e0712e85c9a28ca89666"));

        var id = new StunTransactionId(0x0102030405060708, 0x090a0b0c);
        var unauthorized = new StunMessageWriter(StunMethod.Allocate, StunClass.ErrorResponse, id)
            .AddErrorCode(401, "Unauthorized").AddRealm("example.org").AddNonce("obMatJos2AAACf//499k954d6OL34oL9FSTvy64sA").AddSoftware("hipnat");
        var allocated = new StunMessageWriter(StunMethod.Allocate, StunClass.SuccessResponse, id)
            .AddXorRelayedAddress(new IPEndPoint(IPAddress.Parse("203.0.113.1"), 49152))
            .AddXorMappedAddress(new IPEndPoint(IPAddress.Parse("198.51.100.7"), 40000))
            .AddLifetime(600);
        var binding = new StunMessageWriter(StunMethod.Binding, StunClass.SuccessResponse, id)
            .AddXorMappedAddress(new IPEndPoint(IPAddress.Parse("2001:db8::1"), 40000));
        var data = new StunMessageWriter(StunMethod.Data, StunClass.Indication, id)
            .AddXorPeerAddress(new IPEndPoint(IPAddress.Parse("192.0.2.2"), 10500)).AddData([0, 0, 0, 0, 1, 2, 3, 4]);
        yield return ("turn-401", unauthorized.ToArray());
        yield return ("turn-allocate-success", allocated.ToArray());
        yield return ("turn-401-then-success", [.. unauthorized.ToArray(), .. allocated.ToArray()]);
        yield return ("binding-success-ipv6", binding.ToArray());
        yield return ("turn-data-indication", data.ToArray());
        yield return ("turn-channel-data", TurnChannelData.Write(0x4001, [1, 2, 3, 4, 5], pad: true));
    }

    public static IEnumerable<(string Name, byte[] Data)> Esp()
    {
        var payload = Encoding.ASCII.GetBytes("hipnat ESP seed payload");
        for (int t = 0; t < EspTransform.All.Count; t++)
        {
            var transform = EspTransform.All[t];
            foreach (bool esn in new[] { false, true })
            {
                using var outbound = EspOpenTarget.CreateOutbound(transform, esn);
                var packet = new byte[transform.GetSealedLength(payload.Length)];
                int length = outbound.Seal(payload, 17, packet);
                yield return ($"sealed-{t}{(esn ? "-esn" : string.Empty)}", [(byte)(t | (esn ? 0x40 : 0)), .. packet.AsSpan(0, length)]);
            }

            // Integrity fixed by the harness: the trailer is what gets fuzzed.
            int padding = (transform.PaddingAlignment - ((payload.Length + 2) % transform.PaddingAlignment)) % transform.PaddingAlignment;
            var plaintext = new List<byte>(payload);
            for (int i = 1; i <= padding; i++)
            {
                plaintext.Add((byte)i);
            }

            plaintext.Add((byte)padding);
            plaintext.Add(17);
            byte[] sequence = [0, 0, 0, 1];
            byte[] rest = transform.Cipher switch
            {
                EspCipherKind.AesGcm => [.. sequence, .. new byte[8], .. plaintext],
                EspCipherKind.AesCbc => [.. sequence, .. new byte[16], .. new byte[plaintext.Count + ((16 - (plaintext.Count % 16)) % 16)]],
                _ => [.. sequence, .. plaintext],
            };
            yield return ($"fixed-{t}", [(byte)(0x80 | t), .. rest]);
        }
    }

    public static IEnumerable<(string Name, byte[] Data)> Beet()
    {
        var a = BeetTarget.HitA;
        var b = BeetTarget.HitB;
        uint lsiA = BeetTarget.LocalLsiOfA();
        uint lsiB = BeetTarget.PeerLsiOfB();
        var udp = new byte[8 + 12];
        BinaryPrimitives.WriteUInt16BigEndian(udp, 5000);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(2), 6000);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(4), (ushort)udp.Length);
        Encoding.ASCII.GetBytes("beet seed 12").CopyTo(udp, 8);
        var tcp = new byte[20];
        BinaryPrimitives.WriteUInt16BigEndian(tcp, 40000);
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(2), 22);
        tcp[12] = 0x50;
        tcp[13] = 0x02;
        byte[] icmpEcho = [8, 0, 0, 0, 0, 1, 0, 1, 0xAA, 0xBB];
        byte[] icmpv6Echo = [128, 0, 0, 0, 0, 1, 0, 1, 0xAA, 0xBB];

        foreach (byte suite in new byte[] { 0, 2 })
        {
            yield return ($"out-ipv6-udp-{suite}", [suite, .. Ipv6(a, b, BeetPacket.ProtocolUdp, udp)]);
            yield return ($"out-ipv6-tcp-{suite}", [suite, .. Ipv6(a, b, BeetPacket.ProtocolTcp, tcp)]);
            yield return ($"out-ipv6-icmpv6-{suite}", [suite, .. Ipv6(a, b, BeetPacket.ProtocolIcmpv6, icmpv6Echo)]);
            yield return ($"out-ipv4-udp-{suite}", [suite, .. Ipv4(lsiA, lsiB, BeetPacket.ProtocolUdp, udp, dontFragment: true)]);
            yield return ($"out-ipv4-icmp-{suite}", [suite, .. Ipv4(lsiA, lsiB, BeetPacket.ProtocolIcmp, icmpEcho, dontFragment: true)]);
            var fragment = Ipv4(lsiA, lsiB, BeetPacket.ProtocolUdp, udp, dontFragment: false);
            BinaryPrimitives.WriteUInt16BigEndian(fragment.AsSpan(6), 0x2000);
            yield return ($"out-ipv4-fragment-{suite}", [suite, .. fragment]);
            // Bit 2: A's hip0 has an MTU of BeetTarget.FuzzMtu; these are larger, so A answers "too big".
            var large = new byte[BeetTarget.FuzzMtu];
            BinaryPrimitives.WriteUInt16BigEndian(large, 5000);
            BinaryPrimitives.WriteUInt16BigEndian(large.AsSpan(2), 6000);
            BinaryPrimitives.WriteUInt16BigEndian(large.AsSpan(4), (ushort)large.Length);
            yield return ($"out-ipv6-udp-too-big-{suite}", [(byte)(suite | 4), .. Ipv6(a, b, BeetPacket.ProtocolUdp, large)]);
            yield return ($"out-ipv4-udp-too-big-{suite}", [(byte)(suite | 4), .. Ipv4(lsiA, lsiB, BeetPacket.ProtocolUdp, large, dontFragment: true)]);
            yield return ($"in-udp-{suite}", [(byte)(suite | 1), BeetPacket.ProtocolUdp, .. udp]);
            yield return ($"in-tcp-{suite}", [(byte)(suite | 1), BeetPacket.ProtocolTcp, .. tcp]);
            yield return ($"in-icmp-{suite}", [(byte)(suite | 1), BeetPacket.ProtocolIcmp, .. icmpEcho]);
            yield return ($"in-icmpv6-{suite}", [(byte)(suite | 1), BeetPacket.ProtocolIcmpv6, .. icmpv6Echo]);
            yield return ($"in-ipv4-fragment-{suite}", [(byte)(suite | 1), BeetPacket.ProtocolIpv4, .. fragment]);
        }
    }

    public static IEnumerable<(string Name, byte[] Data)> Config()
    {
        yield return ("minimal.json", Encoding.UTF8.GetBytes("{ \"keyFile\": \"host.pem\" }"));
        yield return ("host.jsonc", Encoding.UTF8.GetBytes("""
            {
              "keyFile": "/etc/hipnat/host.pem",
              "listen": ["0.0.0.0:10500", "[::]:10500"],
              "peers": {
                "2001:2a:1b5c:9e01:77d2:4c1a:e9f0:3b18": ["192.0.2.10:10500"],
                "2001:2b:40aa:1f3c:2d87:9a0e:6b11:c5d4": ["[2001:db8::7]:10500", "198.51.100.3:10500"]
              },
              "transport": "udp",
              "logLevel": "information",
              "logFormat": "simple",
              "controlSocket": "/run/hipnat/hipnat.sock",
              "controlGroup": "hipnat",
              "metrics": "127.0.0.1:9464",
              "relays": [
                { "hit": "2001:2c:5a10:e3e9:1d2f:7b40:c2a1:99f0", "address": "198.51.100.1:10500", "services": ["relay-hip", "relay-esp"], "lifetimeSeconds": 600 }
              ],
              "stunServers": ["198.51.100.1:3478"],
              "ice": { "candidates": ["host", "srflx", "relay"], "ignoreInterfaces": ["docker0"], "pacingMs": 50 },
              "turnServers": [{ "address": "198.51.100.2:3478", "username": "alice", "password": "s3cret" }],
              "protocol": {
                "retransmitInitialMs": 500,
                "dhGroups": ["nist-p256", "nist-p384", "modp-3072"],
                "espSuites": [13, 8, 9],
                "puzzleLifetime": 37,
                "keepaliveIntervalSeconds": 20,
                "peerTimeoutSeconds": 60
              },
              "mobility": {},
              "multihoming": {},
              "tun": {}
            }
            """));
        yield return ("relay.jsonc", Encoding.UTF8.GetBytes("""
            {
              "keyFile": "relay.pem",
              "listen": ["198.51.100.1:10500"],
              "registrar": {
                "services": ["rendezvous", "relay-hip", "relay-esp"],
                "allow": ["2001:2a:1b5c:9e01:77d2:4c1a:e9f0:3b18", { "hit": "2001:2b:40aa:1f3c:2d87:9a0e:6b11:c5d4", "services": ["rendezvous"] }],
                "relayAddress": "198.51.100.1",
                "relayPorts": "40000-49999",
                "maxClients": 10000,
                "lifetimeMaxSeconds": 3600
              },
              "metrics": "127.0.0.1:9464"
            }
            """));
    }

    public static IEnumerable<(string Name, byte[] Data)> Control()
    {
        yield return ("status", Encoding.UTF8.GetBytes("{\"command\":\"status\"}\n"));
        yield return ("connect", Encoding.UTF8.GetBytes("{\"command\":\"connect\",\"hit\":\"2001:2a:1b5c:9e01:77d2:4c1a:e9f0:3b18\",\"timeoutSeconds\":5}\n"));
        yield return ("close", Encoding.UTF8.GetBytes("{\"command\":\"close\",\"hit\":\"2001:2a:1b5c:9e01:77d2:4c1a:e9f0:3b18\"}\n"));
        yield return ("peers-add", Encoding.UTF8.GetBytes("{\"command\":\"peers-add\",\"hit\":\"2001:2a:1b5c:9e01:77d2:4c1a:e9f0:3b18\",\"locators\":[\"192.0.2.10:10500\",\"[2001:db8::7]:10500\",\"hip://192.0.2.11\"]}\n"));
        yield return ("two-lines", Encoding.UTF8.GetBytes("{\"command\":\"status\"}\n{\"command\":\"close\",\"hit\":\"nothing\"}\n"));
    }

    private static byte[] Ipv6(Hipnat.Wire.Hit source, Hipnat.Wire.Hit destination, byte protocol, byte[] transport)
    {
        var packet = new byte[BeetPacket.Ipv6HeaderLength + transport.Length];
        BeetPacket.WriteIpv6Header(packet, source, destination, protocol, transport.Length);
        transport.CopyTo(packet, BeetPacket.Ipv6HeaderLength);
        if (BeetPacket.ChecksumOffset(protocol) >= 0)
        {
            BeetPacket.WriteIpv6TransportChecksum(packet.AsSpan(BeetPacket.Ipv6HeaderLength), protocol, source, destination);
        }

        return packet;
    }

    private static byte[] Ipv4(uint source, uint destination, byte protocol, byte[] transport, bool dontFragment)
    {
        var packet = new byte[BeetPacket.Ipv4HeaderLength + transport.Length];
        BeetPacket.WriteIpv4Header(packet, source, destination, protocol, transport.Length, identification: 77, dontFragment: dontFragment);
        transport.CopyTo(packet, BeetPacket.Ipv4HeaderLength);
        return packet;
    }
}
