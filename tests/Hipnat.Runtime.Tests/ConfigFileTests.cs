using System.Net;
using Hipnat.Cli;
using Hipnat.Core.Transport;
using Hipnat.Crypto;
using Hipnat.Runtime.Configuration;
using Hipnat.Runtime.Tests.Support;
using Hipnat.Wire;
using Microsoft.Extensions.Logging;

namespace Hipnat.Runtime.Tests;

/// <summary>The JSON config file: every key parsed, every mistake named with its key, value and fix.</summary>
public sealed class ConfigFileTests : IDisposable
{
    private const string PeerHit = "2001:2a::1234";
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void EveryKeyIsRead()
    {
        var s = DaemonConfigFile.Parse(
            """
            {
              // comments and trailing commas are fine
              "keyFile": "/etc/hipnat/host.pem",
              "listen": ["127.0.0.1:11000", "[::1]:11001"],
              "peers": { "2001:2a::1234": ["192.0.2.7:10500", "hip://192.0.2.8"], "2001:2b::1": "198.51.100.1" },
              "transport": "raw",
              "logLevel": "debug",
              "controlSocket": "/tmp/x.sock",
              "protocol": {
                "dhGroups": ["nist-p384", "modp-3072"],
                "ciphers": ["aes-256-cbc"],
                "espSuites": [8],
                "puzzleDifficulty": 10,
                "maxAcceptedPuzzleDifficulty": 20,
                "puzzleDifficultyCeiling": 16,
                "puzzleLoadThreshold": 100,
                "puzzleLifetime": 36,
                "r1RotationSeconds": 60,
                "encryptHostId": true,
                "retransmitInitialMs": 250,
                "retransmitMaxMs": 4000,
                "i1RetriesMax": 3,
                "i2RetriesMax": 4,
                "updateRetriesMax": 5,
                "closeRetriesMax": 2,
                "unusedAssociationLifetimeSeconds": 600,
                "maximumSegmentLifetimeSeconds": 5,
                "failedHoldTimeSeconds": 7,
                "r2SentHoldSeconds": 0.5,
                "maxAssociations": 100,
                "espGcmKeyBits": 256,
                "keepaliveIntervalSeconds": 30,
                "peerTimeoutSeconds": 90,
                "transactionPacingMs": 20,
                "probeDirectPaths": false,
                "directProbeAttempts": 3,
                "answerStun": true,
              },
            }
            """,
            "test.json");

        Assert.Equal("/etc/hipnat/host.pem", s.KeyFile);
        Assert.Equal([TransportAddress.Udp(IPAddress.Loopback, 11000), TransportAddress.Udp(IPAddress.IPv6Loopback, 11001)], s.Listen);
        Assert.Equal(
            [TransportAddress.Udp(IPAddress.Parse("192.0.2.7"), 10500), TransportAddress.Raw(IPAddress.Parse("192.0.2.8"))],
            s.Peers[Hit.Parse(PeerHit)]);
        Assert.Equal([TransportAddress.Udp(IPAddress.Parse("198.51.100.1"), 10500)], s.Peers[Hit.Parse("2001:2b::1")]);
        Assert.Equal(TransportMode.Raw, s.Transport);
        Assert.Equal(LogLevel.Debug, s.LogLevel);
        Assert.Equal("/tmp/x.sock", s.ControlSocket);

        using var identity = HostIdentity.Generate(HostIdentityKind.EcdsaP256);
        var o = s.Protocol.ToHostOptions(identity, [], TransportKind.RawHip);
        Assert.Equal([DhGroupId.NistP384, DhGroupId.Modp3072], o.DhGroups);
        Assert.Equal([HipCipherId.Aes256Cbc], o.Ciphers);
        Assert.Equal([(ushort)8], o.EspSuites);
        Assert.Equal(10, o.PuzzleDifficulty);
        Assert.Equal(20, o.MaxAcceptedPuzzleDifficulty);
        Assert.Equal(16, o.PuzzleDifficultyCeiling);
        Assert.Equal(100, o.PuzzleLoadThreshold);
        Assert.Equal(36, o.PuzzleLifetime);
        Assert.Equal(TimeSpan.FromSeconds(60), o.R1Rotation);
        Assert.True(o.EncryptHostId);
        Assert.Equal(TimeSpan.FromMilliseconds(250), o.RetransmitInitial);
        Assert.Equal(TimeSpan.FromMilliseconds(4000), o.RetransmitMax);
        Assert.Equal(3, o.I1RetriesMax);
        Assert.Equal(4, o.I2RetriesMax);
        Assert.Equal(5, o.UpdateRetriesMax);
        Assert.Equal(2, o.CloseRetriesMax);
        Assert.Equal(TimeSpan.FromSeconds(600), o.UnusedAssociationLifetime);
        Assert.Equal(TimeSpan.FromSeconds(5), o.MaximumSegmentLifetime);
        Assert.Equal(TimeSpan.FromSeconds(7), o.FailedHoldTime);
        Assert.Equal(TimeSpan.FromSeconds(0.5), o.R2SentHold);
        Assert.Equal(100, o.MaxAssociations);
        Assert.Equal(256, o.EspGcmKeyBits);
        Assert.Equal(TimeSpan.FromSeconds(30), o.KeepaliveInterval);
        Assert.Equal(TimeSpan.FromSeconds(90), o.PeerTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(20), o.TransactionPacing);
        Assert.False(o.ProbeDirectPaths);
        Assert.Equal(3, o.DirectProbeAttempts);
        Assert.True(o.AnswerStun);
        Assert.Equal(TransportKind.RawHip, o.DefaultTransport);
    }

