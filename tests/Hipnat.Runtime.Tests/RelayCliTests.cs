using System.Net;
using Hipnat.Cli;
using Hipnat.Core.Transport;
using Hipnat.Runtime.Configuration;
using Hipnat.Runtime.Tests.Support;
using Hipnat.Wire;
using Hipnat.Wire.Parameters;

namespace Hipnat.Runtime.Tests;

/// <summary>The flags of <c>hipnat relay</c> and the relay, logging and metrics flags of <c>hipnat run</c>: parsed into settings, mistakes exit 2 naming the flag.</summary>
public sealed class RelayCliTests : IDisposable
{
    private const string RelayHit = "2001:2c::77";
    private const string ClientHit = "2001:2a::1234";
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void RunFlagsForRelaysLoggingAndMetricsAreParsed()
    {
        var s = DaemonCommandLine.BuildSettings(new DaemonFlags
        {
            Relays = [$"{RelayHit}=192.0.2.1:10600", "2001:2d::1=[2001:db8::1]:10500"],
            RelayEsp = true,
            RegistrationLifetime = "120",
            LogFormat = "json",
            Metrics = "9464",
            KeepaliveInterval = "15",
            PeerTimeout = "45",
        });
        Assert.Equal(2, s.Relays.Count);
        Assert.Equal(Hit.Parse(RelayHit), s.Relays[0].Hit);
        Assert.Equal(TransportAddress.Udp(IPAddress.Parse("192.0.2.1"), 10600), s.Relays[0].Address);
        Assert.Equal(TransportAddress.Udp(IPAddress.Parse("2001:db8::1"), 10500), s.Relays[1].Address);
        Assert.All(s.Relays, r => Assert.Equal([RegistrationType.RelayUdpHip, RegistrationType.RelayUdpEsp], r.Services));
        Assert.All(s.Relays, r => Assert.Equal(TimeSpan.FromSeconds(120), r.Lifetime));
        Assert.Equal(LogFormat.Json, s.LogFormat);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 9464), s.Metrics);
        Assert.Equal(TimeSpan.FromSeconds(15), s.Protocol.KeepaliveInterval);
        Assert.Equal(TimeSpan.FromSeconds(45), s.Protocol.PeerTimeout);
        Assert.Null(s.Registrar);

        var plain = DaemonCommandLine.BuildSettings(new DaemonFlags { Relays = [$"{RelayHit}=192.0.2.1"] });
        var relay = Assert.Single(plain.Relays);
        Assert.Equal([RegistrationType.RelayUdpHip], relay.Services);
        Assert.Equal([RegistrationType.RelayUdpEsp], relay.OptionalServices); // the data relay wherever it is offered
        Assert.Equal(TimeSpan.FromMinutes(10), relay.Lifetime);
        Assert.Equal(10500, relay.Address.Port);
        Assert.Equal(LogFormat.Simple, plain.LogFormat);
        Assert.Null(plain.Metrics);
    }

    [Fact]
    public void RelayFlagsBuildTheRegistrar()
    {
        var s = DaemonCommandLine.BuildSettings(new DaemonFlags
        {
            Registrar = true,
            Allow = [ClientHit, "2001:2b::1"],
            Services = "rendezvous, relay-hip",
            RelayAddress = "192.0.2.9",
            RelayPorts = "41000-41099",
            MaxClients = "500",
            LifetimeMin = "30",
            LifetimeMax = "600",
            Metrics = "[::1]:9100",
        });
        var r = Assert.IsType<RegistrarSettings>(s.Registrar);
        Assert.False(r.AllowAny);
        Assert.Equal([Hit.Parse(ClientHit), Hit.Parse("2001:2b::1")], r.Allow.Order());
        Assert.Equal([RegistrationType.Rendezvous, RegistrationType.RelayUdpHip], r.Services);
        Assert.Equal(IPAddress.Parse("192.0.2.9"), r.RelayAddress);
        Assert.Equal((41000, 41099), (r.RelayPortMin, r.RelayPortMax));
        Assert.Equal(500, r.MaxClients);
        Assert.Equal(TimeSpan.FromSeconds(30), r.LifetimeMin);
        Assert.Equal(TimeSpan.FromSeconds(600), r.LifetimeMax);
        Assert.Equal(new IPEndPoint(IPAddress.IPv6Loopback, 9100), s.Metrics);

        var o = r.ToOptions(r.RelayAddress);
        Assert.True(o.IsAllowed(Hit.Parse(ClientHit), RegistrationType.RelayUdpHip));
        Assert.False(o.IsAllowed(Hit.Parse("2001:2e::5"), RegistrationType.RelayUdpHip));
        Assert.Equal(41000, o.DataRelayPortMin);
        Assert.Equal(500, o.MaxClients);

        // Defaults: all three services, closed, core limits.
        var d = DaemonCommandLine.BuildSettings(new DaemonFlags { Registrar = true }).Registrar!;
        Assert.Equal([RegistrationType.Rendezvous, RegistrationType.RelayUdpHip, RegistrationType.RelayUdpEsp], d.Services);
        Assert.True(d.IsClosed);
        Assert.Equal((40000, 49999), (d.RelayPortMin, d.RelayPortMax));
        Assert.True(DaemonCommandLine.BuildSettings(new DaemonFlags { Registrar = true, AllowAny = true }).Registrar!.AllowAny);
    }

    [Fact]
    public async Task RelayFlagsOverrideTheConfigFile()
    {
        var config = _dir.File("relay.json");
        await File.WriteAllTextAsync(
            config,
            $$"""
            {
              "registrar": { "services": ["relay-hip"], "allow": ["{{ClientHit}}"], "relayPorts": "42000-42010", "maxClients": 7 },
              "relays": [{ "hit": "{{RelayHit}}", "address": "192.0.2.1:10600", "lifetimeSeconds": 300 }],
              "logFormat": "json",
              "metrics": "127.0.0.1:9000"
            }
            """,
            TestContext.Current.CancellationToken);
        var s = DaemonCommandLine.BuildSettings(new DaemonFlags
        {
            ConfigFile = config,
            Registrar = true,
            AllowAny = true,
            MaxClients = "9",
            Allow = ["2001:2b::1"],
            LogFormat = "simple",
            Metrics = "127.0.0.1:9001",
            Relays = [$"{RelayHit}=192.0.2.2:10700"],
            RegistrationLifetime = "60",
        });
        var r = s.Registrar!;
        Assert.True(r.AllowAny);
        Assert.Equal(9, r.MaxClients);
        Assert.Equal(2, r.Allow.Count); // the file's HIT and the flag's
        Assert.Equal([RegistrationType.RelayUdpHip], r.Services);
        Assert.Equal((42000, 42010), (r.RelayPortMin, r.RelayPortMax));
        Assert.Equal(LogFormat.Simple, s.LogFormat);
        Assert.Equal(9001, s.Metrics!.Port);
        var relay = Assert.Single(s.Relays); // same HIT: the flag replaces the file's entry
        Assert.Equal(10700, relay.Address.Port);
        Assert.Equal(TimeSpan.FromSeconds(60), relay.Lifetime);

        // `run` reads the registrar section too, but relay-only flags are not applied.
        var run = DaemonCommandLine.BuildSettings(new DaemonFlags { ConfigFile = config });
        Assert.Equal(7, run.Registrar!.MaxClients);
        Assert.False(run.Registrar.AllowAny);
    }

    [Fact]
    public void NoRelayEspNeverAsksForTheDataRelay()
    {
        var s = DaemonCommandLine.BuildSettings(new DaemonFlags { Relays = [$"{RelayHit}=192.0.2.1"], NoRelayEsp = true });
        var relay = Assert.Single(s.Relays);
        Assert.Equal([RegistrationType.RelayUdpHip], relay.Services);
        Assert.Empty(relay.OptionalServices);
        Assert.False(relay.RelayEspIfOffered);

        var e = Assert.Throws<ConfigException>(() => DaemonCommandLine.BuildSettings(new DaemonFlags { Relays = [$"{RelayHit}=192.0.2.1"], NoRelayEsp = true, RelayEsp = true }));
        Assert.Contains("contradict", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "--relay", "x" }, "--relay 'x': expected RELAYHIT=ADDR:PORT, e.g. 2001:20::1=192.0.2.1:10500")]
    [InlineData(new[] { "--relay", "192.0.2.1:10500=2001:20::1" }, "is not a HIT")]
    [InlineData(new[] { "--relay", "2001:2c::77=relay.example:10500" }, "'relay.example' is not an IP address")]
    [InlineData(new[] { "--relay", "2001:2c::77=hip://192.0.2.1" }, "is a raw HIP address; this needs a UDP address")]
    [InlineData(new[] { "--relay", "2001:2c::77=0.0.0.0:10500" }, "is a wildcard address")]
    [InlineData(new[] { "--relay-esp" }, "--relay-esp: there is no relay to register with; add --relay RELAYHIT=ADDR:PORT")]
    [InlineData(new[] { "--relay", "2001:2c::77=192.0.2.1", "--registration-lifetime", "5" }, "--registration-lifetime '5': out of range; use seconds, 10-604800")]
    [InlineData(new[] { "--relay", "2001:2c::77=192.0.2.1", "--registration-lifetime", "ten" }, "--registration-lifetime 'ten': not a number")]
    [InlineData(new[] { "--keepalive-interval", "5" }, "--keepalive-interval '5': RFC 9028 forbids NAT keepalives more often than every 15 s")]
    [InlineData(new[] { "--keepalive-interval", "4000" }, "--keepalive-interval '4000': out of range; use 0 (off) or 15-3600")]
    [InlineData(new[] { "--peer-timeout", "-1" }, "--peer-timeout '-1': out of range")]
    [InlineData(new[] { "--log-format", "xml" }, "--log-format 'xml': unknown format; use simple")]
    [InlineData(new[] { "--metrics", "localhost:9464" }, "--metrics 'localhost:9464': 'localhost' is not an IP address")]
    [InlineData(new[] { "--metrics", "127.0.0.1:99999" }, "--metrics '127.0.0.1:99999': port '99999' is not a number in 1-65535")]
    [InlineData(new[] { "--metrics", "::1:9464" }, "put an IPv6 address in brackets")]
    [InlineData(new[] { "--raw", "--relay", "2001:2c::77=192.0.2.1:10500" }, "needs HIP over UDP")]
    public async Task BadRunFlagsExitWith2AndNameTheFlag(string[] flags, string expected)
    {
        var r = await InProcessCli.RunAsync(["run", "--key", _dir.File("k.pem"), "--listen", "127.0.0.1:" + Ports.FreeUdpPort(), "--control", _dir.File("c.sock"), .. flags]);
        Assert.True(r.ExitCode == ExitCodes.Usage, r.ToString());
        Assert.StartsWith("hipnat run: ", r.Stderr, StringComparison.Ordinal);
        Assert.Contains(expected, r.Stderr, StringComparison.Ordinal);
        CliArgumentTests.AssertNoStackTrace(r);
    }

    [Theory]
    [InlineData(new[] { "--services", "relay-hip,turn" }, "--services 'relay-hip,turn': unknown service 'turn'; use a comma-separated list of rendezvous, relay-hip, relay-esp")]
    [InlineData(new[] { "--services", "" }, "--services '': no service given")]
    [InlineData(new[] { "--allow", "alice" }, "--allow 'alice' is not a HIT")]
    [InlineData(new[] { "--allow", "2001:db8::1" }, "ORCHIDv2")]
    [InlineData(new[] { "--relay-address", "0.0.0.0" }, "--relay-address '0.0.0.0': not a concrete IP address")]
    [InlineData(new[] { "--relay-address", "127.0.0.1:4000" }, "--relay-address '127.0.0.1:4000': not a concrete IP address; give one of this host's addresses (no port)")]
    [InlineData(new[] { "--relay-ports", "50000-40000" }, "--relay-ports '50000-40000': ports must be 1-65535 with MIN <= MAX")]
    [InlineData(new[] { "--relay-ports", "40000" }, "--relay-ports '40000' is not a port range; write MIN-MAX")]
    [InlineData(new[] { "--max-clients", "0" }, "--max-clients '0': out of range")]
    [InlineData(new[] { "--max-clients", "1.5" }, "--max-clients '1.5': not a whole number")]
    [InlineData(new[] { "--lifetime-min", "100", "--lifetime-max", "10" }, "--lifetime-max 10 is below --lifetime-min 100")]
    [InlineData(new[] { "--lifetime-max", "0" }, "--lifetime-max '0': out of range")]
    public async Task BadRelayFlagsExitWith2AndNameTheFlag(string[] flags, string expected)
    {
        var r = await InProcessCli.RunAsync(["relay", "--key", _dir.File("k.pem"), "--listen", "127.0.0.1:" + Ports.FreeUdpPort(), "--control", _dir.File("c.sock"), .. flags]);
        Assert.True(r.ExitCode == ExitCodes.Usage, r.ToString());
        Assert.StartsWith("hipnat relay: ", r.Stderr, StringComparison.Ordinal);
        Assert.Contains(expected, r.Stderr, StringComparison.Ordinal);
        CliArgumentTests.AssertNoStackTrace(r);
    }

    [Fact]
    public async Task ARelayPortRangeHoldingTheListenPortIsRefused()
    {
        TestKeys.Create(_dir.File("k.pem"));
        int port = Ports.FreeUdpPort();
        var r = await InProcessCli.RunAsync("relay", "--key", _dir.File("k.pem"), "--listen", $"127.0.0.1:{port}", "--relay-ports", $"{port - 5}-{port + 5}", "--control", _dir.File("c.sock"));
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Contains($"--relay-ports / config registrar.relayPorts {port - 5}-{port + 5} includes the listen port {port}", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARelayAddressThatIsNotLocalIsRefused()
    {
        TestKeys.Create(_dir.File("k.pem"));
        var r = await InProcessCli.RunAsync("relay", "--key", _dir.File("k.pem"), "--listen", $"127.0.0.1:{Ports.FreeUdpPort()}",
            "--relay-address", "192.0.2.77", "--relay-ports", "61000-61010", "--control", _dir.File("c.sock"));
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Contains("--relay-address 192.0.2.77 (config registrar.relayAddress) is not an address of this host", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RegisteringWithOurOwnHitIsRefused()
    {
        var hit = TestKeys.Create(_dir.File("k.pem"));
        var r = await InProcessCli.RunAsync("run", "--key", _dir.File("k.pem"), "--listen", $"127.0.0.1:{Ports.FreeUdpPort()}",
            "--relay", $"{hit}=127.0.0.1:10500", "--control", _dir.File("c.sock"));
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Contains($"--relay {hit}: that is this daemon's own HIT", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AMetricsPortInUseExitsWith4()
    {
        TestKeys.Create(_dir.File("k.pem"));
        using var taken = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var r = await InProcessCli.RunAsync("run", "--key", _dir.File("k.pem"), "--listen", $"127.0.0.1:{Ports.FreeUdpPort()}",
            "--metrics", $"127.0.0.1:{port}", "--control", _dir.File("c.sock"));
        Assert.Equal(ExitCodes.Environment, r.ExitCode);
        Assert.Contains($"cannot serve metrics on 127.0.0.1:{port}: the port is already in use; choose another --metrics port", r.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(_dir.File("c.sock")));
    }

    [Fact]
    public async Task TheHelpListsTheRelayCommandAndItsFlags()
    {
        var root = await InProcessCli.RunAsync("--help");
        Assert.Contains("relay", root.Stdout, StringComparison.Ordinal);
        var help = await InProcessCli.RunAsync("relay", "--help");
        foreach (var flag in new[] { "--allow", "--allow-any", "--services", "--relay-address", "--relay-ports", "--max-clients", "--lifetime-min", "--lifetime-max", "--metrics", "--log-format", "--key", "--listen", "--config", "--control", "--log-level" })
        {
            Assert.Contains(flag, help.Stdout, StringComparison.Ordinal);
        }

        var run = await InProcessCli.RunAsync("run", "--help");
        foreach (var flag in new[] { "--relay", "--relay-esp", "--registration-lifetime", "--metrics", "--log-format", "--keepalive-interval", "--peer-timeout" })
        {
            Assert.Contains(flag, run.Stdout, StringComparison.Ordinal);
        }
    }
}
