using System.Globalization;
using System.Net;
using System.Text.Json;
using Hipnat.Lab.Demo;
using Xunit.Sdk;

namespace Hipnat.Lab.Tests;

/// <summary>
/// `hipnat netcheck` behind real iptables NATs against real coturn servers on the public segment: two coturn
/// instances on two ports of one public address plus one on a second address, so the report can tell
/// endpoint-independent mapping (plain MASQUERADE) from address-and-port-dependent mapping (MASQUERADE
/// --random-fully), RFC 4787 §4.1; hairpinning (§6) with and without a hairpin rule on the NAT's inside interface;
/// no NAT on the public segment; UDP blocked; servers from a config file, one of them a hipnat relay.
/// </summary>
public class NetcheckLabTests
{
    private const int StunPort = 3478;
    private const int SecondPort = 3490;

    /// <summary>stun1 203.0.113.10 (coturn on 3478 and 3490), stun2 203.0.113.11 (coturn on 3478), nat 203.0.113.12 with alice 198.18.1.10 behind it.</summary>
    private sealed class Topology : IDisposable
    {
        private readonly List<IDisposable> processes = [];

        public Topology(NatOptions natOptions, bool startServers = true)
        {
            LabRequirement.Root();
            Assert.SkipUnless(File.Exists("/usr/bin/turnserver"), "coturn is not installed (apt-get install coturn; scripts/install-deps.sh does it)");
            Lab = NetworkLab.Create();
            try
            {
                Public = Lab.AddSegment("public", "203.0.113.0/24");
                Stun1 = Lab.AddHost("stun1", Public);
                Stun2 = Lab.AddHost("stun2", Public);
                Nat = Lab.AddNat("nat", Public, "198.18.1.0/24", natOptions);
                Alice = Nat.AddHost("alice");
                if (startServers)
                {
                    processes.Add(StartCoturn(Stun1, StunPort, 49152));
                    processes.Add(StartCoturn(Stun1, SecondPort, 49400));
                    processes.Add(StartCoturn(Stun2, StunPort, 49152));
                }
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        public NetworkLab Lab { get; }

        public LabSegment Public { get; }

        public LabHost Stun1 { get; }

        public LabHost Stun2 { get; }

        public LabNat Nat { get; }

        public LabHost Alice { get; }

        /// <summary>Two ports of stun1, then stun2: every pair RFC 4787 §4.1 needs.</summary>
        public string[] StunArgs =>
        [
            "--stun", $"{Stun1.Address}:{StunPort}", "--stun", $"{Stun1.Address}:{SecondPort}", "--stun", $"{Stun2.Address}:{StunPort}",
        ];

        public void Track(IDisposable process) => processes.Add(process);

        public void Dispose()
        {
            foreach (var p in processes)
            {
                p.Dispose();
            }

            Lab.Dispose();
        }
    }

    private static LabProcess StartCoturn(LabHost host, int port, int minRelayPort)
    {
        string p = port.ToString(CultureInfo.InvariantCulture);
        var dir = Path.Combine(host.Lab.WorkDirectory, $"{host.Name}-{p}");
        Directory.CreateDirectory(dir);
        var process = host.Start(
            "turnserver", "-n", "--listening-ip", host.Address.ToString(), "--relay-ip", host.Address.ToString(),
            "--listening-port", p, "--no-rfc5780",
            "--min-port", minRelayPort.ToString(CultureInfo.InvariantCulture), "--max-port", (minRelayPort + 100).ToString(CultureInfo.InvariantCulture),
            "--lt-cred-mech", "--user", "lab:secret", "--realm", "hipnat.lab",
            "--no-tls", "--no-dtls", "--no-tcp", "--no-cli", "--log-file", "stdout",
            "--pidfile", Path.Combine(dir, "turnserver.pid"), "--userdb", Path.Combine(dir, "turndb"));
        process.WaitForOutput("(listener opened on|Total General servers)", TimeSpan.FromSeconds(10));
        return process;
    }

    private static LabCommandResult Run(LabHost host, params string[] args)
    {
        var result = host.Run(TimeSpan.FromSeconds(60), "dotnet", [HipLab.HipnatDll(), "netcheck", .. args, .. args.Contains("--timeout") ? Array.Empty<string>() : ["--timeout", "2"]]);
        TestContext.Current.TestOutputHelper?.WriteLine($"{host.Name}$ hipnat netcheck {string.Join(' ', args)}\n{result.StandardOutput}{result.StandardError}");
        return result;
    }

    private static JsonElement NetcheckJson(LabHost host, int expectedExit, params string[] args)
    {
        var result = Run(host, ["--json", .. args]);
        Assert.True(result.ExitCode == expectedExit, result.ToString());
        try
        {
            return JsonDocument.Parse(result.StandardOutput).RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new XunitException($"netcheck --json did not print JSON ({e.Message}):\n{result}");
        }
    }

    private static IPEndPoint[] Reflexive(JsonElement report) =>
        report.GetProperty("stun").EnumerateArray().Select(s => IPEndPoint.Parse(s.GetProperty("reflexive").GetString()!)).ToArray();

    /// <summary>
    /// Hairpinning for alice on the NAT's inside interface: UDP from the inside to the public address is DNATed, port
    /// kept (the mapping is endpoint-independent and port-preserving), to alice and SNATed to the public address, so
    /// alice sees her own reflexive address as the source of a datagram sent by her other socket.
    /// </summary>
    private static void AddHairpinRules(LabNat nat, LabHost host)
    {
        string pub = nat.PublicAddress.ToString();
        nat.Iptables("-t", "nat", "-I", "PREROUTING", "1", "-i", "lan0", "-d", pub, "-p", "udp", "-j", "DNAT", "--to-destination", host.Address.ToString());
        nat.Iptables("-t", "nat", "-I", "POSTROUTING", "1", "-o", "lan0", "-s", nat.InsideSegment.Prefix.ToString(), "-d", host.Address.ToString(),
            "-m", "conntrack", "--ctstate", "DNAT", "-j", "SNAT", "--to-source", pub);
    }

    [Fact]
    public void BehindMasqueradeEveryServerSeesTheSameMappingAndRttsArePositive()
    {
        using var t = new Topology(NatOptions.PortRestrictedCone);
        var report = NetcheckJson(t.Alice, 0, [.. t.StunArgs, "--samples", "4"]);

        Assert.True(report.GetProperty("udp").GetBoolean());
        Assert.Equal("endpoint-independent", report.GetProperty("mapping").GetString());
        var v4 = report.GetProperty("ipv4");
        Assert.True(v4.GetProperty("nat").GetBoolean());
        Assert.False(v4.GetProperty("mappingVariesByAddress").GetBoolean());
        Assert.False(v4.GetProperty("mappingVariesByPort").GetBoolean());
        Assert.Equal(JsonValueKind.Null, report.GetProperty("ipv6").ValueKind);

        var reflexive = Reflexive(report);
        Assert.Equal(3, reflexive.Length);
        Assert.All(reflexive, r => Assert.Equal(t.Nat.PublicAddress, r.Address));
        Assert.Single(reflexive.Distinct());
        Assert.Equal(reflexive[0].ToString(), Assert.Single(v4.GetProperty("public").EnumerateArray()).GetString());

        // The NAT's own conntrack table agrees: alice's flows to the three servers share one external port.
        // (MASQUERADE keeps alice's port, so conntrack lists these flows as not source-translated in port.)
        var flows = t.Nat.GetConntrackEntries()
            .Where(e => e.Protocol == "udp" && e.Original.Source.Equals(t.Alice.Address) && e.Original.SourcePort == reflexive[0].Port)
            .ToList();
        Assert.Equal(3, flows.Count);
        Assert.All(flows, f => Assert.Equal(reflexive[0], f.MappedEndpoint));

        foreach (var s in report.GetProperty("stun").EnumerateArray())
        {
            Assert.Equal("IPv4", s.GetProperty("family").GetString());
            // One untimed Binding finds the reflexive address, then four timed ones.
            Assert.Equal(5, s.GetProperty("sent").GetInt32());
            Assert.Equal(5, s.GetProperty("answered").GetInt32());
            Assert.Equal(4, s.GetProperty("rttSamplesMs").GetArrayLength());
            Assert.All(s.GetProperty("rttSamplesMs").EnumerateArray(), x => Assert.True(x.GetDouble() > 0, s.ToString()));
            double min = s.GetProperty("rttMinMs").GetDouble(), median = s.GetProperty("rttMedianMs").GetDouble();
            Assert.True(min > 0, s.ToString());
            Assert.True(median >= min, s.ToString());
            Assert.InRange(median, min, 2000);
        }

        // Plain MASQUERADE does not hairpin: the datagram to the public address ends at the NAT.
        Assert.False(report.GetProperty("hairpinning").GetBoolean());
    }

    [Fact]
    public void BehindRandomFullyTheMappingDependsOnAddressAndPort()
    {
        using var t = new Topology(NatOptions.Symmetric);
        var report = NetcheckJson(t.Alice, 0, t.StunArgs);

        var reflexive = Reflexive(report);
        Assert.Equal(3, reflexive.Length);
        Assert.All(reflexive, r => Assert.Equal(t.Nat.PublicAddress, r.Address));
        Assert.Equal(3, reflexive.Select(r => r.Port).Distinct().Count());
        Assert.Equal("address-and-port-dependent", report.GetProperty("mapping").GetString());
        var v4 = report.GetProperty("ipv4");
        Assert.True(v4.GetProperty("mappingVariesByPort").GetBoolean());
        Assert.True(v4.GetProperty("mappingVariesByAddress").GetBoolean());
        Assert.Equal(3, v4.GetProperty("public").GetArrayLength());

        var human = Run(t.Alice, t.StunArgs);
        Assert.True(human.ExitCode == 0, human.ToString());
        Assert.Contains("  mapping      address-and-port-dependent (symmetric NAT)", human.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public void HairpinningIsReportedOnlyWhenTheNatLoopsInsideTrafficBack()
    {
        using var t = new Topology(NatOptions.PortRestrictedCone);
        string[] args = ["--stun", $"{t.Stun1.Address}:{StunPort}", "--stun", $"{t.Stun2.Address}:{StunPort}", "--samples", "1"];

        var without = NetcheckJson(t.Alice, 0, args);
        Assert.Equal("endpoint-independent", without.GetProperty("mapping").GetString());
        Assert.False(without.GetProperty("hairpinning").GetBoolean());

        AddHairpinRules(t.Nat, t.Alice);
        var with = NetcheckJson(t.Alice, 0, args);
        Assert.Equal("endpoint-independent", with.GetProperty("mapping").GetString());
        Assert.True(with.GetProperty("hairpinning").GetBoolean(), with.ToString());

        var human = Run(t.Alice, args);
        Assert.True(human.ExitCode == 0, human.ToString());
        Assert.Contains("  hairpinning  yes", human.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public void OnThePublicSegmentThereIsNoNat()
    {
        using var t = new Topology(NatOptions.PortRestrictedCone);
        var host = t.Lab.AddHost("server", t.Public);
        var report = NetcheckJson(host, 0, t.StunArgs);

        Assert.Equal("no-nat", report.GetProperty("mapping").GetString());
        Assert.False(report.GetProperty("ipv4").GetProperty("nat").GetBoolean());
        Assert.All(Reflexive(report), r => Assert.Equal(host.Address, r.Address));
        Assert.Equal(JsonValueKind.Null, report.GetProperty("hairpinning").ValueKind);

        var human = Run(host, t.StunArgs);
        Assert.Contains("(no NAT: a local address)", human.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("  hairpinning  not applicable: no NAT", human.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public void WhenTheNatDropsUdpNetcheckSaysBlockedAndExitsOne()
    {
        using var t = new Topology(NatOptions.PortRestrictedCone);
        t.Nat.Iptables("-I", "FORWARD", "1", "-p", "udp", "-j", "DROP");

        var report = NetcheckJson(t.Alice, 1, [.. t.StunArgs, "--timeout", "1"]);
        Assert.False(report.GetProperty("udp").GetBoolean());
        var v4 = report.GetProperty("ipv4");
        Assert.StartsWith("blocked", v4.GetProperty("udpProblem").GetString(), StringComparison.Ordinal);
        Assert.Equal("unknown", report.GetProperty("mapping").GetString());
        Assert.All(report.GetProperty("stun").EnumerateArray(), s =>
        {
            Assert.Equal(JsonValueKind.Null, s.GetProperty("reflexive").ValueKind);
            Assert.Equal(0, s.GetProperty("answered").GetInt32());
        });

        var human = Run(t.Alice, [.. t.StunArgs, "--timeout", "1"]);
        Assert.Equal(1, human.ExitCode);
        Assert.Contains("  udp          blocked: no server answered", human.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(string.Empty, human.StandardError);
    }

    [Fact]
    public void ServersComeFromTheConfigFileIncludingAHipRelay()
    {
        using var t = new Topology(NatOptions.PortRestrictedCone);
        var tool = HipnatTool.ForLab(t.Lab, HipLab.HipnatDll());
        var relayId = tool.Keygen("relay")["relay"];
        var relay = tool.StartRelay(t.Stun2, relayId, "--allow-any");
        t.Track(relay);

        var config = Path.Combine(t.Lab.WorkDirectory, "alice.json");
        File.WriteAllText(config, $$"""
            {
              "stunServers": ["{{t.Stun1.Address}}:{{StunPort}}", "{{t.Stun1.Address}}"],
              "relays": [{ "hit": "{{relayId.Hit}}", "address": "{{t.Stun2.Address}}:{{HipnatTool.Port}}" }]
            }
            """);

        var report = NetcheckJson(t.Alice, 0, "--config", config);
        var stun = report.GetProperty("stun").EnumerateArray().ToArray();
        Assert.Equal(2, stun.Length); // "ADDR" means port 3478: the same server as "ADDR:3478", asked once
        Assert.Equal("stunServers", stun[0].GetProperty("source").GetString());
        Assert.Equal($"{t.Stun2.Address}:{HipnatTool.Port}", stun[1].GetProperty("server").GetString());
        Assert.Equal("relays", stun[1].GetProperty("source").GetString());
        Assert.All(Reflexive(report), r => Assert.Equal(t.Nat.PublicAddress, r.Address));
        Assert.Equal("endpoint-independent", report.GetProperty("mapping").GetString());
    }
}
