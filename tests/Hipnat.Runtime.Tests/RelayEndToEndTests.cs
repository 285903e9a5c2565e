using System.Buffers.Binary;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Hipnat.Cli;
using Hipnat.Runtime.Tests.Support;

namespace Hipnat.Runtime.Tests;

/// <summary>
/// <c>hipnat relay</c> and <c>hipnat run --relay</c> as real processes on loopback: registration (granted, refused),
/// a base exchange through the relay driven by <c>connect</c>, an unregistered host that the relay does not reach,
/// relayed ports bound and unbound, STUN on the relay's port, and the metrics endpoint.
/// </summary>
public sealed partial class RelayEndToEndTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task AHostRegisteredWithARelayIsReachedThroughItAndTheRelayCountsWhatItRelayed()
    {
        int relayPort = Ports.FreeUdpPort();
        var (portA, portB) = Ports.TwoFreeUdpPorts();
        int metricsPort = Ports.FreeTcpPort();
        var hitR = TestKeys.Create(_dir.File("relay.pem"));
        var hitA = TestKeys.Create(_dir.File("alice.pem"));
        var hitB = TestKeys.Create(_dir.File("bob.pem"));
        var metrics = $"http://127.0.0.1:{metricsPort}/metrics";

        using var relay = await StartRelayAsync(hitR,
            "--key", _dir.File("relay.pem"), "--listen", $"127.0.0.1:{relayPort}", "--allow-any", "--metrics", $"127.0.0.1:{metricsPort}");
        var before = await ScrapeAsync(metrics);
        Assert.Equal(0, Metric(before, "hipnat_relay_control_packets_total"));
        Assert.Equal(0, Metric(before, "hipnat_registered_clients"));

        using var bob = await DaemonProcess.StartAsync(hitB, _dir.File("b.sock"),
            "--key", _dir.File("bob.pem"), "--listen", $"127.0.0.1:{portB}", "--relay", $"{hitR}=127.0.0.1:{relayPort}");
        var reg = await StatusJson.WaitForRegistrationAsync(bob, hitR, "relay-hip", "granted", Timeout);
        Assert.Equal($"127.0.0.1:{portB}", reg.ReflexiveAddress);
        Assert.Equal($"127.0.0.1:{relayPort}", reg.RegistrarAddress);
        Assert.True(reg.LifetimeSeconds >= 600, $"lifetime {reg.LifetimeSeconds}");
        Assert.InRange(reg.ExpiresInSeconds!.Value, 500, reg.LifetimeSeconds!.Value);
        Assert.Null(reg.Failure);
        Assert.True(await bob.Process.WaitForOutputAsync($"registered with relay {hitR} for relay-hip: lifetime ", Timeout), bob.Process.Output);
        Assert.Contains($"reflexive address 127.0.0.1:{portB}", bob.Process.Stdout, StringComparison.Ordinal);

        // Alice knows only Bob's HIT and the relay's address.
        using var alice = await DaemonProcess.StartAsync(hitA, _dir.File("a.sock"),
            "--key", _dir.File("alice.pem"), "--listen", $"127.0.0.1:{portA}", "--peer", $"{hitB}=127.0.0.1:{relayPort}");
        var connect = await alice.CliAsync("connect", hitB, "--timeout", "15");
        Assert.True(connect.ExitCode == ExitCodes.Ok, connect + alice.Process.Output + relay.Process.Output + bob.Process.Output);
        Assert.StartsWith($"established with {hitB} via 127.0.0.1:{relayPort} in ", connect.Stdout, StringComparison.Ordinal);
        await StatusJson.WaitForStateAsync(bob, hitA, "ESTABLISHED", Timeout);

        // The relay lists Bob and has relayed the base exchange.
        var relayStatus = await StatusJson.WaitForAsync(relay, s => s.Counters.Relayed >= 4, Timeout, "four relayed control packets");
        var registrar = Assert.IsType<Hipnat.Runtime.Control.RegistrarReport>(relayStatus.Registrar);
        Assert.True(registrar.AllowAny);
        Assert.Equal(["rendezvous", "relay-hip", "relay-esp"], registrar.Services);
        var client = Assert.Single(registrar.Clients);
        Assert.Equal(hitB, client.ClientHit);
        Assert.Equal($"127.0.0.1:{portB}", client.ClientAddress);
        Assert.Equal($"127.0.0.1:{relayPort}", client.LocalAddress);
        // Bob asked for the data relay too without naming it: the relay offers it.
        Assert.Equal(["relay-hip", "relay-esp"], client.Services.Select(x => x.Service));
        Assert.True(client.RelayedPackets >= 4, $"relayed {client.RelayedPackets}");
        Assert.True(client.RelayedBytes > client.RelayedPackets * 40);
        Assert.NotNull(client.RelayedAddress);
        Assert.True(await relay.Process.WaitForOutputAsync($"client {hitB} registered for relay-hip from 127.0.0.1:{portB}", Timeout), relay.Process.Output);

        // After the relayed exchange both hosts find the direct path (nothing between them on loopback).
        var aliceStatus = await StatusJson.WaitForAsync(alice, s => s.Associations.Any(a => a.PeerHit == hitB && a.ActivePath == "direct"), Timeout, "direct path");
        var assoc = aliceStatus.Associations.Single(a => a.PeerHit == hitB);
        Assert.Equal($"127.0.0.1:{portB}", assoc.PeerAddress);
        Assert.Contains(assoc.LocatorPairs, p => p.Peer == $"127.0.0.1:{relayPort}" && p.ThroughRelay);
        Assert.Contains(assoc.LocatorPairs, p => p.Peer == $"127.0.0.1:{portB}" && !p.ThroughRelay && p.LastReceivedSecondsAgo is not null);

        // The human status shows both roles.
        var bobTable = await bob.CliAsync("status");
        Assert.Contains("registrations with relays", bobTable.Stdout, StringComparison.Ordinal);
        Assert.Matches($@"{Regex.Escape(hitR)}\s+127\.0\.0\.1:{relayPort}\s+relay-hip\s+granted\s+in \d+m\d\ds\s+127\.0\.0\.1:{portB}", bobTable.Stdout);
        var relayTable = await relay.CliAsync("status");
        Assert.Contains("registrar  rendezvous,relay-hip,relay-esp for anyone", relayTable.Stdout, StringComparison.Ordinal);
        Assert.Contains(hitB, relayTable.Stdout, StringComparison.Ordinal);

        // The metrics moved.
        var after = await ScrapeAsync(metrics);
        Assert.True(Metric(after, "hipnat_relay_control_packets_total") >= 4, after);
        Assert.Equal(1, Metric(after, "hipnat_registered_clients"));
        Assert.Equal(1, Metric(after, "hipnat_registrations{role=\"server\",service=\"relay-hip\"}"));
        Assert.Equal(1, Metric(after, "hipnat_registration_events_total{event=\"granted\",role=\"server\",service=\"relay-hip\"}"));
        Assert.True(Metric(after, "hipnat_packets_received_total") > Metric(before, "hipnat_packets_received_total"));
        // The relay's one association (with bob) is ESTABLISHED, or still R2-SENT during its hold time (RFC 7401 Table 5).
        Assert.Equal(1, Metric(after, "hipnat_associations{state=\"ESTABLISHED\"}") + Metric(after, "hipnat_associations{state=\"R2-SENT\"}"));
        Assert.Equal($"http://127.0.0.1:{metricsPort}/metrics", relayStatus.MetricsUrl);
    }

    [Fact]
    public async Task ARelayWithoutAllowListRefusesAndTheHostSaysWhyInStatusAndJsonLogs()
    {
        int relayPort = Ports.FreeUdpPort();
        int portB = Ports.FreeUdpPort();
        var hitR = TestKeys.Create(_dir.File("relay.pem"));
        var hitB = TestKeys.Create(_dir.File("bob.pem"));
        using var relay = await StartRelayAsync(hitR, "--key", _dir.File("relay.pem"), "--listen", $"127.0.0.1:{relayPort}");
        Assert.True(await relay.Process.WaitForOutputAsync("registration is closed: no HIT is allowed", Timeout), relay.Process.Output);

        using var bob = await DaemonProcess.StartAsync(hitB, _dir.File("b.sock"),
            "--key", _dir.File("bob.pem"), "--listen", $"127.0.0.1:{portB}", "--relay", $"{hitR}=127.0.0.1:{relayPort}", "--log-format", "json");
        var reg = await StatusJson.WaitForRegistrationAsync(bob, hitR, "relay-hip", "refused", Timeout);
        Assert.Equal("additional-credentials-required", reg.Failure);
        Assert.Contains($"hipnat relay --allow {hitB}", reg.LastError, StringComparison.Ordinal);
        Assert.Null(reg.LifetimeSeconds);

        var table = await bob.CliAsync("status");
        Assert.Contains("refused (additional-credentials-required)", table.Stdout, StringComparison.Ordinal);

        var relayStatus = await relay.StatusAsync();
        Assert.Empty(relayStatus.Registrar!.Clients);
        Assert.False(relayStatus.Registrar.AllowAny);

        // Bob's log is JSON lines; the refusal carries its values.
        Assert.True(await bob.Process.WaitForOutputAsync("refused relay-hip", Timeout), bob.Process.Output);
        var entries = bob.Process.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Contains(entries, e => e.GetProperty("Message").GetString()!.StartsWith("hipnat daemon up", StringComparison.Ordinal));
        var refusal = entries.First(e => e.GetProperty("Message").GetString()!.Contains("refused relay-hip", StringComparison.Ordinal));
        Assert.Equal("Warning", refusal.GetProperty("LogLevel").GetString());
        Assert.Equal("hipnat", refusal.GetProperty("Category").GetString());
        Assert.Equal(hitR, refusal.GetProperty("State").GetProperty("Relay").GetString());
        Assert.Equal("relay-hip", refusal.GetProperty("State").GetProperty("Service").GetString());
    }

    [Fact]
    public async Task AnAllowListGrantsListedHostsOnly()
    {
        int relayPort = Ports.FreeUdpPort();
        var (portB, portC) = Ports.TwoFreeUdpPorts();
        var hitR = TestKeys.Create(_dir.File("relay.pem"));
        var hitB = TestKeys.Create(_dir.File("bob.pem"));
        var hitC = TestKeys.Create(_dir.File("carol.pem"));
        using var relay = await StartRelayAsync(hitR,
            "--key", _dir.File("relay.pem"), "--listen", $"127.0.0.1:{relayPort}", "--allow", hitB, "--services", "relay-hip");
        using var bob = await DaemonProcess.StartAsync(hitB, _dir.File("b.sock"),
            "--key", _dir.File("bob.pem"), "--listen", $"127.0.0.1:{portB}", "--relay", $"{hitR}=127.0.0.1:{relayPort}");
        using var carol = await DaemonProcess.StartAsync(hitC, _dir.File("c.sock"),
            "--key", _dir.File("carol.pem"), "--listen", $"127.0.0.1:{portC}", "--relay", $"{hitR}=127.0.0.1:{relayPort}", "--relay-esp");

        await StatusJson.WaitForRegistrationAsync(bob, hitR, "relay-hip", "granted", Timeout);
        var refused = await StatusJson.WaitForRegistrationAsync(carol, hitR, "relay-hip", "refused", Timeout);
        Assert.Equal("additional-credentials-required", refused.Failure);

        // relay-esp is not offered: Carol learns that locally from REG_INFO.
        var esp = await StatusJson.WaitForRegistrationAsync(carol, hitR, "relay-esp", "refused", Timeout);
        Assert.Equal("type-unavailable", esp.Failure);

        var relayStatus = await relay.StatusAsync();
        Assert.Equal([hitB], relayStatus.Registrar!.Allowed);
        Assert.Equal(["relay-hip"], relayStatus.Registrar.Services);
        Assert.Equal(hitB, Assert.Single(relayStatus.Registrar.Clients).ClientHit);
    }

    [Fact]
    public async Task AHostThatIsNotRegisteredIsUnreachableThroughTheRelay()
    {
        int relayPort = Ports.FreeUdpPort();
        int portA = Ports.FreeUdpPort();
        var hitR = TestKeys.Create(_dir.File("relay.pem"));
        var hitA = TestKeys.Create(_dir.File("alice.pem"));
        var hitC = TestKeys.Create(_dir.File("carol.pem")); // no daemon, never registered
        using var relay = await StartRelayAsync(hitR,
            "--key", _dir.File("relay.pem"), "--listen", $"127.0.0.1:{relayPort}", "--allow-any");
        using var alice = await DaemonProcess.StartAsync(hitA, _dir.File("a.sock"),
            "--key", _dir.File("alice.pem"), "--listen", $"127.0.0.1:{portA}", "--peer", $"{hitC}=127.0.0.1:{relayPort}");

        var r = await alice.CliAsync("connect", hitC, "--timeout", "2");
        Assert.Equal(ExitCodes.Failed, r.ExitCode);
        Assert.StartsWith($"hipnat connect: no association with {hitC} after 2 s (state I1-SENT, tried 127.0.0.1:{relayPort})", r.Stderr, StringComparison.Ordinal);
        Assert.Contains($"if 127.0.0.1:{relayPort} is a relay, {hitC} must be registered with it", r.Stderr, StringComparison.Ordinal);

        var relayStatus = await relay.StatusAsync();
        Assert.True(relayStatus.Counters.Drops.GetValueOrDefault("NotForUs") >= 1, relayStatus.Counters.Drops.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(0, relayStatus.Counters.Relayed);
    }

    [Fact]
    public async Task ADataRelayClientGetsARelayedPortThatIsBoundWhileItIsRegistered()
    {
        int relayPort = Ports.FreeUdpPort();
        var (portB, relayedPort) = Ports.TwoFreeUdpPorts();
        var hitR = TestKeys.Create(_dir.File("relay.pem"));
        var hitB = TestKeys.Create(_dir.File("bob.pem"));
        using var relay = await StartRelayAsync(hitR,
            "--key", _dir.File("relay.pem"), "--listen", $"127.0.0.1:{relayPort}", "--allow-any", "--relay-ports", $"{relayedPort}-{relayedPort}");
        using var bob = await DaemonProcess.StartAsync(hitB, _dir.File("b.sock"),
            "--key", _dir.File("bob.pem"), "--listen", $"127.0.0.1:{portB}", "--relay", $"{hitR}=127.0.0.1:{relayPort}", "--relay-esp",
            "--registration-lifetime", "120");

        var esp = await StatusJson.WaitForRegistrationAsync(bob, hitR, "relay-esp", "granted", Timeout);
        Assert.Equal($"127.0.0.1:{relayedPort}", esp.RelayedAddress);
        Assert.InRange(esp.LifetimeSeconds!.Value, 120, 130);
        var relayStatus = await relay.StatusAsync();
        Assert.Equal(1, relayStatus.Registrar!.RelayedPortsOpen);
        Assert.Equal($"127.0.0.1:{relayedPort}", Assert.Single(relayStatus.Registrar.Clients).RelayedAddress);
        Assert.True(await relay.Process.WaitForOutputAsync($"relayed port 127.0.0.1:{relayedPort} opened for client {hitB}", Timeout), relay.Process.Output);

        // The port is bound by the relay, and what arrives there reaches its core (ESP without a permission: dropped, counted).
        using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            Assert.Throws<SocketException>(() => probe.Bind(new IPEndPoint(IPAddress.Loopback, relayedPort)));
            var esp1 = new byte[64];
            BinaryPrimitives.WriteUInt32BigEndian(esp1, 0x12345678);
            BinaryPrimitives.WriteUInt32BigEndian(esp1.AsSpan(4), 1);
            probe.SendTo(esp1, new IPEndPoint(IPAddress.Loopback, relayedPort));
        }

        await StatusJson.WaitForAsync(relay, s => s.Counters.Drops.GetValueOrDefault("NoPermission") >= 1, Timeout, "NoPermission drop at the relayed port");

        // Bob leaves (CLOSE at shutdown): the registration ends and the relay unbinds the port.
        Assert.True(await bob.Process.StopAsync());
        await StatusJson.WaitForAsync(relay, s => s.Registrar!.Clients.Count == 0 && s.Registrar.RelayedPortsOpen == 0, Timeout, "client gone, port closed");
        using var again = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        again.Bind(new IPEndPoint(IPAddress.Loopback, relayedPort));
        Assert.True(await relay.Process.WaitForOutputAsync($"relayed port 127.0.0.1:{relayedPort} of client {hitB} closed", Timeout), relay.Process.Output);
    }

    [Fact]
    public async Task TheRelayAnswersStunBindingOnItsHipPort()
    {
        int relayPort = Ports.FreeUdpPort();
        var hitR = TestKeys.Create(_dir.File("relay.pem"));
        using var relay = await StartRelayAsync(hitR, "--key", _dir.File("relay.pem"), "--listen", $"127.0.0.1:{relayPort}");

        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        int ourPort = ((IPEndPoint)s.LocalEndPoint!).Port;
        var request = new byte[20];
        BinaryPrimitives.WriteUInt16BigEndian(request, 0x0001); // Binding request
        BinaryPrimitives.WriteUInt32BigEndian(request.AsSpan(4), 0x2112A442);
        Random.Shared.NextBytes(request.AsSpan(8, 12));
        s.SendTo(request, new IPEndPoint(IPAddress.Loopback, relayPort));
        s.ReceiveTimeout = 5000;
        var buf = new byte[1500];
        int n = s.Receive(buf);

        Assert.Equal(0x0101, BinaryPrimitives.ReadUInt16BigEndian(buf)); // Binding success response
        Assert.Equal(request.AsSpan(8, 12).ToArray(), buf.AsSpan(8, 12).ToArray());
        int mappedPort = -1;
        for (int i = 20; i + 4 <= n;)
        {
            ushort type = BinaryPrimitives.ReadUInt16BigEndian(buf.AsSpan(i));
            ushort len = BinaryPrimitives.ReadUInt16BigEndian(buf.AsSpan(i + 2));
            if (type == 0x0020) // XOR-MAPPED-ADDRESS
            {
                mappedPort = BinaryPrimitives.ReadUInt16BigEndian(buf.AsSpan(i + 6)) ^ 0x2112;
            }

            i += 4 + ((len + 3) & ~3);
        }

        Assert.Equal(ourPort, mappedPort);
        Assert.Equal(1, (await relay.StatusAsync()).Counters.StunAnswered);
    }

    /// <summary>
    /// Starts <c>hipnat relay</c> on control socket r.sock. Unless the arguments choose one, the relayed port range is
    /// one free port: the default 40000-49999 lies inside Linux's ephemeral range, where the test's listen port may be.
    /// </summary>
    private Task<DaemonProcess> StartRelayAsync(string hit, params string[] arguments)
    {
        if (arguments.Contains("--relay-ports"))
        {
            return DaemonProcess.StartRelayAsync(hit, _dir.File("r.sock"), arguments);
        }

        int port;
        do
        {
            port = Ports.FreeUdpPort();
        }
        while (arguments.Any(a => a.EndsWith($":{port}", StringComparison.Ordinal)));

        return DaemonProcess.StartRelayAsync(hit, _dir.File("r.sock"), [.. arguments, "--relay-ports", $"{port}-{port}"]);
    }

    internal static async Task<string> ScrapeAsync(string url)
    {
        using var response = await Http.GetAsync(url, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>The value of the sample <paramref name="series"/> (name plus labels as printed) in a scrape.</summary>
    internal static double Metric(string scrape, string series)
    {
        foreach (var line in scrape.Split('\n'))
        {
            if (line.StartsWith(series + " ", StringComparison.Ordinal))
            {
                return double.Parse(line[(series.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        throw new Xunit.Sdk.XunitException($"no sample {series} in:\n{scrape}");
    }
}
