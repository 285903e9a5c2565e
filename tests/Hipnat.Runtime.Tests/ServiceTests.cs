using System.Net.Sockets;
using System.Text;
using Hipnat.Runtime.Tests.Support;

namespace Hipnat.Runtime.Tests;

/// <summary>
/// hipnat as a system service: readiness and reload notifications on $NOTIFY_SOCKET (sd_notify), and SIGHUP reading
/// the configuration again — new peers and relays applied, established associations kept, a broken file changing
/// nothing (docs/service.md).
/// </summary>
public sealed class ServiceTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static async Task<string> ReceiveAsync(Socket socket, string expected, TimeSpan timeout)
    {
        var buffer = new byte[4096];
        var seen = new StringBuilder();
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            int n;
            try
            {
                n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"no notification with {expected}; got:\n{seen}");
            }

            var message = Encoding.UTF8.GetString(buffer, 0, n);
            seen.AppendLine(message).AppendLine("--");
            if (message.Split('\n').Contains(expected))
            {
                return message;
            }
        }
    }

    [Fact]
    public async Task TheServiceManagerHearsReadyReloadingAndStopping()
    {
        var hit = TestKeys.Create(_dir.File("host.pem"));
        string notifyPath = _dir.File("notify.sock");
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(notifyPath));

        using var daemon = await DaemonProcess.StartCommandAsync("run", hit, _dir.File("d.sock"), new Dictionary<string, string> { ["NOTIFY_SOCKET"] = notifyPath },
            "--key", _dir.File("host.pem"), "--listen", $"127.0.0.1:{Ports.FreeUdpPort()}");

        var ready = await ReceiveAsync(notify, "READY=1", Timeout);
        Assert.Contains($"MAINPID={daemon.Process.Id}", ready, StringComparison.Ordinal);
        Assert.Contains($"STATUS=running as {hit}", ready, StringComparison.Ordinal);

        Assert.Equal(0, NativeSignals.Kill(daemon.Process.Id, NativeSignals.SigHup));
        var reloading = await ReceiveAsync(notify, "RELOADING=1", Timeout);
        Assert.Matches(@"MONOTONIC_USEC=\d+", reloading);
        var again = await ReceiveAsync(notify, "READY=1", Timeout);
        Assert.Contains("reloaded", again, StringComparison.Ordinal);
        Assert.False(daemon.Process.HasExited, "SIGHUP ended the daemon");

        Assert.Equal(0, NativeSignals.Kill(daemon.Process.Id, NativeSignals.SigTerm));
        await ReceiveAsync(notify, "STOPPING=1", Timeout);
    }

    [Fact]
    public async Task SighupAppliesNewPeersAndRelaysAndKeepsEstablishedAssociations()
    {
        var (relayPort, relayedPort) = Ports.TwoFreeUdpPorts();
        var (portA, portB) = Ports.TwoFreeUdpPorts();
        int portC = Ports.FreeUdpPort();
        var hitR = TestKeys.Create(_dir.File("relay.pem"));
        var hitA = TestKeys.Create(_dir.File("alice.pem"));
        var hitB = TestKeys.Create(_dir.File("bob.pem"));
        var hitC = TestKeys.Create(_dir.File("carol.pem"));
        var hitD = TestKeys.Create(_dir.File("dan.pem")); // listed for a while, never running
        using var relay = await DaemonProcess.StartRelayAsync(hitR, _dir.File("r.sock"), "--key", _dir.File("relay.pem"), "--listen", $"127.0.0.1:{relayPort}", "--allow-any",
            "--relay-ports", $"{relayedPort}-{relayedPort}");
        using var bob = await DaemonProcess.StartAsync(hitB, _dir.File("b.sock"), "--key", _dir.File("bob.pem"), "--listen", $"127.0.0.1:{portB}");
        using var carol = await DaemonProcess.StartAsync(hitC, _dir.File("c.sock"), "--key", _dir.File("carol.pem"), "--listen", $"127.0.0.1:{portC}");

        string config = _dir.File("alice.json");
        File.WriteAllText(config, $$"""{ "peers": { "{{hitB}}": ["127.0.0.1:{{portB}}"] } }""");
        using var alice = await DaemonProcess.StartAsync(hitA, _dir.File("a.sock"), "--key", _dir.File("alice.pem"), "--listen", $"127.0.0.1:{portA}", "--config", config);
        var connect = await alice.CliAsync("connect", hitB, "--timeout", "15");
        Assert.True(connect.ExitCode == 0, connect + alice.Process.Output);
        var before = (await alice.StatusAsync()).Associations.Single(a => a.PeerHit == hitB);
        Assert.Equal("ESTABLISHED", before.State);

        // carol unknown before the reload.
        var early = await alice.CliAsync("connect", hitC, "--timeout", "2");
        Assert.NotEqual(0, early.ExitCode);

        // Add carol and a relay; send SIGHUP.
        File.WriteAllText(config, $$"""
            {
              "peers": { "{{hitB}}": ["127.0.0.1:{{portB}}"], "{{hitC}}": ["127.0.0.1:{{portC}}"], "{{hitD}}": ["127.0.0.1:9"] },
              "relays": [ { "hit": "{{hitR}}", "address": "127.0.0.1:{{relayPort}}" } ],
            }
            """);
        Assert.Equal(0, NativeSignals.Kill(alice.Process.Id, NativeSignals.SigHup));
        Assert.True(await alice.Process.WaitForOutputAsync("configuration reloaded: peers: 2 new", Timeout), alice.Process.Output);
        await StatusJson.WaitForRegistrationAsync(alice, hitR, "relay-hip", "granted", Timeout);
        var toCarol = await alice.CliAsync("connect", hitC, "--timeout", "15");
        Assert.True(toCarol.ExitCode == 0, toCarol + alice.Process.Output);

        // bob's association went on untouched: same SA pair, still established.
        var after = (await alice.StatusAsync()).Associations.Single(a => a.PeerHit == hitB);
        Assert.Equal("ESTABLISHED", after.State);
        Assert.Equal(before.SecurityAssociations[0].InboundSpi, after.SecurityAssociations[0].InboundSpi);
        Assert.True(after.EstablishedSecondsAgo >= before.EstablishedSecondsAgo, $"{before.EstablishedSecondsAgo} -> {after.EstablishedSecondsAgo}");

        // A broken file changes nothing and the daemon goes on.
        File.WriteAllText(config, """{ "peers": { "not-a-hit": [] } }""");
        Assert.Equal(0, NativeSignals.Kill(alice.Process.Id, NativeSignals.SigHup));
        Assert.True(await alice.Process.WaitForOutputAsync("configuration reload failed, nothing changed", Timeout), alice.Process.Output);
        Assert.Equal("ESTABLISHED", (await alice.StatusAsync()).Associations.Single(a => a.PeerHit == hitC).State);

        // The relay, carol and dan taken out again: the relay's registration is cancelled (lifetime 0) and the relay
        // lists no client; dan is forgotten (no locator, not listed, no base exchange), carol's association goes on.
        File.WriteAllText(config, $$"""{ "peers": { "{{hitB}}": ["127.0.0.1:{{portB}}"] } }""");
        Assert.Equal(0, NativeSignals.Kill(alice.Process.Id, NativeSignals.SigHup));
        Assert.True(await alice.Process.WaitForOutputAsync("2 removed, 2 locator(s) forgotten; relays: 0 new, 0 changed, 1 (", Timeout), alice.Process.Output);
        await StatusJson.WaitForAsync(relay, s => s.Registrar!.Clients.Count == 0, Timeout, "the relay without clients");
        var final = await alice.StatusAsync();
        Assert.Equal("ESTABLISHED", final.Associations.Single(a => a.PeerHit == hitB).State);
        Assert.Equal("ESTABLISHED", final.Associations.Single(a => a.PeerHit == hitC).State);
        Assert.DoesNotContain(final.Peers, p => p.Hit == hitD);
        var toDan = await alice.CliAsync("connect", hitD, "--timeout", "2");
        Assert.NotEqual(0, toDan.ExitCode);
        Assert.Contains("no locator", toDan.Stderr + toDan.Stdout, StringComparison.OrdinalIgnoreCase);
    }
}
