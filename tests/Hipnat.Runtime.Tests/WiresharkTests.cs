using System.Globalization;
using System.Xml.Linq;
using Hipnat.Crypto;
using Hipnat.Runtime.Control;
using Hipnat.Runtime.Tests.Support;
using Hipnat.Wire;

namespace Hipnat.Runtime.Tests;

/// <summary>
/// A base exchange between two hipnat processes, captured with tshark: Wireshark must decode every packet as HIP
/// without malformed packets or error-level expert items, and the fields it knows must equal what the daemons say
/// they negotiated. Debian 12's Wireshark 4.0 parses HOST_ID in the RFC 5201 layout ("Unknown algorithm type" is a
/// warning) and shows DH_GROUP_LIST, TRANSPORT_FORMAT_LIST and R1_COUNTER as "Unknown": both are expected.
/// </summary>
public sealed class WiresharkTests : IDisposable
{
    private const int I1 = 1;
    private const int R1 = 2;
    private const int I2 = 3;
    private const int R2 = 4;
    private const int Close = 18;
    private const int CloseAck = 19;

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task HipOverUdpDecodesCleanlyAndMatchesTheNegotiation()
    {
        Assert.SkipWhen(TsharkCapture.Unavailable is not null, TsharkCapture.Unavailable ?? string.Empty);
        var (portA, portB) = Ports.TwoFreeUdpPorts();
        var hitA = TestKeys.Create(_dir.File("a.pem"));
        var hitB = TestKeys.Create(_dir.File("b.pem"), HostIdentityKind.EcdsaP384);
        using var capture = await TsharkCapture.StartAsync($"udp port {portA} or udp port {portB}", _dir.File("udp.pcapng"));
        using var alice = await DaemonProcess.StartAsync(hitA, _dir.File("a.sock"),
            "--key", _dir.File("a.pem"), "--listen", $"127.0.0.1:{portA}", "--peer", $"{hitB}=127.0.0.1:{portB}");
        using var bob = await DaemonProcess.StartAsync(hitB, _dir.File("b.sock"),
            "--key", _dir.File("b.pem"), "--listen", $"127.0.0.1:{portB}", "--peer", $"{hitA}=127.0.0.1:{portA}");

        var (statusA, statusB) = await ExchangeAndCloseAsync(alice, bob);
        await capture.StopAsync();
        var pdml = await capture.DecodeAsync($"udp.port=={portA},hip", $"udp.port=={portB},hip");

        var packets = CheckAll(pdml, raw: false);
        CheckNegotiation(packets, hitA, hitB, statusA, statusB);
    }

    [Fact]
    public async Task RawHipDecodesNativelyWithGoodChecksums()
    {
        Assert.SkipUnless(NativeSignals.IsRoot, "raw HIP (IP protocol 139) needs root; CI runs as root");
        Assert.SkipWhen(TsharkCapture.Unavailable is not null, TsharkCapture.Unavailable ?? string.Empty);
        var (ipA, ipB) = Ports.LoopbackPair();
        var hitA = TestKeys.Create(_dir.File("a.pem"));
        var hitB = TestKeys.Create(_dir.File("b.pem"));
        using var capture = await TsharkCapture.StartAsync($"ip proto 139 and host {ipA}", _dir.File("raw.pcapng"));
        using var alice = await DaemonProcess.StartAsync(hitA, _dir.File("a.sock"),
            "--raw", "--key", _dir.File("a.pem"), "--listen", ipA.ToString(), "--peer", $"{hitB}={ipB}");
        using var bob = await DaemonProcess.StartAsync(hitB, _dir.File("b.sock"),
            "--raw", "--key", _dir.File("b.pem"), "--listen", ipB.ToString(), "--peer", $"{hitA}={ipA}");

        var (statusA, statusB) = await ExchangeAndCloseAsync(alice, bob);
        await capture.StopAsync();
        var pdml = await capture.DecodeAsync();

        var packets = CheckAll(pdml, raw: true);
        foreach (var p in packets)
        {
            Assert.Equal("139", p.Field("ip.proto"));
            Assert.NotEqual("0x0000", p.Field("hip.checksum"));
        }

        CheckNegotiation(packets, hitA, hitB, statusA, statusB);
    }

    private static async Task<(AssociationReport A, AssociationReport B)> ExchangeAndCloseAsync(DaemonProcess alice, DaemonProcess bob)
    {
        var connect = await alice.CliAsync("connect", bob.Hit, "--timeout", "15");
        Assert.True(connect.ExitCode == 0, connect + alice.Process.Output + bob.Process.Output);
        var a = Assert.Single((await StatusJson.WaitForStateAsync(alice, bob.Hit, "ESTABLISHED", TimeSpan.FromSeconds(10))).Associations);
        var b = Assert.Single((await StatusJson.WaitForStateAsync(bob, alice.Hit, "ESTABLISHED", TimeSpan.FromSeconds(10))).Associations);
        var close = await alice.CliAsync("close", bob.Hit);
        Assert.True(close.ExitCode == 0, close.ToString());
        await EndToEndTests.WaitUntilAsync(async () => (await alice.StatusAsync()).Associations.All(x => x.State != "CLOSING"), TimeSpan.FromSeconds(10));
        return (a, b);
    }

