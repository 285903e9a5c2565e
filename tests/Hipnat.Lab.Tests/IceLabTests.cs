using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Xml.Linq;
using Hipnat.Lab.Demo;

namespace Hipnat.Lab.Tests;

/// <summary>
/// ICE for HIP (RFC 9028, RFC 5770) between real daemons in the namespace lab: hosts behind iptables NATs gather
/// host, server-reflexive (STUN from the HIP socket, REG_FROM) and relayed (data relay) candidates, check them after
/// a base exchange through the relay, and move their traffic to the pair ICE selects — a direct one through
/// endpoint-independent NATs, the data relay behind address-and-port-dependent ones. `status --json` shows the pairs.
/// </summary>
[Collection(nameof(HipLabCollection))]
public class IceLabTests
{
    private static readonly TimeSpan CliTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public void BehindEndpointIndependentNatsIceSelectsADirectPairAndNothingCrossesTheRelayAfterwards()
    {
        using var lab = HipLab.Create(NatOptions.PortRestrictedCone, NatOptions.PortRestrictedCone);
        var relay = lab.StartRelay();

        // alice is not registered anywhere: she asks the relay's STUN service (its HIP port) for her reflexive address.
        lab.RelayHost.AddCounter("from-alice", "filter", "INPUT", "-p", "udp", "-s", lab.Nat1.PublicAddress.ToString());
        lab.RelayHost.AddCounter("to-alice", "filter", "OUTPUT", "-p", "udp", "-d", lab.Nat1.PublicAddress.ToString());
        using var bob = lab.Tool.StartHost(lab.BobHost, lab.Ids["bob"], "--relay", $"{lab.RelayHit}={lab.RelayEndpoint}", "--log-level", "debug");
        using var alice = lab.Tool.StartHost(lab.AliceHost, lab.Ids["alice"], "--peer", $"{lab.BobHit}={lab.RelayEndpoint}",
            "--stun", lab.RelayEndpoint.ToString(), "--log-level", "debug");
        HipLab.WaitForRegistration(bob, lab.RelayHit);
        var aliceReflexive = new IPEndPoint(lab.Nat1.PublicAddress, HipnatTool.Port);
        var candidates = alice.WaitForStatus(s => Candidates(s).Any(c => c.Type == "srflx" && c.Address == aliceReflexive.ToString()),
            TimeSpan.FromSeconds(10), $"a server-reflexive candidate {aliceReflexive} from STUN");
        Assert.Contains(Candidates(candidates), c => c.Type == "host" && c.Address == $"{lab.AliceHost.Address}:{HipnatTool.Port}" && c.Source == "interface eth0");
        Assert.Equal("ok", candidates.GetProperty("stunServers")[0].GetProperty("state").GetString());

        var connect = HipLab.Connect(alice, lab.BobHit);
        Assert.True(connect.Succeeded, $"{connect}\n{Logs(alice, bob)}");

        var bobPublic = new IPEndPoint(lab.Nat2.PublicAddress, HipnatTool.Port);
        var aliceStatus = WaitForIce(alice, lab.BobHit, ice => ice.GetProperty("concluded").GetBoolean(), "ICE completed", alice, bob);
        var bobStatus = WaitForIce(bob, lab.AliceHit, ice => ice.GetProperty("concluded").GetBoolean() || ice.TryGetProperty("selected", out _), "a selected pair", alice, bob);
        var ice = Ice(aliceStatus, lab.BobHit);
        Assert.Equal("ice-hip-udp", ice.GetProperty("mode").GetString());
        Assert.Equal("controlling", ice.GetProperty("role").GetString());
        Assert.Equal("direct", ice.GetProperty("selectedPath").GetString());
        Assert.Contains("nominated", ice.GetProperty("selectedReason").GetString(), StringComparison.Ordinal);
        var selected = ice.GetProperty("pairs").EnumerateArray().Single(p => p.GetProperty("selected").GetBoolean());
        Assert.Equal("Succeeded", selected.GetProperty("state").GetString());
        Assert.True(selected.GetProperty("nominated").GetBoolean(), selected.ToString());
        Assert.Equal(bobPublic.ToString(), selected.GetProperty("remote").GetString());
        Assert.True(ice.GetProperty("pairs").GetArrayLength() >= 2, ice.ToString());
        Assert.Equal("controlled", Ice(bobStatus, lab.AliceHit).GetProperty("role").GetString());
        Assert.Equal(bobPublic, HipnatStatus.PeerAddress(aliceStatus, lab.BobHit));
        Assert.Equal("direct", HipnatStatus.ActivePath(aliceStatus, lab.BobHit));
        HipLab.WaitForPath(bob, lab.AliceHit, p => p.Equals(aliceReflexive), TimeSpan.FromSeconds(10), $"bob's path to alice at {aliceReflexive}");

        // From now on nothing of alice's crosses the relay: ESP (ping over hip0) and HIP (CLOSE) both go direct.
        var fromAlice = lab.RelayHost.ReadCounter("from-alice").Packets;
        var toAlice = lab.RelayHost.ReadCounter("to-alice").Packets;
        var relayBefore = relay.Status();
        var aliceBefore = alice.Status();
        var bobBefore = bob.Status();
        var ping = alice.Cli(CliTimeout, "ping", lab.BobHit, "--count", "3", "--interval", "0.2");
        Assert.True(ping.Succeeded, $"{ping}\n{Logs(alice, bob)}");
        Assert.Contains($"-> {bobPublic} (direct)", ping.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("ICE ice-hip-udp completed", ping.StandardOutput, StringComparison.Ordinal);

        var table = alice.Cli(CliTimeout, "status");
        Assert.True(table.Succeeded, table.ToString());
        Assert.Contains($"ICE with {lab.BobHit}: ice-hip-udp, controlling, completed", table.StandardOutput, StringComparison.Ordinal);
        TestContext.Current.TestOutputHelper?.WriteLine(table.StandardOutput);

        var close = alice.Cli(HipLab.CliTimeout, "close", lab.BobHit);
        Assert.True(close.Succeeded, close.ToString());
        alice.WaitForStatus(s => HipnatStatus.State(s, lab.BobHit) is null or "CLOSED", TimeSpan.FromSeconds(5), "CLOSE_ACK from bob");
        // The one thing allowed through the relay: when a reply is late on a loaded machine, a host suspects the direct
        // path and sends a copy of its signed echo through the control relay (draft-melen-hip-nat-mm §5.2) — one packet
        // per suspicion, relayed to the peer. Alice's copies reach bob, whose answer comes direct; bob's reach alice,
        // whose answer to a relayed packet goes back through the relay (RELAY_TO). Nothing else, and no ESP.
        var suspected = HipnatStatus.Counter(alice.Status(), "pathsSuspected") - HipnatStatus.Counter(aliceBefore, "pathsSuspected");
        var bobSuspected = HipnatStatus.Counter(bob.Status(), "pathsSuspected") - HipnatStatus.Counter(bobBefore, "pathsSuspected");
        var fromAliceAfter = lab.RelayHost.ReadCounter("from-alice").Packets;
        var toAliceAfter = lab.RelayHost.ReadCounter("to-alice").Packets;
        Assert.True(fromAliceAfter - fromAlice <= suspected + bobSuspected && toAliceAfter - toAlice <= bobSuspected,
            $"alice -> relay {fromAlice} -> {fromAliceAfter}, relay -> alice {toAlice} -> {toAliceAfter}, suspected by alice {suspected}, by bob {bobSuspected}\n{Logs(alice, bob)}");
        var relayAfter = relay.Status();
        Assert.True(HipnatStatus.Counter(relayAfter, "relayed") - HipnatStatus.Counter(relayBefore, "relayed") <= suspected + (2 * bobSuspected), relayAfter.ToString());
        Assert.Equal(HipnatStatus.Counter(relayBefore, "espRelayed"), HipnatStatus.Counter(relayAfter, "espRelayed"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)] // the default: the data relay is asked for because the relay offers it
    public void BehindAddressAndPortDependentNatsIceFallsBackToTheDataRelayAndPingStillWorks(bool relayEspFlag)
    {
        using var lab = HipLab.Create(NatOptions.Symmetric, NatOptions.Symmetric);
        var relay = lab.StartRelay();
        string[] register = ["--relay", $"{lab.RelayHit}={lab.RelayEndpoint}", .. relayEspFlag ? new[] { "--relay-esp" } : [], "--log-level", "debug"];
        using var bob = lab.Tool.StartHost(lab.BobHost, lab.Ids["bob"], register);
        using var alice = lab.Tool.StartHost(lab.AliceHost, lab.Ids["alice"], [.. register, "--peer", $"{lab.BobHit}={lab.RelayEndpoint}"]);
        foreach (var d in new[] { alice, bob })
        {
            d.WaitForStatus(s => Candidates(s).Any(c => c.Type == "relay"), TimeSpan.FromSeconds(10), "a relayed candidate (RELAYED_ADDRESS)");
        }

        var connect = HipLab.Connect(alice, lab.BobHit);
        Assert.True(connect.Succeeded, $"{connect}\n{Logs(alice, bob)}");

        // --random-fully gives every 5-tuple its own port: no direct pair can work, and after the relay fallback delay
        // the controlling side nominates a pair through the data relay.
        var aliceStatus = WaitForIce(alice, lab.BobHit, ice => ice.TryGetProperty("selected", out _), "a selected pair", alice, bob);
        var ice = Ice(aliceStatus, lab.BobHit);
        Assert.Equal("relay", ice.GetProperty("selectedPath").GetString());
        var selected = ice.GetProperty("pairs").EnumerateArray().Single(p => p.GetProperty("selected").GetBoolean());
        Assert.True(selected.GetProperty("relayed").GetBoolean(), selected.ToString());
        Assert.Contains(ice.GetProperty("pairs").EnumerateArray(), p => !p.GetProperty("relayed").GetBoolean() && p.GetProperty("state").GetString() is "Failed" or "InProgress");
        Assert.DoesNotContain(ice.GetProperty("pairs").EnumerateArray(), p => !p.GetProperty("relayed").GetBoolean() && p.GetProperty("state").GetString() == "Succeeded");
        var association = HipnatStatus.Association(aliceStatus, lab.BobHit)!.Value;
        Assert.Equal("relay", association.GetProperty("activePath").GetString());
        Assert.True(association.GetProperty("viaDataRelay").GetBoolean(), association.ToString());
        WaitForIce(bob, lab.AliceHit, i => i.TryGetProperty("selected", out _), "a selected pair on bob's side", alice, bob);

        // ESP crosses the data relay both ways.
        long espBefore = HipnatStatus.Counter(relay.Status(), "espRelayed");
        var ping = alice.Cli(CliTimeout, "ping", lab.BobHit, "--count", "3", "--interval", "0.2");
        Assert.True(ping.Succeeded, $"{ping}\n{Logs(alice, bob)}");
        Assert.Contains("3 received", ping.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("(relayed via", ping.StandardOutput, StringComparison.Ordinal);
        Assert.True(HipnatStatus.Counter(relay.Status(), "espRelayed") - espBefore >= 6, $"the data relay forwarded too little ESP: {relay.Status()}");
        var table = alice.Cli(CliTimeout, "status");
        TestContext.Current.TestOutputHelper?.WriteLine(ping.StandardOutput + "\n" + table.StandardOutput);
    }

    [Fact]
    public void WithRelayLeftOutOfTheCandidatesNoPairUsesTheDataRelay()
    {
        using var lab = HipLab.Create(NatOptions.Symmetric, NatOptions.Symmetric);
        lab.StartRelay();
        string[] args = ["--relay", $"{lab.RelayHit}={lab.RelayEndpoint}", "--relay-esp", "--ice-candidates", "host,srflx", "--tun", "off"];
        using var bob = lab.Tool.StartHost(lab.BobHost, lab.Ids["bob"], args);
        using var alice = lab.Tool.StartHost(lab.AliceHost, lab.Ids["alice"], [.. args, "--peer", $"{lab.BobHit}={lab.RelayEndpoint}"]);
        HipLab.WaitForRegistration(bob, lab.RelayHit);
        HipLab.WaitForRegistration(alice, lab.RelayHit);
        Assert.DoesNotContain(Candidates(alice.Status()), c => c.Type == "relay");

        var connect = HipLab.Connect(alice, lab.BobHit);
        Assert.True(connect.Succeeded, $"{connect}\n{Logs(alice, bob)}");
        var ice = Ice(WaitForIce(alice, lab.BobHit, i => i.GetProperty("pairs").GetArrayLength() > 0, "a checklist", alice, bob), lab.BobHit);
        Assert.DoesNotContain(ice.GetProperty("localCandidates").EnumerateArray(), c => c.GetProperty("type").GetString() == "relay");
        Assert.DoesNotContain(ice.GetProperty("pairs").EnumerateArray(), p => p.GetProperty("relayed").GetBoolean());
    }

    [Fact]
    public void AHostWithTwoInterfacesOffersAHostCandidateOnEachInTheConfiguredOrder()
    {
        LabRequirement.Root();
        using var lab = NetworkLab.Create();
        var netA = lab.AddSegment("net-a", "203.0.113.0/24");
        var netB = lab.AddSegment("net-b", "198.18.5.0/24");
        var aliceHost = lab.AddHost("alice", netA);
        var aliceB = aliceHost.AddInterface(netB);
        var bobHost = lab.AddHost("bob", netA);
        var bobB = bobHost.AddInterface(netB);
        var tool = HipnatTool.ForLab(lab, HipLab.HipnatDll());
        var ids = tool.Keygen("alice", "bob");
        using var bob = tool.StartHost(bobHost, ids["bob"], "--tun", "off");

        // alice prefers eth1 (net-b) to eth0 (net-a): that is the order of her host candidates' local preferences.
        using var alice = tool.StartHost(aliceHost, ids["alice"], "--tun", "off", "--ice-interface", "eth1", "--ice-interface", "eth0",
            "--peer", $"{ids["bob"].Hit}={bobHost.Address}:{HipnatTool.Port}");
        var aliceA = $"{aliceHost.Address}:{HipnatTool.Port}";
        var aliceBAddress = $"{aliceB.Address}:{HipnatTool.Port}";
        var offered = Candidates(alice.Status());
        Assert.Equal([aliceBAddress, aliceA], offered.Where(c => c.Type == "host").Select(c => c.Address));
        Assert.Equal(["interface eth1", "interface eth0"], offered.Where(c => c.Type == "host").Select(c => c.Source));
        Assert.Equal(2, Candidates(bob.Status()).Count(c => c.Type == "host"));

        var connect = HipLab.Connect(alice, ids["bob"].Hit);
        Assert.True(connect.Succeeded, $"{connect}\n{Logs(alice, bob)}");
        var status = WaitForIce(alice, ids["bob"].Hit, ice => ice.GetProperty("concluded").GetBoolean(), "ICE completed", alice, bob);
        var ice = Ice(status, ids["bob"].Hit);
        var locals = ice.GetProperty("localCandidates").EnumerateArray().Where(c => c.GetProperty("type").GetString() == "host").ToList();
        Assert.Equal([aliceBAddress, aliceA], locals.Select(c => c.GetProperty("address").GetString()));
        Assert.True(locals[0].GetProperty("priority").GetUInt32() > locals[1].GetProperty("priority").GetUInt32(), ice.ToString());

        // Pairs on both networks, and each same-network pair works.
        var pairs = ice.GetProperty("pairs").EnumerateArray().ToList();
        var bobBAddress = $"{bobB.Address}:{HipnatTool.Port}";
        var bobA = $"{bobHost.Address}:{HipnatTool.Port}";
        Assert.Contains(pairs, p => p.GetProperty("local").GetString() == aliceBAddress && p.GetProperty("remote").GetString() == bobBAddress);
        Assert.Contains(pairs, p => p.GetProperty("local").GetString() == aliceA && p.GetProperty("remote").GetString() == bobA);
        Assert.Contains(pairs, p => p.GetProperty("selected").GetBoolean() && p.GetProperty("state").GetString() == "Succeeded");

        // bob learnt both of alice's addresses from her LOCATOR_SET (inside ENCRYPTED in I2).
        var bobIce = WaitForIce(bob, ids["alice"].Hit, i => i.TryGetProperty("selected", out _), "a selected pair", alice, bob);
        var remotes = Ice(bobIce, ids["alice"].Hit).GetProperty("remoteCandidates").EnumerateArray()
            .Where(c => c.GetProperty("type").GetString() == "host").Select(c => c.GetProperty("address").GetString()).ToList();
        Assert.Contains(aliceA, remotes);
        Assert.Contains(aliceBAddress, remotes);

        // Each check leaves from its pair's local address (IP_PKTINFO on the wildcard socket) and each datagram is
        // reported on the address it arrived at, so every answer matches its check: no CheckMismatch on either side.
        var aliceStatus = alice.Status();
        var bobStatus = bob.Status();
        Assert.True(HipnatStatus.Drops(aliceStatus, "CheckMismatch") == 0, $"alice dropped answers as CheckMismatch: {aliceStatus}\n{Logs(alice, bob)}");
        Assert.True(HipnatStatus.Drops(bobStatus, "CheckMismatch") == 0, $"bob dropped answers as CheckMismatch: {bobStatus}\n{Logs(alice, bob)}");
        TestContext.Current.TestOutputHelper?.WriteLine(alice.Cli(CliTimeout, "status").StandardOutput);
    }

    [Fact]
    public void TsharkDecodesIceHipUdpChecksAsHipUpdatesWithCandidatePriorityAndNominate()
    {
        using var pair = PlainPair.Create();
        using var capture = pair.AliceHost.Capture("eth0", $"udp port {HipnatTool.Port}");
        var (alice, bob) = pair.Start();
        var connect = HipLab.Connect(alice, bob.Hit);
        Assert.True(connect.Succeeded, $"{connect}\n{Logs(alice, bob)}");
        WaitForIce(alice, bob.Hit, ice => ice.GetProperty("concluded").GetBoolean(), "ICE completed", alice, bob);
        WaitForIce(bob, alice.Hit, ice => ice.GetProperty("concluded").GetBoolean(), "ICE completed on bob's side", alice, bob);
        Assert.Equal("ice-hip-udp", Ice(alice.Status(), bob.Hit).GetProperty("mode").GetString());
        var pcap = capture.Stop();

        var packets = LabTshark.Pdml(pcap, "udp.payload[0:4] == 00:00:00:00").Root!.Elements("packet").ToList();
        AssertClean(packets, "hip");
        var updates = packets.Where(p => Field(p, "hip.packet_type") == "16").ToList();
        var checks = updates.Where(p => HasParameter(p, 4700)).ToList(); // CANDIDATE_PRIORITY, RFC 9028 §5.14
        Assert.True(checks.Count >= 2, $"expected connectivity checks (UPDATE with CANDIDATE_PRIORITY) from both sides; {updates.Count} UPDATEs");
        Assert.Contains(updates, p => HasParameter(p, 4710)); // NOMINATE, RFC 9028 §5.15
        Assert.All(checks, p => Assert.True(HasParameter(p, 321) || HasParameter(p, 897), $"a check without ECHO_REQUEST_SIGNED: {p}"));
        Assert.Contains(updates, p => HasParameter(p, 4660)); // MAPPED_ADDRESS in an answer
    }

    [Fact]
    public void WithIceStunUdpForcedOnBothHostsTsharkDecodesTheStunChecks()
    {
        using var pair = PlainPair.Create();
        using var capture = pair.AliceHost.Capture("eth0", $"udp port {HipnatTool.Port}");
        var (alice, bob) = pair.Start("--nat-modes", "ice-stun-udp");
        var connect = HipLab.Connect(alice, bob.Hit);
        Assert.True(connect.Succeeded, $"{connect}\n{Logs(alice, bob)}");
        var status = WaitForIce(alice, bob.Hit, ice => ice.GetProperty("concluded").GetBoolean(), "ICE completed", alice, bob);
        Assert.Equal("ice-stun-udp", Ice(status, bob.Hit).GetProperty("mode").GetString());
        Assert.Contains("USE-CANDIDATE", Ice(status, bob.Hit).GetProperty("selectedReason").GetString(), StringComparison.Ordinal);
        var pcap = capture.Stop();

        // STUN shares the HIP port: decode it as STUN, the packets with the magic cookie after the type and length.
        var stun = LabTshark.Pdml(pcap, "udp.payload[4:4] == 21:12:a4:42", "stun").Root!.Elements("packet").ToList();
        AssertClean(stun, "stun");
        var requests = stun.Where(p => Field(p, "stun.type") == "0x0001").ToList(); // Binding Request
        var answers = stun.Where(p => Field(p, "stun.type") == "0x0101").ToList(); // Binding Success Response
        Assert.True(requests.Count >= 2 && answers.Count >= 2, $"{requests.Count} Binding requests, {answers.Count} success responses");
        Assert.All(requests, p =>
        {
            foreach (var attribute in new[] { "USERNAME", "PRIORITY", "MESSAGE-INTEGRITY", "FINGERPRINT" })
            {
                Assert.True(Attributes(p).Any(a => a.StartsWith(attribute, StringComparison.Ordinal)), $"a check without {attribute}: {string.Join(", ", Attributes(p))}");
            }

            Assert.True(Attributes(p).Any(a => a is "ICE-CONTROLLING" or "ICE-CONTROLLED"), $"a check without its ICE role: {string.Join(", ", Attributes(p))}");
        });
        Assert.Contains(requests, p => Attributes(p).Contains("USE-CANDIDATE") && Attributes(p).Contains("ICE-CONTROLLING"));
        Assert.All(answers, p => Assert.Contains(Attributes(p), a => a.StartsWith("XOR-MAPPED-ADDRESS: 203.0.113.", StringComparison.Ordinal)));
        Assert.All(stun, p => Assert.Equal("1", Field(p, "stun.att.crc32.status"))); // FINGERPRINT good

        // The HIP control packets on the same port still decode as HIP.
        AssertClean(LabTshark.Pdml(pcap, "udp.payload[0:4] == 00:00:00:00").Root!.Elements("packet").ToList(), "hip");
    }

    private const long ExpertError = 0x00800000; // PI_ERROR

    private static void AssertClean(List<XElement> packets, string protocol)
    {
        Assert.NotEmpty(packets);
        foreach (var p in packets)
        {
            var protocols = p.Elements("proto").Select(x => (string?)x.Attribute("name")).ToList();
            Assert.True(protocols.Contains(protocol), $"not decoded as {protocol} ({string.Join(":", protocols)}): {p}");
            Assert.DoesNotContain("_ws.malformed", protocols);
            var errors = p.Descendants("field").Where(f => (string?)f.Attribute("name") == "_ws.expert")
                .Where(f => f.Descendants("field").Any(s => (string?)s.Attribute("name") == "_ws.expert.severity"
                    && long.TryParse((string?)s.Attribute("show"), CultureInfo.InvariantCulture, out var sev) && sev >= ExpertError))
                .Select(f => (string?)f.Attribute("showname")).ToList();
            Assert.True(errors.Count == 0, $"error expert items: {string.Join("; ", errors)}\n{p}");
        }
    }

    private static bool HasParameter(XElement packet, int type) =>
        packet.Descendants("field").Any(f => (string?)f.Attribute("name") == "hip.type" && (string?)f.Attribute("show") == type.ToString(CultureInfo.InvariantCulture));

    private static List<string> Attributes(XElement packet) =>
        packet.Descendants("field").Where(f => (string?)f.Attribute("name") == "stun.attribute").Select(f => (string?)f.Attribute("showname") ?? string.Empty).ToList();

    private static string? Field(XElement packet, string name) =>
        packet.Descendants("field").Where(f => (string?)f.Attribute("name") == name).Select(f => (string?)f.Attribute("show")).FirstOrDefault();

    /// <summary>Two hosts on one segment (203.0.113.0/24), no NAT, no relay: the checks are all that crosses it.</summary>
    private sealed class PlainPair : IDisposable
    {
        private readonly List<HipnatDaemon> _daemons = [];

        private PlainPair()
        {
            Lab = NetworkLab.Create();
            try
            {
                var segment = Lab.AddSegment("lan", "203.0.113.0/24");
                AliceHost = Lab.AddHost("alice", segment);
                BobHost = Lab.AddHost("bob", segment);
                Tool = HipnatTool.ForLab(Lab, HipLab.HipnatDll());
                Ids = Tool.Keygen("alice", "bob");
            }
            catch
            {
                Lab.Dispose();
                throw;
            }
        }

        public NetworkLab Lab { get; }

        public LabHost AliceHost { get; }

        public LabHost BobHost { get; }

        public HipnatTool Tool { get; }

        public IReadOnlyDictionary<string, HipnatIdentity> Ids { get; }

        public static PlainPair Create()
        {
            LabRequirement.Root();
            return new PlainPair();
        }

        public (HipnatDaemon Alice, HipnatDaemon Bob) Start(params string[] args)
        {
            var bob = Tool.StartHost(BobHost, Ids["bob"], ["--tun", "off", .. args]);
            _daemons.Add(bob);
            var alice = Tool.StartHost(AliceHost, Ids["alice"], ["--tun", "off", "--peer", $"{bob.Hit}={BobHost.Address}:{HipnatTool.Port}", .. args]);
            _daemons.Add(alice);
            return (alice, bob);
        }

        public void Dispose()
        {
            foreach (var d in _daemons)
            {
                d.Dispose();
            }

            Lab.Dispose();
        }
    }

    internal sealed record CandidateView(string Type, string Address, string? Source);

    internal static IReadOnlyList<CandidateView> Candidates(JsonElement status) =>
        status.TryGetProperty("iceCandidates", out var list)
            ? list.EnumerateArray().Select(c => new CandidateView(
                c.GetProperty("type").GetString()!,
                c.GetProperty("address").GetString()!,
                c.TryGetProperty("source", out var s) ? s.GetString() : null)).ToList()
            : [];

    internal static JsonElement Ice(JsonElement status, string peerHit) =>
        HipnatStatus.Association(status, peerHit) is { } a && a.TryGetProperty("ice", out var ice)
            ? ice
            : throw new Xunit.Sdk.XunitException($"no ICE state for {peerHit}: {status}");

    internal static JsonElement WaitForIce(HipnatDaemon d, string peerHit, Func<JsonElement, bool> condition, string what, params HipnatDaemon[] all)
    {
        try
        {
            return d.WaitForStatus(
                s => HipnatStatus.Association(s, peerHit) is { } a && a.TryGetProperty("ice", out var ice) && condition(ice),
                TimeSpan.FromSeconds(15),
                what);
        }
        catch (TimeoutException e)
        {
            throw new Xunit.Sdk.XunitException($"{e.Message}\n{Logs(all)}");
        }
    }

    internal static string Logs(params HipnatDaemon[] daemons) => string.Join('\n', daemons.Select(d => d.Tail(60)));
}
