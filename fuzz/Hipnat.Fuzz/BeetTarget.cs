using System.Net;
using Hipnat.Core.Transport;
using Hipnat.DataPlane.Esp;
using Hipnat.Runtime.DataPlane;
using Hipnat.Wire;
using Microsoft.Extensions.Logging.Abstractions;
using CoreSaPair = Hipnat.Core.Association.EspSaPair;

namespace Hipnat.Fuzz;

/// <summary>
/// beet: the BEET inner-packet handling of the data plane (RFC 7402 Appendix B) between two
/// <see cref="DataPlaneEngine"/>s with installed SAs (fixed keys), A towards B. Input octet 0 selects the path
/// (bit 0), the ESP suite (bit 1: AES-128-GCM or AES-128-CBC/HMAC-SHA-256) and whether hip0 has an MTU
/// (bit 2: <see cref="FuzzMtu"/>, so that larger packets get the "too big" answer and segments are cut to it):
/// even, the rest is an IP packet read from A's TUN device (parse, LSI/HIT lookup, checksum conversion, IPv4
/// fragment preparation, "too big" answers, sealing), which then reaches B (opening, inner header rebuild);
/// odd, the rest is <c>Next Header | payload</c> sealed with A's outbound SA and received by B, so that B's
/// rebuild of the inner packet sees any decrypted content.
/// </summary>
/// <remarks>
/// Each input gets a fresh engine pair, so nothing carries over from one input to the next and a crash reproduces
/// from its input alone. What keeps that cheap: a small flow table (2^8 entries instead of 2^16, allocated twice per
/// input), and a fixed answer instead of the kernel's socket tables for the family of a flow the peer opens (an
/// IPv4-only listener on odd ports, so both rebuilds are reached and the outcome does not depend on the host).
/// </remarks>
public sealed class BeetTarget : IFuzzTarget
{
    public const uint SpiAToB = 0x2000_0001;
    public const uint SpiBToA = 0x2000_0002;

    /// <summary>The MTU engine A gets when bit 2 of octet 0 is set: the IPv6 minimum (RFC 8200 §5).</summary>
    public const int FuzzMtu = 1280;
    private static readonly IPNetwork LsiNetwork = IPNetwork.Parse("198.19.0.0/16");
    private static readonly TransportAddress AddressA = TransportAddress.Udp(IPAddress.Parse("192.0.2.1"), 10500);
    private static readonly TransportAddress AddressB = TransportAddress.Udp(IPAddress.Parse("192.0.2.2"), 10500);
    private static readonly Lazy<(Hit A, Hit B)> Hits = new(() => (FuzzIdentities.A.Hit, FuzzIdentities.B.Hit));
    private static readonly byte[] KeyAToB = Enumerable.Range(0, 32).Select(i => (byte)(i + 1)).ToArray();
    private static readonly byte[] KeyBToA = Enumerable.Range(0, 32).Select(i => (byte)(0x80 + i)).ToArray();
    private static readonly byte[] AuthAToB = Enumerable.Range(0, 32).Select(i => (byte)(0x40 + i)).ToArray();
    private static readonly byte[] AuthBToA = Enumerable.Range(0, 32).Select(i => (byte)(0xC0 + i)).ToArray();
    private readonly byte[] _buffer = new byte[DataPlaneEngine.BufferSize];

    public string Name => "beet";

    /// <summary>Packets engine A wrote towards its own stack in the last run (e.g. an ICMP "too big" answer).</summary>
    public long WrittenByA { get; private set; }

    /// <summary>Packets engine B wrote towards its own stack in the last run (what reached the peer).</summary>
    public long WrittenByB { get; private set; }

    public static Hit HitA => Hits.Value.A;

    public static Hit HitB => Hits.Value.B;

