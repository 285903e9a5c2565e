using System.Text.RegularExpressions;
using Hipnat.Cli;
using Hipnat.Runtime.Tests.Support;

namespace Hipnat.Runtime.Tests;

/// <summary>Two real <c>hipnat run</c> processes on loopback, driven only by the hipnat command line.</summary>
public sealed partial class EndToEndTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task TwoDaemonsOverUdpCompleteABaseExchangeDrivenByConnect()
    {
        var (portA, portB) = Ports.TwoFreeUdpPorts();
        var hitA = TestKeys.Create(_dir.File("alice.pem"));
        var hitB = TestKeys.Create(_dir.File("bob.pem"), Hipnat.Crypto.HostIdentityKind.EcdsaP384);

        // Alice from flags only; Bob from a config file (with one flag on top).
        var bobConfig = _dir.File("bob.json");
        await File.WriteAllTextAsync(
            bobConfig,
            $$"""
            {
              "keyFile": "bob.pem",
              "listen": ["127.0.0.1:{{portB}}"],
              "peers": { "{{hitA}}": ["127.0.0.1:{{portA}}"] },
              "logLevel": "debug",
              "protocol": { "r2SentHoldSeconds": 0.2 }
            }
            """,
            TestContext.Current.CancellationToken);
        using var alice = await DaemonProcess.StartAsync(hitA, _dir.File("a.sock"),
            "--key", _dir.File("alice.pem"), "--listen", $"127.0.0.1:{portA}", "--peer", $"{hitB}=127.0.0.1:{portB}");
        using var bob = await DaemonProcess.StartAsync(hitB, _dir.File("b.sock"), "--config", bobConfig);

        var connect = await alice.CliAsync("connect", hitB, "--timeout", "15");
        Assert.True(connect.ExitCode == ExitCodes.Ok, connect + alice.Process.Output + bob.Process.Output);
        Assert.Matches(EstablishedLine(), connect.Stdout.Trim());
        Assert.StartsWith($"established with {hitB} via 127.0.0.1:{portB} in ", connect.Stdout, StringComparison.Ordinal);

        var statusA = await StatusJson.WaitForStateAsync(alice, hitB, "ESTABLISHED", TimeSpan.FromSeconds(10));
        var statusB = await StatusJson.WaitForStateAsync(bob, hitA, "ESTABLISHED", TimeSpan.FromSeconds(10));
        Assert.Equal(hitA, statusA.LocalHit);
        Assert.Equal(hitB, statusB.LocalHit);
        var a = Assert.Single(statusA.Associations);
        var b = Assert.Single(statusB.Associations);
        Assert.True(a.Initiator);
        Assert.False(b.Initiator);
        Assert.Equal($"127.0.0.1:{portB}", a.PeerAddress);
        Assert.Equal($"127.0.0.1:{portA}", b.PeerAddress);
        Assert.Equal(a.Cipher, b.Cipher);
        Assert.Equal(a.DhGroup, b.DhGroup);
        Assert.NotEmpty(a.SecurityAssociations);
        Assert.Equal(a.SecurityAssociations[0].InboundSpi, b.SecurityAssociations[0].OutboundSpi);
        Assert.Equal(a.SecurityAssociations[0].OutboundSpi, b.SecurityAssociations[0].InboundSpi);

        // The human table shows the same.
        var table = await alice.CliAsync("status");
        Assert.Equal(0, table.ExitCode);
        Assert.Contains("ESTABLISHED", table.Stdout, StringComparison.Ordinal);
        Assert.Contains(hitB, table.Stdout, StringComparison.Ordinal);

        // Connecting again reports the existing association.
        var again = await alice.CliAsync("connect", hitB);
        Assert.Equal(0, again.ExitCode);
        Assert.Equal($"already established with {hitB} via 127.0.0.1:{portB}", again.Stdout.Trim());

        // Close, and both sides leave ESTABLISHED.
        var close = await alice.CliAsync("close", hitB);
        Assert.True(close.ExitCode == 0, close.ToString());
        await WaitUntilAsync(async () => (await bob.StatusAsync()).Associations.All(x => x.State != "ESTABLISHED"), TimeSpan.FromSeconds(10));

        // The daemons log the exchange and stop cleanly on SIGTERM, removing their sockets.
        Assert.True(await alice.Process.StopAsync());
        Assert.True(await bob.Process.StopAsync());
        Assert.Equal(0, alice.Process.ExitCode);
        Assert.Equal(0, bob.Process.ExitCode);
        Assert.Contains($"established with {hitB} via 127.0.0.1:{portB} as initiator", alice.Process.Stdout, StringComparison.Ordinal);
        Assert.Contains($"established with {hitA} via 127.0.0.1:{portA} as responder", bob.Process.Stdout, StringComparison.Ordinal);
        Assert.False(File.Exists(alice.Control));
        Assert.False(File.Exists(bob.Control));
    }

    [Fact]
    public async Task ConnectFailsClearlyWhenThePeerDoesNotAnswer()
    {
        var (portA, silentPort) = Ports.TwoFreeUdpPorts();
        var hitA = TestKeys.Create(_dir.File("a.pem"));
        var hitB = TestKeys.Create(_dir.File("b.pem"));
        var hitC = TestKeys.Create(_dir.File("c.pem"));
        using var alice = await DaemonProcess.StartAsync(hitA, _dir.File("a.sock"),
            "--key", _dir.File("a.pem"), "--listen", $"127.0.0.1:{portA}", "--peer", $"{hitB}=127.0.0.1:{silentPort}");

        var started = DateTime.UtcNow;
        var r = await alice.CliAsync("connect", hitB, "--timeout", "1.5");
        Assert.Equal(ExitCodes.Failed, r.ExitCode);
        Assert.StartsWith($"hipnat connect: no association with {hitB} after 1.5 s (state I1-SENT, tried 127.0.0.1:{silentPort})", r.Stderr, StringComparison.Ordinal);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(30));

        var unknown = await alice.CliAsync("connect", hitC);
        Assert.Equal(ExitCodes.Failed, unknown.ExitCode);
        Assert.Contains($"no locator known for {hitC}; start the daemon with --peer {hitC}=ADDR:PORT or run `hipnat peers add {hitC} ADDR:PORT`", unknown.Stderr, StringComparison.Ordinal);

        var self = await alice.CliAsync("connect", hitA);
        Assert.Equal(ExitCodes.Failed, self.ExitCode);
        Assert.Contains("is this daemon's own HIT", self.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PeersAddedAtRunTimeCanBeConnected()
    {
        var (portA, portB) = Ports.TwoFreeUdpPorts();
        var hitA = TestKeys.Create(_dir.File("a.pem"));
        var hitB = TestKeys.Create(_dir.File("b.pem"));
        using var alice = await DaemonProcess.StartAsync(hitA, _dir.File("a.sock"), "--key", _dir.File("a.pem"), "--listen", $"127.0.0.1:{portA}");
        using var bob = await DaemonProcess.StartAsync(hitB, _dir.File("b.sock"), "--key", _dir.File("b.pem"), "--listen", $"127.0.0.1:{portB}");

        var add = await alice.CliAsync("peers", "add", hitB, $"127.0.0.1:{portB}");
        Assert.True(add.ExitCode == 0, add.ToString());
        var r = await alice.CliAsync("connect", hitB);
        Assert.True(r.ExitCode == 0, r + alice.Process.Output + bob.Process.Output);
        var status = await alice.StatusAsync();
        Assert.Contains(status.Peers, p => p.Hit == hitB && p.Locators.SequenceEqual([$"127.0.0.1:{portB}"]));
    }

    [Fact]
    public async Task TwoDaemonsOverRawHipCompleteABaseExchange()
    {
        Assert.SkipUnless(NativeSignals.IsRoot, "raw HIP (IP protocol 139) needs root; CI runs as root");
        var (ipA, ipB) = Ports.LoopbackPair();
        var hitA = TestKeys.Create(_dir.File("a.pem"));
        var hitB = TestKeys.Create(_dir.File("b.pem"));
        using var alice = await DaemonProcess.StartAsync(hitA, _dir.File("a.sock"),
            "--raw", "--key", _dir.File("a.pem"), "--listen", ipA.ToString(), "--peer", $"{hitB}={ipB}");
        using var bob = await DaemonProcess.StartAsync(hitB, _dir.File("b.sock"),
            "--raw", "--key", _dir.File("b.pem"), "--listen", ipB.ToString(), "--peer", $"{hitA}={ipA}");

        var connect = await alice.CliAsync("connect", hitB, "--timeout", "15");
        Assert.True(connect.ExitCode == 0, connect + alice.Process.Output + bob.Process.Output);
        Assert.StartsWith($"established with {hitB} via hip://{ipB} in ", connect.Stdout, StringComparison.Ordinal);

        var statusA = await StatusJson.WaitForStateAsync(alice, hitB, "ESTABLISHED", TimeSpan.FromSeconds(10));
        var statusB = await StatusJson.WaitForStateAsync(bob, hitA, "ESTABLISHED", TimeSpan.FromSeconds(10));
        Assert.Equal("raw", statusA.Transport);
        Assert.Equal($"hip://{ipB}", Assert.Single(statusA.Associations).PeerAddress);
        Assert.Equal($"hip://{ipA}", Assert.Single(statusB.Associations).PeerAddress);
        Assert.Equal(0, statusA.Counters.TransportBadChecksum);
        Assert.Equal(0, statusB.Counters.TransportBadChecksum);
    }

    [Fact]
    public async Task RawHipWithoutCapNetRawSaysSo()
    {
        var key = _dir.File("k.pem");
        TestKeys.Create(key);
        string[] run = ["run", "--raw", "--key", key, "--listen", "127.0.0.1", "--control", _dir.File("c.sock")];
        ProcessResult r;
        if (NativeSignals.IsRoot)
        {
            Assert.SkipUnless(File.Exists("/usr/sbin/capsh") || File.Exists("/sbin/capsh"), "capsh (libcap2-bin) is needed to drop CAP_NET_RAW as root");
            var capsh = File.Exists("/usr/sbin/capsh") ? "/usr/sbin/capsh" : "/sbin/capsh";
            using var p = new ChildProcess(capsh, ["--drop=cap_net_raw", "--", "-c", $"exec dotnet {HipnatBinary.Dll} {string.Join(' ', run)}"]);
            Assert.True(await p.WaitForExitAsync(TimeSpan.FromSeconds(60)), p.Output);
            r = new ProcessResult(p.ExitCode, p.Stdout, p.Stderr);
        }
        else
        {
            r = await ChildProcess.RunHipnatAsync(TimeSpan.FromSeconds(60), run);
        }

        Assert.Equal(ExitCodes.Environment, r.ExitCode);
        Assert.Equal("hipnat run: raw HIP needs root (CAP_NET_RAW); use UDP (the default) or run as root", r.Stderr.Trim());
    }

    [Fact]
    public async Task ASecondDaemonOnTheSamePortOrSocketIsRefused()
    {
        var port = Ports.FreeUdpPort();
        var hit = TestKeys.Create(_dir.File("a.pem"));
        using var first = await DaemonProcess.StartAsync(hit, _dir.File("a.sock"), "--key", _dir.File("a.pem"), "--listen", $"127.0.0.1:{port}");

        var samePort = await ChildProcess.RunHipnatAsync(TimeSpan.FromSeconds(60),
            "run", "--key", _dir.File("a.pem"), "--listen", $"127.0.0.1:{port}", "--control", _dir.File("other.sock"));
        Assert.Equal(ExitCodes.Environment, samePort.ExitCode);
        Assert.Contains($"cannot listen on 127.0.0.1:{port}: the port is already in use", samePort.Stderr, StringComparison.Ordinal);

        var sameSocket = await ChildProcess.RunHipnatAsync(TimeSpan.FromSeconds(60),
            "run", "--key", _dir.File("a.pem"), "--listen", $"127.0.0.1:{Ports.FreeUdpPort()}", "--control", first.Control);
        Assert.Equal(ExitCodes.Environment, sameSocket.ExitCode);
        Assert.Contains("another hipnat daemon is already listening on control socket", sameSocket.Stderr, StringComparison.Ordinal);

        // The first daemon is unaffected.
        Assert.Equal(hit, (await first.StatusAsync()).LocalHit);
    }

    internal static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            await Task.Delay(100);
        }
    }

    [GeneratedRegex(@"^established with [0-9a-f:]+ via [0-9.]+:\d+ in \d+\.\d ms$")]
    private static partial Regex EstablishedLine();
}