    /// <summary>Every packet is HIP, none malformed, no error-level expert item, checksum good.</summary>
    private static List<PdmlPacket> CheckAll(XDocument pdml, bool raw)
    {
        var packets = pdml.Root!.Elements("packet").Select(p => new PdmlPacket(p)).ToList();
        Assert.True(packets.Count >= 6, $"expected I1, R1, I2, R2, CLOSE, CLOSE_ACK; captured {packets.Count} packets");
        foreach (var p in packets)
        {
            Assert.True(p.Hip is not null, $"not decoded as HIP ({string.Join(":", p.Protocols)}):\n{p}");
            Assert.DoesNotContain("_ws.malformed", p.Protocols);
            Assert.Empty(p.ExpertErrors);
            Assert.Equal("1", p.Field("hip.checksum.status")); // 1 = Good
            Assert.Equal(raw ? "ip" : "udp", p.Protocols.Reverse().Skip(1).First());
        }

        // In this order; a retransmission (an I2 sent again while its R2 is on the way, on a loaded machine) repeats a step.
        var steps = packets.Select(p => p.PacketType).Where((t, i) => i == 0 || t != packets[i - 1].PacketType).Take(4);
        Assert.Equal([I1, R1, I2, R2], steps);
        Assert.Contains(packets, p => p.PacketType == Close);
        Assert.Contains(packets, p => p.PacketType == CloseAck);
        return packets;
    }

    /// <summary>The fields Wireshark 4.0 understands equal what was sent and what the daemons report.</summary>
    private static void CheckNegotiation(List<PdmlPacket> packets, string hitA, string hitB, AssociationReport a, AssociationReport b)
    {
        var i1 = packets.First(p => p.PacketType == I1);
        var r1 = packets.First(p => p.PacketType == R1);
        var i2 = packets.First(p => p.PacketType == I2);
        var r2 = packets.First(p => p.PacketType == R2);
        string hexA = Hex(hitA);
        string hexB = Hex(hitB);
        Assert.Equal(hexA, i1.Values("hip.hit_sndr").Single());
        Assert.Equal(hexB, i1.Values("hip.hit_rcvr").Single());
        Assert.Equal(hexB, r1.Values("hip.hit_sndr").Single());
        Assert.Equal(hexA, i2.Values("hip.hit_sndr").Single());
        Assert.Equal(hexB, i2.Values("hip.hit_rcvr").Single());
        Assert.Equal(hexB, r2.Values("hip.hit_sndr").Single());

        // R1 offers the defaults (no protocol tunables were configured); I2 picks what status reports.
        using var any = HostIdentity.Generate(HostIdentityKind.EcdsaP256);
        var defaults = new Hipnat.Core.Host.HipHostOptions { Identity = any };
        Assert.Equal(defaults.Ciphers.Select(c => ((int)c).ToString(CultureInfo.InvariantCulture)), PdmlPacket.FieldsIn(r1.Parameter("HIP_CIPHER"), "hip.tlv.cipher_id"));
        Assert.Equal(defaults.EspSuites.Select(s => s.ToString(CultureInfo.InvariantCulture)), PdmlPacket.FieldsIn(r1.Parameter("ESP_TRANSFORM"), "hip.tlv.trans_id"));
        var cipher = (int)Enum.Parse<HipCipherId>(a.Cipher);
        Assert.Equal([cipher.ToString(CultureInfo.InvariantCulture)], PdmlPacket.FieldsIn(i2.Parameter("HIP_CIPHER"), "hip.tlv.cipher_id"));
        Assert.Equal([a.EspSuite.ToString(CultureInfo.InvariantCulture)], PdmlPacket.FieldsIn(i2.Parameter("ESP_TRANSFORM"), "hip.tlv.trans_id"));
        var group = ((int)Enum.Parse<DhGroupId>(a.DhGroup)).ToString(CultureInfo.InvariantCulture);
        Assert.Equal([group], r1.Fields("hip.tlv.dh_group_id"));
        Assert.Equal([group], i2.Fields("hip.tlv.dh_group_id"));

        // HIT_SUITE_LIST in R1 accepts both hosts' suites (the OGA ID is the HIT suite ID).
        var suites = PdmlPacket.FieldsIn(r1.Parameter("HIT_SUITE_LIST"), "hip.tlv.hit_suite_id").ToList();
        Assert.Contains(Hit.Parse(hitA).OgaId.ToString(CultureInfo.InvariantCulture), suites);
        Assert.Contains(Hit.Parse(hitB).OgaId.ToString(CultureInfo.InvariantCulture), suites);

        // ESP_INFO: I2 carries the initiator's inbound SPI, R2 the responder's.
        Assert.Equal("0x" + a.SecurityAssociations[0].InboundSpi, i2.Field("hip.tlv_esp_info_new_spi"));
        Assert.Equal("0x" + b.SecurityAssociations[0].InboundSpi, r2.Field("hip.tlv_esp_info_new_spi"));
        Assert.Equal("0x00000000", i2.Field("hip.tlv_esp_info_old_spi"));
    }

    private static string Hex(string hit) => Convert.ToHexStringLower(Hit.Parse(hit).ToArray());
}
