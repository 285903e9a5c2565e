using System.Globalization;
using System.Net;
using Hipnat.Lab.Demo;

namespace Hipnat.Lab.Tests;

/// <summary>
/// Mobility between real daemons through real NATs (RFC 8046; RFC 9028 §4.9; draft-melen-hip-nat-mm §5.1), measured
/// the way a user feels it: an unmodified <c>ping -i 0.01</c> over hip0 runs while the host moves, and the longest
/// gap between replies after the new address is up (and the replies lost) is what the test asserts.
/// </summary>
[Collection(nameof(HipLabCollection))]
public class HandoverLabTests
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(1.5);

    /// <summary>A relay, bob behind nat2 and alice behind nat1 with a third NAT to move to, both registered, ICE on a
    /// direct pair, and a ping from alice to bob's HIT running.</summary>
    private sealed class Moving : IDisposable
    {
        public Moving(NatOptions nat, string[]? extra = null, NatOptions? bobNat = null)
        {
            Lab = HipLab.Create(nat, bobNat ?? nat);
            Nat3 = Lab.Lab.AddNat("nat3", Lab.Public, "198.18.3.0/24", nat);
            Relay = Lab.StartRelay("--allow-any", "--log-level", "debug");
            string[] register = ["--relay", $"{Lab.RelayHit}={Lab.RelayEndpoint}", "--log-level", "debug", .. extra ?? []];
            Bob = Lab.Tool.StartHost(Lab.BobHost, Lab.Ids["bob"], register);
            Alice = Lab.Tool.StartHost(Lab.AliceHost, Lab.Ids["alice"], [.. register, "--peer", $"{Lab.BobHit}={Lab.RelayEndpoint}"]);
            HipLab.WaitForRegistration(Bob, Lab.RelayHit);
            HipLab.WaitForRegistration(Alice, Lab.RelayHit);
            var connect = HipLab.Connect(Alice, Lab.BobHit);
            Assert.True(connect.Succeeded, $"{connect}\n{Logs()}");
        }

        public HipLab Lab { get; }

        public LabNat Nat3 { get; }

        public HipnatDaemon Relay { get; }

        public HipnatDaemon Alice { get; }

        public HipnatDaemon Bob { get; }

        public PingRecorder? Ping { get; set; }

        public string Logs() => $"alice:\n{Alice.Tail(400)}\nbob:\n{Bob.Tail(40)}\nrelay:\n{Relay.Tail(40)}";

        public void Dispose()
        {
            Ping?.Dispose();
            Alice.Dispose();
            Bob.Dispose();
            Relay.Dispose();
            Lab.Dispose();
        }
    }

    private static PingRecorder StartPing(Moving m)
    {
        var ping = PingRecorder.Start(m.Lab.AliceHost, m.Lab.BobHit, new PingOptions { Interval = TimeSpan.FromMilliseconds(10) });
        m.Ping = ping;
        Assert.True(ping.WaitForReplies(50, TimeSpan.FromSeconds(15)), $"ping over hip0 never got going\n{ping.Snapshot().Replies.Count} replies\n{m.Logs()}");
        return ping;
    }

    /// <summary>
    /// The new uplink is up when the host can reach its gateway: the kernel announces carrier and the address
    /// before the bridge forwards (link events are batched up to a second), as a Wi-Fi or cellular link is up
    /// before its first packet goes through. The handover is measured from there.
    /// </summary>
    private static void WaitForUplink(LabHost host, LabNat gateway)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (DateTime.UtcNow < deadline)
        {
            if (host.Ping(gateway.Inside.Address, count: 1, timeout: TimeSpan.FromMilliseconds(100)).Received > 0)
            {
                return;
            }
        }

        Assert.Fail($"{host.Name} cannot reach {gateway.Name} at {gateway.Inside.Address} after moving there");
    }

    /// <summary>
    /// A second uplink the way a multihomed host has one: its own interface, a routing table for its source address
    /// (so what is sent from it leaves through it), and a default route of lower preference that takes over when
    /// the first uplink goes.
    /// </summary>
    private static LabInterface AddUplink(LabHost host, LabNat nat)
    {
        var nic = host.AddInterface(nat.InsideSegment);
        string gateway = nat.Inside.Address.ToString();
        host.Run("ip", "rule", "add", "from", nic.Address.ToString(), "table", "100").EnsureSuccess();
        host.Run("ip", "route", "add", "default", "via", gateway, "dev", nic.Name, "table", "100").EnsureSuccess();
        host.Run("ip", "route", "add", "default", "via", gateway, "dev", nic.Name, "metric", "100").EnsureSuccess();
        return nic;
    }

    private static TimeSpan P95(List<TimeSpan> values)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(sorted.Count * 0.95) - 1)];
    }

    private static string Ms(TimeSpan t) => t.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture) + " ms";

    private static void Report(string what, List<TimeSpan> gaps, PingTrace trace)
    {
        var line = $"{what}: {gaps.Count} moves, gap after the new address median {Ms(gaps.Order().ElementAt(gaps.Count / 2))}, p95 {Ms(P95(gaps))}, " +
            $"max {Ms(gaps.Max())}; ping sent {trace.Sent}, lost {trace.Lost}, every {trace.MeasuredInterval?.TotalMilliseconds:0.0} ms";
        TestContext.Current.TestOutputHelper?.WriteLine(line);
        var dir = Environment.GetEnvironmentVariable("HIPNAT_LAB_ARTIFACTS");
        if (!string.IsNullOrEmpty(dir))
        {
            Directory.CreateDirectory(dir);
            File.AppendAllText(Path.Combine(dir, "handover-figures.txt"), line + Environment.NewLine);
        }
    }

    [Fact]
    public void BreakBeforeMakeBetweenTwoNatsTheAssociationSurvivesAndPingResumesWithinASecond()
    {
        using var m = new Moving(NatOptions.PortRestrictedCone);
        HipLab.WaitForPath(m.Alice, m.Lab.BobHit, p => p.Address.Equals(m.Lab.Nat2.PublicAddress), TimeSpan.FromSeconds(10), "a direct path to bob");
        var ping = StartPing(m);
        var gaps = new List<TimeSpan>();
        const int Moves = 8;
        for (int i = 0; i < Moves; i++)
        {
            var target = i % 2 == 0 ? m.Nat3 : m.Lab.Nat1;
            m.Lab.AliceHost.MoveTo(target.InsideSegment, TimeSpan.FromMilliseconds(200));
            WaitForUplink(m.Lab.AliceHost, target);
            var up = ping.Mark($"new address up behind {target.Name} ({i + 1})");
            Assert.True(ping.WaitForReplyAfter(up.At, TimeSpan.FromSeconds(10)), $"no reply after move {i + 1}\n{m.Logs()}");
            Thread.Sleep(Settle);
            var gap = ping.Snapshot().GapAfter(up.Label);
            Assert.NotNull(gap);
            gaps.Add(gap.Value.Duration);
        }

        var trace = ping.Stop();
        Report("break-before-make, port-restricted cones", gaps, trace);

        // The same association throughout, and bob now reaches alice behind the NAT she ended behind.
        var bob = m.Bob.Status();
        Assert.Equal("ESTABLISHED", HipnatStatus.State(bob, m.Lab.AliceHit));
        Assert.True(P95(gaps) <= TimeSpan.FromSeconds(1), $"p95 gap {Ms(P95(gaps))}: {string.Join(", ", gaps.Select(Ms))}\n{m.Logs()}");
        var table = m.Alice.Cli(HipLab.CliTimeout, "status");
        Assert.Contains("last handover (we moved", table.StandardOutput, StringComparison.Ordinal);
        TestContext.Current.TestOutputHelper?.WriteLine(table.StandardOutput);
    }

    [Fact]
    public void MakeBeforeBreakASecondUplinkThenTheFirstAddressRemovedLosesNothing()
    {
        using var m = new Moving(NatOptions.PortRestrictedCone);
        HipLab.WaitForPath(m.Alice, m.Lab.BobHit, p => p.Address.Equals(m.Lab.Nat2.PublicAddress), TimeSpan.FromSeconds(10), "a direct path to bob");
        var ping = StartPing(m);
        var first = m.Lab.AliceHost.PrimaryInterface;
        var second = AddUplink(m.Lab.AliceHost, m.Nat3);
        ping.Mark("second uplink up");
        Thread.Sleep(TimeSpan.FromSeconds(2));
        m.Lab.AliceHost.RemoveInterface(first);
        var gone = ping.Mark("first uplink removed");
        Thread.Sleep(TimeSpan.FromSeconds(3));
        var trace = ping.Stop();
        Report("make-before-break", [trace.GapAfter(gone.Label)?.Duration ?? TimeSpan.MaxValue], trace);

        HipLab.WaitForPath(m.Bob, m.Lab.AliceHit, p => p.Address.Equals(m.Nat3.PublicAddress), TimeSpan.FromSeconds(5), "bob's path to alice behind nat3");
        Assert.True(trace.Lost <= 1, $"lost {trace.Lost} of {trace.Sent}; unanswered {string.Join(",", trace.Unanswered.Take(20))}\n{m.Logs()}");
        _ = second;
    }

    [Fact]
    public void WhenThePeersNatIsRenumberedBothSidesNoticeTheSilenceAndPingResumesWithinASecond()
    {
        using var m = new Moving(NatOptions.PortRestrictedCone);
        HipLab.WaitForPath(m.Alice, m.Lab.BobHit, p => p.Address.Equals(m.Lab.Nat2.PublicAddress), TimeSpan.FromSeconds(10), "a direct path to bob");
        var ping = StartPing(m);
        var gaps = new List<TimeSpan>();
        for (int i = 0; i < 4; i++)
        {
            var newPublic = m.Lab.Nat2.Renumber();
            var at = ping.Mark($"nat2 renumbered to {newPublic} ({i + 1})");
            Assert.True(ping.WaitForReplyAfter(at.At, TimeSpan.FromSeconds(10)), $"no reply after renumbering {i + 1}\n{m.Logs()}");
            Thread.Sleep(Settle);
            gaps.Add(ping.Snapshot().GapAfter(at.Label)!.Value.Duration);
            HipLab.WaitForPath(m.Alice, m.Lab.BobHit, p => p.Address.Equals(newPublic), TimeSpan.FromSeconds(5), $"alice's path to bob at {newPublic}");
        }

        var trace = ping.Stop();
        Report("NAT rebinding (peer's NAT renumbered)", gaps, trace);
        Assert.True(P95(gaps) <= TimeSpan.FromSeconds(1), $"p95 gap {Ms(P95(gaps))}: {string.Join(", ", gaps.Select(Ms))}\n{m.Logs()}");
    }
}
