using System.Net;
using Hipnat.Cli;
using Hipnat.Crypto;
using Hipnat.Runtime.Configuration;
using Hipnat.Runtime.Control;
using Hipnat.Runtime.Tests.Support;
using Hipnat.Wire;
using Hipnat.Wire.Dns;

namespace Hipnat.Runtime.Tests;

/// <summary>
/// Peers named by host name from the command line to the daemon: <c>hipnat dns-record</c>, the control requests
/// that carry a name, config "peers" keyed by name with "namesFile" and "dns", and two daemons that find each other
/// by name.
/// </summary>
public sealed class PeerNamesTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(HostIdentityKind.EcdsaP256, false)]
    [InlineData(HostIdentityKind.EcdsaP384, true)]
    [InlineData(HostIdentityKind.Rsa, false)]
    public async Task Dns_record_prints_a_HIP_record_that_parses_back_to_the_keys_HIT(HostIdentityKind kind, bool generic)
    {
        var key = _dir.File("bob.pem");
        var hit = TestKeys.Create(key, kind);
        string[] args = ["dns-record", "--key", key, "--name", "Bob.Example", "--relay", "relay1.example", "--relay", "relay2.example.", "--address", "203.0.113.7", "--address", "2001:db8::7", "--ttl", "120"];
        var result = await InProcessCli.RunAsync(generic ? [.. args, "--generic"] : args);
        Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());

        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.All(lines.Where(l => l.StartsWith(';')), l => Assert.True(l.All(char.IsAscii), l));
        Assert.Contains(lines, l => l.StartsWith(';') && l.Contains("publish each relay's A/AAAA records", StringComparison.Ordinal));
        var hip = Assert.Single(lines, l => !l.StartsWith(';') && (l.Contains(" HIP ", StringComparison.Ordinal) || l.Contains(" TYPE55 ", StringComparison.Ordinal)));
        Assert.StartsWith(generic ? "bob.example. 120 IN TYPE55 \\# " : "bob.example. 120 IN HIP ( ", hip);
        Assert.True(HipZoneEntry.TryParse(hip, out var entry, out var error), error);
        Assert.True(HipRecordIdentity.TryVerify(entry.Record, out var computed, out error), error);
        Assert.Equal(hit, computed.ToString());
        Assert.Equal(["relay1.example.", "relay2.example."], entry.Record.RendezvousServers);
        Assert.Contains("bob.example. 120 IN A 203.0.113.7", lines);
        Assert.Contains("bob.example. 120 IN AAAA 2001:db8::7", lines);
    }

    [Theory]
    [InlineData("--name", "bad name", "--name 'bad name' contains ' '")]
    [InlineData("--relay", "bob.example", "that is the host's own name")]
    [InlineData("--address", "relay1", "--address 'relay1': not an IP address")]
    public async Task Dns_record_refuses_bad_arguments_with_usage_errors(string flag, string value, string expected)
    {
        var key = _dir.File("k.pem");
        TestKeys.Create(key);
        string[] args = flag == "--name"
            ? ["dns-record", "--key", key, "--name", value]
            : ["dns-record", "--key", key, "--name", "bob.example.", flag, value];
        var result = await InProcessCli.RunAsync(args);
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains(expected, result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Control_requests_carry_names_normalized_or_a_clear_error()
    {
        Assert.True(ControlAction.TryParse(new ControlRequest { Command = "connect", Name = "Bob.Example", TimeoutSeconds = 5 }, out var connect, out _));
        var byName = Assert.IsType<ControlAction.ConnectName>(connect);
        Assert.Equal("bob.example.", byName.Name);
        Assert.Equal(TimeSpan.FromSeconds(5), byName.Timeout);

        Assert.True(ControlAction.TryParse(new ControlRequest { Command = "resolve", Name = "bob.example." }, out var resolve, out _));
        Assert.Equal("bob.example.", Assert.IsType<ControlAction.Resolve>(resolve).Name);

        Assert.False(ControlAction.TryParse(new ControlRequest { Command = "resolve", Name = "bob..example" }, out _, out var error));
        Assert.Contains("empty label", error, StringComparison.Ordinal);
        Assert.False(ControlAction.TryParse(new ControlRequest { Command = "resolve" }, out _, out error));
        Assert.Contains("empty", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Config_names_peers_by_name_and_sets_the_names_file_and_DNS_servers()
    {
        var s = DaemonConfigFile.Parse(
            """
            {
              "peers": { "Bob.Example": [], "2001:2b::1": "192.0.2.1" },
              "namesFile": "hosts",
              "dns": { "servers": ["203.0.113.53", "[2001:db8::53]:5353"], "timeoutMs": 500, "retries": 2 }
            }
            """,
            "/etc/hipnat/host.json");
        Assert.Equal(["bob.example."], s.PeerNames);
        Assert.Single(s.Peers);
        Assert.Equal("hosts", s.NamesFile); // relative to the config file when that exists
        Assert.Equal([new IPEndPoint(IPAddress.Parse("203.0.113.53"), 53), new IPEndPoint(IPAddress.Parse("2001:db8::53"), 5353)], s.Dns.Servers);
        Assert.Equal(TimeSpan.FromMilliseconds(500), s.Dns.Timeout);
        Assert.Equal(2, s.Dns.Retries);
    }

    [Theory]
    [InlineData("""{ "peers": { "bob.example": ["192.0.2.1"] } }""", "takes no locators")]
    [InlineData("""{ "dns": { "servers": ["dns.example"] } }""", "dns.servers[0]")]
    [InlineData("""{ "dns": { "servers": ["0.0.0.0"] } }""", "dns.servers[0]")]
    [InlineData("""{ "dns": { "timeoutMs": 10 } }""", "dns.timeoutMs")]
    [InlineData("""{ "dns": { "server": [] } }""", "unknown key \"dns.server\"")]
    [InlineData("""{ "namesFile": "" }""", "namesFile")]
    public void Bad_name_settings_are_config_errors_naming_the_key(string json, string fragment)
    {
        var e = Assert.Throws<ConfigException>(() => DaemonConfigFile.Parse(json, "c.json"));
        Assert.Contains(fragment, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_daemons_find_each_other_by_name_and_a_forged_record_is_refused()
    {
        var (portA, portB) = Ports.TwoFreeUdpPorts();
        var hitA = TestKeys.Create(_dir.File("alice.pem"));
        var hitB = TestKeys.Create(_dir.File("bob.pem"));
        using var mallory = HostIdentity.Generate(HostIdentityKind.EcdsaP256);

        // The DNS: a forged record for mallory.example. (Bob's HIT, another key). Nothing else: never the host's resolver.
        using var dns = new FakeDnsServer();
        var (algorithm, key) = HipRecordIdentity.ToRecordKey(mallory.Algorithm, mallory.HostIdBytes.Span);
        dns.Add("mallory.example.", HipResourceRecord.RecordType, HipResourceRecord.Create(algorithm, Hit.Parse(hitB).ToArray(), key).ToArray());
        dns.AddAddress("mallory.example.", "127.0.0.1");

        var hosts = _dir.File("hosts");
        await File.WriteAllTextAsync(hosts, $"# site names\nbob.example. {hitB} 127.0.0.1:{portB}\nalice.example. {hitA} 127.0.0.1:{portA}\n", Ct);
        var aliceConfig = _dir.File("alice.json");
        await File.WriteAllTextAsync(aliceConfig, $$"""
            {
              "keyFile": "alice.pem",
              "listen": ["127.0.0.1:{{portA}}"],
              "namesFile": "hosts",
              "dns": { "servers": ["{{dns.EndPoint}}"], "timeoutMs": 500 }
            }
            """, Ct);
        var bobConfig = _dir.File("bob.json");
        await File.WriteAllTextAsync(bobConfig, $$"""
            {
              "keyFile": "bob.pem",
              "listen": ["127.0.0.1:{{portB}}"],
              "namesFile": "hosts",
              "peers": { "alice.example.": [] },
              "dns": { "servers": ["{{dns.EndPoint}}"], "timeoutMs": 500 }
            }
            """, Ct);
        using var alice = await DaemonProcess.StartAsync(hitA, _dir.File("a.sock"), "--config", aliceConfig);
        using var bob = await DaemonProcess.StartAsync(hitB, _dir.File("b.sock"), "--config", bobConfig);

        var connect = await alice.CliAsync("connect", "Bob.Example", "--timeout", "15");
        Assert.True(connect.ExitCode == ExitCodes.Ok, connect + alice.Process.Output + bob.Process.Output);
        Assert.StartsWith($"established with bob.example. ({hitB}) via 127.0.0.1:{portB} in ", connect.Stdout, StringComparison.Ordinal);
        Assert.Contains($"bob.example. from names file {hosts} line 2: locators 127.0.0.1:{portB}", connect.Stdout, StringComparison.Ordinal);

        // Bob's config named Alice: the daemon resolved her at start-up, so her locator is known.
        var status = await bob.StatusAsync();
        Assert.Contains(status.Peers, p => p.Hit == hitA && p.Locators.Contains($"127.0.0.1:{portA}"));

        var forged = await alice.CliAsync("connect", "mallory.example", "--timeout", "5");
        Assert.Equal(ExitCodes.Failed, forged.ExitCode);
        Assert.Contains("refusing the HIP record of mallory.example.", forged.Stderr, StringComparison.Ordinal);
        Assert.Contains(hitB, forged.Stderr, StringComparison.Ordinal);
        Assert.Contains(mallory.Hit.ToString(), forged.Stderr, StringComparison.Ordinal);

        var unknown = await alice.CliAsync("connect", "nobody.example", "--timeout", "5");
        Assert.Equal(ExitCodes.Failed, unknown.ExitCode);
        Assert.Contains("nobody.example. does not exist", unknown.Stderr, StringComparison.Ordinal);
    }
}
