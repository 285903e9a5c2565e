using System.Net;
using Hipnat.Cli;
using Hipnat.Core.Transport;
using Hipnat.Runtime.Configuration;
using Hipnat.Runtime.Tests.Support;
using Hipnat.Wire;
using Hipnat.Wire.Parameters;

namespace Hipnat.Runtime.Tests;

/// <summary>Config keys for relays, the registrar, STUN/TURN servers, log format and metrics.</summary>
public sealed class RelayConfigFileTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void EveryRelayKeyIsRead()
    {
        var s = DaemonConfigFile.Parse(
            """
            {
              "logFormat": "json",
              "metrics": "[::1]:9100",
              "relays": [
                { "hit": "2001:2c::77", "address": "192.0.2.1:10600", "services": ["relay-hip", "relay-esp"], "lifetimeSeconds": 300 },
                { "hit": "2001:2d::1", "address": "[2001:db8::1]:10500", "services": ["rendezvous"] },
                { "hit": "2001:2e::1", "address": "198.51.100.3" },
                { "hit": "2001:2f::1", "address": "198.51.100.4", "relayEspIfOffered": false },
              ],
              "registrar": {
                "services": ["rendezvous", "relay-esp", "relay-hip"],
                "allowAny": true,
                "allow": ["2001:2a::1234", { "hit": "2001:2b::1", "services": ["rendezvous"] }],
                "relayAddress": "192.0.2.9",
                "relayPorts": "41000-41999",
                "maxClients": 250,
                "lifetimeMinSeconds": 20,
                "lifetimeMaxSeconds": 7200,
                "relayedI1PerSecond": 5,
                "relayedI1Burst": 10,
                "maxPermissionsPerClient": 8,
              },
              "stunServers": ["192.0.2.5:3478", "192.0.2.6", "[2001:db8::5]:19302"],
              "turnServers": [{ "address": "192.0.2.7", "username": "alice", "password": "s3cret" }],
            }
            """,
            "relay.json");

        Assert.Equal(LogFormat.Json, s.LogFormat);
        Assert.Equal(new IPEndPoint(IPAddress.IPv6Loopback, 9100), s.Metrics);
        Assert.Equal(4, s.Relays.Count);
        Assert.Equal(Hit.Parse("2001:2c::77"), s.Relays[0].Hit);
        Assert.Equal(TransportAddress.Udp(IPAddress.Parse("192.0.2.1"), 10600), s.Relays[0].Address);
        Assert.Equal([RegistrationType.RelayUdpHip, RegistrationType.RelayUdpEsp], s.Relays[0].Services);
        Assert.Equal(TimeSpan.FromSeconds(300), s.Relays[0].Lifetime);
        Assert.Equal([RegistrationType.Rendezvous], s.Relays[1].Services);
        Assert.Equal(TimeSpan.FromMinutes(10), s.Relays[1].Lifetime);
        Assert.Equal(TransportAddress.Udp(IPAddress.Parse("198.51.100.3"), 10500), s.Relays[2].Address);
        Assert.Equal([RegistrationType.RelayUdpHip], s.Relays[2].Services);
        Assert.Equal([RegistrationType.RelayUdpEsp], s.Relays[2].OptionalServices);
        Assert.Empty(s.Relays[0].OptionalServices); // named in services: required
        Assert.Empty(s.Relays[1].OptionalServices); // rendezvous only: no control relay, no data relay
        Assert.Empty(s.Relays[3].OptionalServices);

        var r = s.Registrar!;
        Assert.Equal([RegistrationType.Rendezvous, RegistrationType.RelayUdpEsp, RegistrationType.RelayUdpHip], r.Services);
        Assert.True(r.AllowAny);
        Assert.Equal([Hit.Parse("2001:2a::1234")], r.Allow);
        Assert.Equal([Hit.Parse("2001:2b::1")], r.AllowByService[RegistrationType.Rendezvous]);
        Assert.Equal(IPAddress.Parse("192.0.2.9"), r.RelayAddress);
        Assert.Equal((41000, 41999), (r.RelayPortMin, r.RelayPortMax));
        Assert.Equal(250, r.MaxClients);
        Assert.Equal(TimeSpan.FromSeconds(20), r.LifetimeMin);
        Assert.Equal(TimeSpan.FromSeconds(7200), r.LifetimeMax);
        var o = r.ToOptions(r.RelayAddress);
        Assert.Equal(5, o.RelayedI1PerSecond);
        Assert.Equal(10, o.RelayedI1Burst);
        Assert.Equal(8, o.MaxPermissionsPerClient);
        Assert.True(o.IsAllowed(Hit.Parse("2001:2b::1"), RegistrationType.Rendezvous));

        Assert.Equal(
            [TransportAddress.Udp(IPAddress.Parse("192.0.2.5"), 3478), TransportAddress.Udp(IPAddress.Parse("192.0.2.6"), 3478), TransportAddress.Udp(IPAddress.Parse("2001:db8::5"), 19302)],
            s.StunServers);
        var turn = Assert.Single(s.TurnServers);
        Assert.Equal(TransportAddress.Udp(IPAddress.Parse("192.0.2.7"), 3478), turn.Address);
        Assert.Equal("alice", turn.Username);
        Assert.Equal("s3cret", turn.Password);
        Assert.DoesNotContain("s3cret", turn.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void AnEmptyFileHasNoRelaysNoRegistrarAndSimpleLogs()
    {
        var s = DaemonConfigFile.Parse("{}", "empty.json");
        Assert.Empty(s.Relays);
        Assert.Null(s.Registrar);
        Assert.Empty(s.StunServers);
        Assert.Empty(s.TurnServers);
        Assert.Null(s.Metrics);
        Assert.Equal(LogFormat.Simple, s.LogFormat);
    }

    [Theory]
    [InlineData("""{ "relay": [] }""", "unknown key \"relay\"; did you mean \"relays\"?")]
    [InlineData("""{ "relays": {} }""", "key relays = {}: expected an array of relays")]
    [InlineData("""{ "relays": [{ "address": "192.0.2.1:10500" }] }""", "key relays[0] = { \"address\": \"192.0.2.1:10500\" }: missing \"hit\"")]
    [InlineData("""{ "relays": [{ "hit": "2001:2c::77" }] }""", "missing \"address\"")]
    [InlineData("""{ "relays": [{ "hit": "relay1", "address": "192.0.2.1" }] }""", "key relays[0].hit = \"relay1\": 'relay1' is not a HIT")]
    [InlineData("""{ "relays": [{ "hit": "2001:2c::77", "address": "hip://192.0.2.1" }] }""", "key relays[0].address = \"hip://192.0.2.1\": 'hip://192.0.2.1' is a raw HIP address")]
    [InlineData("""{ "relays": [{ "hit": "2001:2c::77", "address": "192.0.2.1", "services": ["relay-udp"] }] }""", "key relays[0].services[0] = \"relay-udp\": unknown service")]
    [InlineData("""{ "relays": [{ "hit": "2001:2c::77", "address": "192.0.2.1", "services": ["relay-esp"] }] }""", "relay-esp without relay-hip; add \"relay-hip\"")]
    [InlineData("""{ "relays": [{ "hit": "2001:2c::77", "address": "192.0.2.1", "lifetimeSeconds": 1 }] }""", "key relays[0].lifetimeSeconds = 1: out of range 10-604800")]
    [InlineData("""{ "relays": [{ "hit": "2001:2c::77", "address": "192.0.2.1", "lifetime": 60 }] }""", "unknown key \"relays[0].lifetime\"; valid keys in relays[0]: hit, address, services, lifetimeSeconds, relayEspIfOffered")]
    [InlineData("""{ "relays": [{ "hit": "2001:2c::77", "address": "192.0.2.1", "relayEspIfOffered": "no" }] }""", "key relays[0].relayEspIfOffered = \"no\": expected true or false")]
    [InlineData("""{ "relays": [{ "hit": "2001:2c::77", "address": "192.0.2.1" }, { "hit": "2001:2c::77", "address": "192.0.2.2" }] }""", "relay 2001:2c::77 is listed twice")]
    [InlineData("""{ "registrar": true }""", "key registrar = true: expected an object")]
    [InlineData("""{ "registrar": { "allowAll": true } }""", "unknown key \"registrar.allowAll\"; did you mean \"allowAny\"?")]
    [InlineData("""{ "registrar": { "allow": ["bob"] } }""", "key registrar.allow[0] = \"bob\": 'bob' is not a HIT")]
    [InlineData("""{ "registrar": { "allow": [{ "services": ["rendezvous"] }] } }""", "missing \"hit\"")]
    [InlineData("""{ "registrar": { "services": [] } }""", "key registrar.services = []: expected a non-empty array of services")]
    [InlineData("""{ "registrar": { "relayAddress": "0.0.0.0" } }""", "key registrar.relayAddress = \"0.0.0.0\": not a concrete IP address")]
    [InlineData("""{ "registrar": { "relayPorts": "40000-" } }""", "key registrar.relayPorts = \"40000-\": '40000-' is not a port range")]
    [InlineData("""{ "registrar": { "maxClients": 0 } }""", "key registrar.maxClients = 0: out of range 1-10000000")]
    [InlineData("""{ "registrar": { "lifetimeMinSeconds": 600, "lifetimeMaxSeconds": 60 } }""", "registrar.lifetimeMaxSeconds (60) is below registrar.lifetimeMinSeconds (600)")]
    [InlineData("""{ "stunServers": "192.0.2.5" }""", "key stunServers = \"192.0.2.5\": expected an array of addresses")]
    [InlineData("""{ "stunServers": ["stun.example.org:3478"] }""", "key stunServers[0] = \"stun.example.org:3478\": 'stun.example.org:3478': 'stun.example.org' is not an IP address")]
    [InlineData("""{ "turnServers": [{ "address": "192.0.2.7", "username": "alice" }] }""", "key turnServers[0]: missing \"password\"")]
    [InlineData("""{ "turnServers": [{ "address": "192.0.2.7", "username": "", "password": "x" }] }""", "key turnServers[0].username = \"\": empty or longer than 513 bytes")]
    [InlineData("""{ "turnServers": [{ "address": "192.0.2.7", "username": "a", "password": "", "realm": "x" }] }""", "key turnServers[0].password: empty password")]
    [InlineData("""{ "turnServers": [{ "address": "192.0.2.7", "user": "a" }] }""", "unknown key \"turnServers[0].user\"; valid keys in turnServers[0]: address, username, password")]
    [InlineData("""{ "logFormat": "xml" }""", "key logFormat = \"xml\": unknown log format; use \"simple\"")]
    [InlineData("""{ "metrics": "9464x" }""", "key metrics = \"9464x\": port '9464x' is not a number in 1-65535")]
    [InlineData("""{ "metrics": 9464 }""", "key metrics = 9464: expected a string")]
    public void MistakesNameTheKeyTheValueAndTheFix(string json, string expected)
    {
        var e = Assert.Throws<ConfigException>(() => DaemonConfigFile.Parse(json, "bad.json"));
        Assert.StartsWith("config bad.json: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ATurnPasswordIsNeverEchoedInErrors()
    {
        var e = Assert.Throws<ConfigException>(() => DaemonConfigFile.Parse(
            """{ "turnServers": [{ "address": "192.0.2.7", "username": "alice", "password": "hunter2", "port": 1 }] }""", "bad.json"));
        Assert.DoesNotContain("hunter2", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunWithABadRelayKeyExitsWith2AndNamesTheKey()
    {
        var config = _dir.File("hipnat.json");
        await File.WriteAllTextAsync(config, """{ "relays": [{ "hit": "2001:2c::77", "address": "192.0.2.1:0" }] }""", TestContext.Current.CancellationToken);
        var r = await ChildProcess.RunHipnatAsync(TimeSpan.FromSeconds(60), "run", "--config", config);
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Contains($"hipnat run: config {config}: key relays[0].address = \"192.0.2.1:0\": ", r.Stderr, StringComparison.Ordinal);
        CliArgumentTests.AssertNoStackTrace(r);
    }

    [Fact]
    public async Task AKeepaliveBelow15SecondsInTheFileIsRefusedWithTheRfc()
    {
        var config = _dir.File("hipnat.json");
        await File.WriteAllTextAsync(config, """{ "protocol": { "keepaliveIntervalSeconds": 10 } }""", TestContext.Current.CancellationToken);
        var r = await InProcessCli.RunAsync("run", "--config", config, "--relay", "2001:2c::77=192.0.2.1:10500");
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Contains("key protocol.keepaliveIntervalSeconds = 10: RFC 9028 forbids NAT keepalives more often than every 15 s", r.Stderr, StringComparison.Ordinal);

        // A flag overrides the file's (valid) value; the flag is checked the same way.
        await File.WriteAllTextAsync(config, """{ "protocol": { "keepaliveIntervalSeconds": 30 } }""", TestContext.Current.CancellationToken);
        var s = DaemonCommandLine.BuildSettings(new DaemonFlags { ConfigFile = config, KeepaliveInterval = "0" });
        Assert.Equal(TimeSpan.Zero, s.Protocol.KeepaliveInterval);
        var bad = await InProcessCli.RunAsync("run", "--config", config, "--keepalive-interval", "14.9");
        Assert.Equal(ExitCodes.Usage, bad.ExitCode);
        Assert.Contains("--keepalive-interval '14.9': RFC 9028 forbids", bad.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARawTransportWithARegistrarIsRefused()
    {
        var config = _dir.File("hipnat.json");
        await File.WriteAllTextAsync(config, """{ "transport": "raw", "registrar": { "allowAny": true } }""", TestContext.Current.CancellationToken);
        var r = await InProcessCli.RunAsync("relay", "--config", config, "--control", _dir.File("c.sock"));
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Contains("a relay serves HIP over UDP (RFC 9028): drop --raw or set \"transport\": \"udp\"", r.Stderr, StringComparison.Ordinal);
    }
}