    public void Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return;
        }

        ushort suite = (input[0] & 2) == 0 ? (ushort)EspSuiteId.AesGcm16 : (ushort)EspSuiteId.Aes128CbcHmacSha256;
        var (a, b, linkA, linkB) = CreateEngines(suite, (input[0] & 4) != 0 ? FuzzMtu : null);
        using (a)
        using (b)
        {
            var rest = input[1..];
            if ((input[0] & 1) == 0)
            {
                int length = Math.Min(rest.Length, DataPlaneEngine.MaxPacket);
                rest[..length].CopyTo(_buffer.AsSpan(DataPlaneEngine.Headroom));
                a.ProcessOutbound(_buffer, DataPlaneEngine.Headroom, length);
            }
            else if (!rest.IsEmpty)
            {
                var transform = EspTransform.FromSuiteId(suite);
                using var outbound = new EspSa(SpiAToB, EspSaDirection.Outbound, transform, KeyAToB.AsSpan(0, transform.EncryptionKeyLength), AuthAToB.AsSpan(0, transform.AuthenticationKeyLength));
                var payload = rest[1..];
                var esp = new byte[transform.GetSealedLength(payload.Length)];
                if (outbound.TrySeal(payload, rest[0], esp, out int sealedLength))
                {
                    b.TryReceive(esp.AsSpan(0, sealedLength), AddressB, AddressA);
                }
            }

            WrittenByA = linkA.Written;
            WrittenByB = linkB.Written;
        }
    }

    public IEnumerable<(string Name, byte[] Data)> CreateSeeds() => SeedPackets.Beet();

    /// <summary>The LSI engine A gives B (the destination of IPv4 packets A's stack sends to B).</summary>
    public static uint PeerLsiOfB()
    {
        var (a, b, _, _) = CreateEngines((ushort)EspSuiteId.AesGcm16);
        using (a)
        using (b)
        {
            return a.GetLsi(HitB);
        }
    }

    /// <summary>Engine A's own LSI.</summary>
    public static uint LocalLsiOfA()
    {
        var (a, b, _, _) = CreateEngines((ushort)EspSuiteId.AesGcm16);
        using (a)
        using (b)
        {
            return a.LocalLsi;
        }
    }

    private static (DataPlaneEngine A, DataPlaneEngine B, BeetLink LinkA, BeetLink LinkB) CreateEngines(ushort suite, int? mtuA = null)
    {
        var options = new DataPlaneOptions
        {
            TimeProvider = new FixedClock(),
            FlowTableBits = 8,
            PrefersIpv4 = static (_, port) => (port & 1) != 0,
        };
        var linkA = new BeetLink();
        var linkB = new BeetLink();
        var a = new DataPlaneEngine(HitA, new LsiAllocator(LsiNetwork), linkA, options with { Mtu = mtuA }, NullLogger.Instance);
        var b = new DataPlaneEngine(HitB, new LsiAllocator(LsiNetwork), linkB, options, NullLogger.Instance);
        linkA.Other = b;
        linkB.Other = a;
        a.AttachWriter(linkA);
        b.AttachWriter(linkB);
        var transform = EspTransform.FromSuiteId(suite);
        int e = transform.EncryptionKeyLength;
        int m = transform.AuthenticationKeyLength;
        a.InstallSa(HitB, Pair(SpiBToA, SpiAToB, suite, KeyBToA[..e], AuthBToA[..m], KeyAToB[..e], AuthAToB[..m]), null);
        b.InstallSa(HitA, Pair(SpiAToB, SpiBToA, suite, KeyAToB[..e], AuthAToB[..m], KeyBToA[..e], AuthBToA[..m]), null);
        a.SetRoute(HitB, AddressA, AddressB, relayed: false);
        b.SetRoute(HitA, AddressB, AddressA, relayed: false);
        return (a, b, linkA, linkB);
    }

    private static CoreSaPair Pair(uint inbound, uint outbound, ushort suite, byte[] inKey, byte[] inAuth, byte[] outKey, byte[] outAuth) =>
        new(inbound, outbound, suite, 0)
        {
            InboundEncryptionKey = inKey,
            InboundIntegrityKey = inAuth,
            OutboundEncryptionKey = outKey,
            OutboundIntegrityKey = outAuth,
        };
}