    [Fact]
    public void UnsetTunablesKeepTheCoreDefaults()
    {
        var s = DaemonConfigFile.Parse("{}", "empty.json");
        using var identity = HostIdentity.Generate(HostIdentityKind.EcdsaP256);
        var defaults = new Hipnat.Core.Host.HipHostOptions { Identity = identity };
        var o = s.Protocol.ToHostOptions(identity, [], TransportKind.Udp);
        Assert.Equal(defaults.DhGroups, o.DhGroups);
        Assert.Equal(defaults.Ciphers, o.Ciphers);
        Assert.Equal(defaults.RetransmitInitial, o.RetransmitInitial);
        Assert.Equal(defaults.R2SentHold, o.R2SentHold);
        Assert.Equal(defaults.MaxAssociations, o.MaxAssociations);
        Assert.Equal(defaults.KeepaliveInterval, o.KeepaliveInterval);
        Assert.Equal(defaults.PeerTimeout, o.PeerTimeout);
        Assert.Equal(defaults.AnswerStun, o.AnswerStun);
        Assert.Equal(TransportMode.Udp, s.Transport);
        Assert.Empty(s.Listen);
        Assert.Null(s.KeyFile);
    }

    [Theory]
    [InlineData("""{ "lisen": [] }""", "unknown key \"lisen\"; did you mean \"listen\"?")]
    [InlineData("""{ "protocol": { "retransmitInitial": 5 } }""", "unknown key \"protocol.retransmitInitial\"; did you mean \"retransmitInitialMs\"?")]
    [InlineData("""{ "listen": "0.0.0.0:10500" }""", "key listen = \"0.0.0.0:10500\": expected an array of addresses; write e.g. [\"0.0.0.0:10500\", \"[::]:10500\"]")]
    [InlineData("""{ "listen": ["0.0.0.0:99999"] }""", "key listen[0] = \"0.0.0.0:99999\": '0.0.0.0:99999': port '99999' is not a number in 1-65535")]
    [InlineData("""{ "listen": [10500] }""", "key listen[0] = 10500: expected a string; write an address such as \"0.0.0.0:10500\"")]
    [InlineData("""{ "peers": { "10.0.0.1": ["192.0.2.1:10500"] } }""", "key peers.\"10.0.0.1\": '10.0.0.1' is not a HIT")]
    [InlineData("""{ "peers": { "2001:2a::1234": ["nowhere"] } }""", "key peers.\"2001:2a::1234\"[0] = \"nowhere\": 'nowhere': 'nowhere' is not an IP address")]
    [InlineData("""{ "peers": { "2001:2a::1234": [] } }""", "key peers.\"2001:2a::1234\" = []: no locators; give at least one")]
    [InlineData("""{ "transport": "tcp" }""", "key transport = \"tcp\": unknown transport; use \"udp\" (default) or \"raw\"")]
    [InlineData("""{ "logLevel": "verbose" }""", "key logLevel = \"verbose\": unknown log level; use one of trace, debug")]
    [InlineData("""{ "protocol": { "i1RetriesMax": -1 } }""", "key protocol.i1RetriesMax = -1: out of range 0-100")]
    [InlineData("""{ "protocol": { "i1RetriesMax": 2.5 } }""", "key protocol.i1RetriesMax = 2.5: expected a whole number")]
    [InlineData("""{ "protocol": { "encryptHostId": "yes" } }""", "key protocol.encryptHostId = \"yes\": expected true or false")]
    [InlineData("""{ "protocol": { "dhGroups": ["ecp-256"] } }""", "key protocol.dhGroups[0] = \"ecp-256\": unknown name; use one of \"nist-p256\"")]
    [InlineData("""{ "protocol": { "ciphers": [] } }""", "key protocol.ciphers = []: expected a non-empty array in preference order")]
    [InlineData("""{ "protocol": { "espSuites": [3] } }""", "key protocol.espSuites[0] = 3: unsupported ESP suite")]
    [InlineData("""{ "protocol": { "retransmitInitialMs": 2000, "retransmitMaxMs": 1000 } }""", "protocol.retransmitMaxMs (1000) is below protocol.retransmitInitialMs (2000)")]
    [InlineData("""{ "protocol": { "keepaliveIntervalSeconds": 5 } }""", "key protocol.keepaliveIntervalSeconds = 5: RFC 9028 forbids NAT keepalives more often than every 15 s")]
    [InlineData("""{ "protocol": { "espGcmKeyBits": 192 } }""", "key protocol.espGcmKeyBits = 192: not an AES key size; write 128 or 256")]
    [InlineData("""[1, 2]""", "the top level must be a JSON object")]
    [InlineData("""{ "keyFile": "a.pem" """, "not valid JSON at line 1")]
    public void MistakesNameTheKeyTheValueAndTheFix(string json, string expected)
    {
        var e = Assert.Throws<ConfigException>(() => DaemonConfigFile.Parse(json, "bad.json"));
        Assert.StartsWith("config bad.json: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunWithABadConfigExitsWith2AndNamesTheKey()
    {
        var config = _dir.File("hipnat.json");
        await File.WriteAllTextAsync(config, """{ "listen": ["0.0.0.0:abc"] }""", TestContext.Current.CancellationToken);
        var r = await ChildProcess.RunHipnatAsync(TimeSpan.FromSeconds(60), "run", "--config", config);
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Contains($"hipnat run: config {config}: key listen[0] = \"0.0.0.0:abc\": ", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("port 'abc' is not a number in 1-65535", r.Stderr, StringComparison.Ordinal);
        CliArgumentTests.AssertNoStackTrace(r);
    }

    [Fact]
    public async Task MissingConfigFileIsAUsageError()
    {
        var r = await InProcessCli.RunAsync("run", "--config", _dir.File("nope.json"));
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Contains($"config file '{_dir.File("nope.json")}' not found; check the --config path", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FlagsOverrideTheFileAndARelativeKeyFileIsRelativeToTheConfig()
    {
        var config = _dir.File("hipnat.json");
        await File.WriteAllTextAsync(
            config,
            $$"""{ "keyFile": "host.pem", "listen": ["127.0.0.1:1111"], "logLevel": "error", "controlSocket": "/tmp/a.sock", "peers": { "{{PeerHit}}": "192.0.2.1:1" } }""",
            TestContext.Current.CancellationToken);

        var fromFile = RunCommand.BuildSettings(config, null, [], [], false, null, null);
        Assert.Equal(_dir.File("host.pem"), fromFile.KeyFile);
        Assert.Equal(LogLevel.Error, fromFile.LogLevel);

        var s = RunCommand.BuildSettings(config, "/k.pem", ["127.0.0.1:2222"], [$"{PeerHit}=192.0.2.2:2"], true, "/tmp/b.sock", "trace");
        Assert.Equal("/k.pem", s.KeyFile);
        Assert.Equal([TransportAddress.Udp(IPAddress.Loopback, 2222)], s.Listen);
        Assert.Equal(2, s.Peers[Hit.Parse(PeerHit)].Count);
        Assert.Equal(TransportMode.Raw, s.Transport);
        Assert.Equal("/tmp/b.sock", s.ControlSocket);
        Assert.Equal(LogLevel.Trace, s.LogLevel);
    }

    [Fact]
    public async Task TheDocumentationListsEveryKey()
    {
        var doc = FindDoc("config.md");
        var text = await File.ReadAllTextAsync(doc, TestContext.Current.CancellationToken);
        var keys = DaemonConfigFile.AllKeys.ToList();
        Assert.Contains("keyFile", keys);
        Assert.Contains("retransmitInitialMs", keys);
        foreach (var key in keys)
        {
            Assert.Contains($"`{key}`", text, StringComparison.Ordinal);
        }
    }

    internal static string FindDoc(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "docs", name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"docs/{name} not found above {AppContext.BaseDirectory}");
    }
}
