using Hipnat.Cli;
using Hipnat.Runtime.Tests.Support;

namespace Hipnat.Runtime.Tests;

/// <summary>
/// ICE in <c>hipnat run</c> as real processes on loopback: a server-reflexive candidate from a STUN server (a hipnat
/// relay's STUN service) learnt from the HIP socket, and the ICE state of an association in <c>status</c>.
/// </summary>
public sealed class IceEndToEndTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task AStunAnswerToTheHipSocketBecomesAServerReflexiveCandidateAndIceRunsAfterTheBaseExchange()
    {
        int relayPort = Ports.FreeUdpPort();
        var (portA, portB) = Ports.TwoFreeUdpPorts();
        var hitR = TestKeys.Create(_dir.File("relay.pem"));
        var hitA = TestKeys.Create(_dir.File("alice.pem"));
        var hitB = TestKeys.Create(_dir.File("bob.pem"));
        using var relay = await DaemonProcess.StartRelayAsync(hitR, _dir.File("r.sock"), "--key", _dir.File("relay.pem"), "--listen", $"127.0.0.1:{relayPort}", "--allow-any", "--services", "relay-hip");
        using var bob = await DaemonProcess.StartAsync(hitB, _dir.File("b.sock"), "--key", _dir.File("bob.pem"), "--listen", $"127.0.0.1:{portB}");
        using var alice = await DaemonProcess.StartAsync(hitA, _dir.File("a.sock"),
            "--key", _dir.File("alice.pem"), "--listen", $"127.0.0.1:{portA}", "--stun", $"127.0.0.1:{relayPort}", "--ice-pacing", "80",
            "--peer", $"{hitB}=127.0.0.1:{portB}");

        // The Binding request left from the HIP socket, so the reflexive address is that socket's.
        var status = await StatusJson.WaitForAsync(alice, s => s.StunServers.Any(x => x.State == "ok"), Timeout, "a STUN answer");
        var stun = Assert.Single(status.StunServers);
        Assert.Equal($"127.0.0.1:{relayPort}", stun.Server);
        Assert.Equal($"127.0.0.1:{portA}", stun.Reflexive);
        // Without a NAT the reflexive address is the host candidate itself: redundant, offered once (RFC 8445 §5.1.3).
        var candidate = Assert.Single(status.IceCandidates);
        Assert.Equal(("host", $"127.0.0.1:{portA}", "interface lo"), (candidate.Type, candidate.Address, candidate.Source));
        Assert.Equal(["ice-hip-udp", "ice-stun-udp", "udp-encapsulation"], status.NatTraversalModes);
        Assert.False(status.Counters.Drops.ContainsKey("BadFraming"), "the STUN answer reached the core");
        Assert.True(await alice.Process.WaitForOutputAsync($"server-reflexive candidate 127.0.0.1:{portA}", Timeout), alice.Process.Output);

        var connect = await alice.CliAsync("connect", hitB, "--timeout", "15");
        Assert.True(connect.ExitCode == ExitCodes.Ok, connect + alice.Process.Output + bob.Process.Output);
        status = await StatusJson.WaitForAsync(alice, s => s.Associations.Any(a => a.PeerHit == hitB && a.Ice is { Concluded: true }), Timeout, "ICE completed");
        var ice = status.Associations.Single(a => a.PeerHit == hitB).Ice!;
        Assert.Equal("ice-hip-udp", ice.Mode);
        Assert.Equal("controlling", ice.Role);
        Assert.Equal("completed", ice.State);
        Assert.Equal(80, ice.PacingMs); // the larger of both TRANSACTION_PACING values (bob offers 50 ms)
        Assert.Equal("direct", ice.SelectedPath);
        Assert.Equal($"host 127.0.0.1:{portA} -> host 127.0.0.1:{portB}", ice.Selected);
        var pair = Assert.Single(ice.Pairs, p => p.Selected);
        Assert.True(pair.Nominated);
        Assert.NotNull(pair.RttMs);

        var bobStatus = await StatusJson.WaitForAsync(bob, s => s.Associations.Any(a => a.PeerHit == hitA && a.Ice?.Selected is not null), Timeout, "a selected pair");
        Assert.Equal("controlled", bobStatus.Associations.Single(a => a.PeerHit == hitA).Ice!.Role);

        var table = await alice.CliAsync("status");
        Assert.Contains($"ICE with {hitB}: ice-hip-udp, controlling, completed", table.Stdout, StringComparison.Ordinal);
        Assert.Contains($"STUN       127.0.0.1:{relayPort} from 127.0.0.1:{portA}: ok reflexive 127.0.0.1:{portA}", table.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithOnlyUdpEncapsulationNoIceRuns()
    {
        var (portA, portB) = Ports.TwoFreeUdpPorts();
        var hitA = TestKeys.Create(_dir.File("alice.pem"));
        var hitB = TestKeys.Create(_dir.File("bob.pem"));
        using var bob = await DaemonProcess.StartAsync(hitB, _dir.File("b.sock"), "--key", _dir.File("bob.pem"), "--listen", $"127.0.0.1:{portB}");
        using var alice = await DaemonProcess.StartAsync(hitA, _dir.File("a.sock"),
            "--key", _dir.File("alice.pem"), "--listen", $"127.0.0.1:{portA}", "--nat-modes", "udp-encapsulation", "--peer", $"{hitB}=127.0.0.1:{portB}");
        var connect = await alice.CliAsync("connect", hitB, "--timeout", "15");
        Assert.True(connect.ExitCode == ExitCodes.Ok, connect + alice.Process.Output + bob.Process.Output);
        var status = await StatusJson.WaitForStateAsync(alice, hitB, "ESTABLISHED", Timeout);
        Assert.Equal(["udp-encapsulation"], status.NatTraversalModes);
        Assert.Empty(status.IceCandidates);
        Assert.Null(status.Associations.Single(a => a.PeerHit == hitB).Ice);
    }
}
