using System.Globalization;
using System.Xml.Linq;
using Hipnat.Lab.Demo;

namespace Hipnat.Lab.Tests;

/// <summary>
/// The relay's traffic — registration, relayed base exchange, CLOSE — captured on the relay and decoded by tshark:
/// every datagram on the HIP port is HIP, none is malformed, no expert item has error severity, and the registration
/// and relay parameters Wireshark knows carry the NATs' real addresses. Debian 12's Wireshark 4.0 parses HOST_ID in
/// the RFC 5201 layout ("Unknown algorithm type" is a warning) and shows some HIPv2 parameters as "Unknown": expected.
/// </summary>
[Collection(nameof(HipLabCollection))]
public class HipWiresharkLabTests
{
    private const long ExpertError = 0x00800000; // PI_ERROR

    [Fact]
    public void TsharkDecodesTheRelayTrafficAsHipWithoutMalformedPacketsOrErrors()
    {
        using var lab = HipLab.Create(NatOptions.PortRestrictedCone, NatOptions.Symmetric);
        using var capture = lab.RelayHost.Capture("eth0", $"udp port {HipnatTool.Port}");
        lab.StartRelay();
        var bob = lab.StartBob();
        var alice = lab.StartAlice();
        var registration = HipLab.WaitForRegistration(bob, lab.RelayHit);
        var connect = HipLab.Connect(alice, lab.BobHit);
        Assert.True(connect.Succeeded, $"{connect}\n{lab.Logs()}");
        var close = alice.Cli(HipLab.CliTimeout, "close", lab.BobHit);
        Assert.True(close.Succeeded, close.ToString());
        alice.WaitForStatus(s => HipnatStatus.State(s, lab.BobHit) is null or "CLOSED", TimeSpan.FromSeconds(5), "CLOSE_ACK");
        var pcap = capture.Stop();

        // Only HIP control datagrams (RFC 9028 §5.1: 32 zero bits first); STUN and ESP share the port.
        var decoded = LabTshark.Pdml(pcap, "udp.payload[0:4] == 00:00:00:00");
        var packets = decoded.Root!.Elements("packet").ToList();
        Assert.True(packets.Count >= 12, $"expected the registration exchange, the relayed base exchange and CLOSE; captured {packets.Count}");
        foreach (var p in packets)
        {
            var protocols = p.Elements("proto").Select(x => (string?)x.Attribute("name")).ToList();
            Assert.True(protocols.Contains("hip"), $"not decoded as HIP ({string.Join(":", protocols)}): {p}");
            Assert.DoesNotContain("_ws.malformed", protocols);
            var errors = p.Descendants("field").Where(f => (string?)f.Attribute("name") == "_ws.expert")
                .Where(f => f.Descendants("field").Any(s => (string?)s.Attribute("name") == "_ws.expert.severity"
                    && long.TryParse((string?)s.Attribute("show"), CultureInfo.InvariantCulture, out var sev) && sev >= ExpertError))
                .Select(f => (string?)f.Attribute("showname")).ToList();
            Assert.True(errors.Count == 0, $"error expert items: {string.Join("; ", errors)}\n{p}");
            Assert.Equal("1", Field(p, "hip.checksum.status")); // Good
        }

        // Wireshark names the registration and relay parameters and reads the addresses the relay saw.
        var names = packets.SelectMany(p => p.Descendants("field").Where(f => (string?)f.Attribute("name") == "hip.type")
            .Select(f => ((string?)f.Attribute("showname") ?? string.Empty).Split(' ')[0])).ToHashSet();
        foreach (var expected in new[] { "REG_INFO", "REG_REQUEST", "REG_RESPONSE", "REG_FROM", "RELAY_FROM", "RELAY_TO" })
        {
            Assert.Contains(expected, names);
        }

        var regFrom = packets.Select(p => Field(p, "hip.tlv_reg_from_address")).First(a => a is not null);
        var regFromPort = packets.Select(p => Field(p, "hip.tlv.reg_from_port")).First(a => a is not null);
        Assert.Equal("::ffff:" + registration.Reflexive!.Address, regFrom);
        Assert.Equal(registration.Reflexive.Port.ToString(CultureInfo.InvariantCulture), regFromPort);

        // RELAY_FROM in the I1 forwarded to bob: alice's NAT's public address (nat1, endpoint-independent: port 10500).
        var relayFrom = packets.First(p => Field(p, "hip.packet_type") == "1" && Field(p, "hip.tlv_relay_from_address") is not null);
        Assert.Equal("::ffff:" + lab.Nat1.PublicAddress, Field(relayFrom, "hip.tlv_relay_from_address"));
        Assert.Equal(HipnatTool.Port.ToString(CultureInfo.InvariantCulture), Field(relayFrom, "hip.tlv.relay_from_port"));
        Assert.Equal(lab.RelayHost.Address.ToString(), Field(relayFrom, "ip.src"));
        Assert.Equal(lab.Nat2.PublicAddress.ToString(), Field(relayFrom, "ip.dst"));

        // RELAY_TO in bob's R1: back to alice's public address, sent by bob through his (symmetric) NAT's mapping.
        var relayTo = packets.First(p => Field(p, "hip.packet_type") == "2" && Field(p, "hip.tlv_relay_to_address") is not null);
        Assert.Equal("::ffff:" + lab.Nat1.PublicAddress, Field(relayTo, "hip.tlv_relay_to_address"));
    }

    private static string? Field(XElement packet, string name) =>
        packet.Descendants("field").Where(f => (string?)f.Attribute("name") == name).Select(f => (string?)f.Attribute("show")).FirstOrDefault();
}

/// <summary>Decodes lab captures with tshark.</summary>
internal static class LabTshark
{
    /// <summary><c>tshark -r PCAP -d udp.port==10500,PROTOCOL -Y FILTER -T pdml</c> (PROTOCOL hip unless given).</summary>
    public static XDocument Pdml(string pcap, string displayFilter, string protocol = "hip")
    {
        var psi = new System.Diagnostics.ProcessStartInfo("tshark")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "-n", "-r", pcap, "-d", $"udp.port=={HipnatTool.Port},{protocol}", "-Y", displayFilter, "-T", "pdml" })
        {
            psi.ArgumentList.Add(a);
        }

        using var p = System.Diagnostics.Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var xml = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"tshark failed: {stderr.Result}");
        return XDocument.Parse(xml);
    }
}
