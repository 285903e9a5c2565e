using System.Globalization;
using System.Text.Json;
using Hipnat.Lab.Demo;
using Hipnat.Lab.Internal;

namespace Hipnat.Lab.Tests;

/// <summary>
/// Simultaneous multihoming between real daemons (RFC 8047 §4.2.4; draft-melen-hip-nat-mm §3.2.1, §4): alice has two
/// uplinks behind two NATs (nat1, nat3), bob one (nat2, full cone: alice's second interface has no server-reflexive
/// candidate bob could open his NAT towards, so her checks from it must get through unasked). With
/// <c>--multihoming load-balance</c> alice's second interface gets its own SA pair, ESP leaves each uplink with its own
/// SPI, and <c>iperf3 -P 4</c> over hip0 with both uplinks limited by <c>tc tbf</c> to the same rate gets about twice
/// what the same run gets with <c>failover</c> (one SA pair, one uplink).
/// </summary>
[Collection(nameof(HipLabCollection))]
public class MultihomingLabTests
{
    /// <summary>Each uplink's egress rate (alice's interfaces, tc tbf).</summary>
    private const string Rate = "10mbit";

    private const int Seconds = 6;

    private static void Limit(LabHost host, string nic) =>
        host.Run("tc", "qdisc", "replace", "dev", nic, "root", "tbf", "rate", Rate, "burst", "32kb", "latency", "100ms").EnsureSuccess();

    /// <summary>Bits per second iperf3's receiver counted.</summary>
    private static double Iperf(LabHost client, string server, string label, Func<string> logs)
    {
        var r = client.Run(TimeSpan.FromSeconds(Seconds + 30), "iperf3", "-c", server, "-P", "4", "-t", Seconds.ToString(CultureInfo.InvariantCulture), "-O", "1", "-J");
        Assert.True(r.ExitCode == 0, $"iperf3 ({label}) failed: {r.StandardOutput}{r.StandardError}\n{logs()}");
        using var json = JsonDocument.Parse(r.StandardOutput);
        return json.RootElement.GetProperty("end").GetProperty("sum_received").GetProperty("bits_per_second").GetDouble();
    }

    /// <summary>alice's SA pairs with bob in her status: (inbound SPI, outbound SPI, bound local address or null).</summary>
    private static List<(string In, string Out, string? BoundLocal)> SaPairs(JsonElement status, string peer)
    {
        var list = new List<(string, string, string?)>();
        if (HipnatStatus.Association(status, peer) is { } a && a.TryGetProperty("securityAssociations", out var sas))
        {
            foreach (var sa in sas.EnumerateArray())
            {
                list.Add((sa.GetProperty("inboundSpi").GetString()!, sa.GetProperty("outboundSpi").GetString()!,
                    sa.TryGetProperty("boundLocal", out var b) && b.ValueKind == JsonValueKind.String ? b.GetString() : null));
            }
        }

        return list;
    }

    /// <summary>The state of the path alice's bound SA pair with <paramref name="peer"/> runs on (null without one).</summary>
    private static string? BoundState(JsonElement status, string peer)
    {
        if (HipnatStatus.Association(status, peer) is { } a && a.TryGetProperty("securityAssociations", out var sas))
        {
            foreach (var sa in sas.EnumerateArray())
            {
                if (sa.TryGetProperty("boundLocal", out var b) && b.ValueKind == JsonValueKind.String)
                {
                    return sa.TryGetProperty("boundState", out var st) && st.ValueKind == JsonValueKind.String ? st.GetString() : null;
                }
            }
        }

        return null;
    }

    /// <summary>How long ago the association with <paramref name="peer"/> last failed over or back (null: never).</summary>
    private static double? LastSwitchSecondsAgo(JsonElement status, string peer) =>
        HipnatStatus.Association(status, peer) is { } a && a.TryGetProperty("lastFailover", out var f) && f.ValueKind == JsonValueKind.Object
            ? f.GetProperty("secondsAgo").GetDouble()
            : null;

    /// <summary>Whether alice's active pair with <paramref name="peer"/> leaves from another address than her bound SA pair.</summary>
    private static bool LanesOnTwoUplinks(JsonElement status, string peer) =>
        HipnatStatus.LocalAddress(status, peer) is { } active && SaPairs(status, peer).SingleOrDefault(p => p.BoundLocal is not null).BoundLocal is { } bound
        && bound.Split(':')[0] != active.Address.ToString();

    /// <summary>Outbound packets per SPI in alice's data plane.</summary>
    private static Dictionary<string, long> PacketsOut(JsonElement status)
    {
        var d = new Dictionary<string, long>();
        if (status.TryGetProperty("dataPlane", out var dp) && dp.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in dp.GetProperty("peers").EnumerateArray())
            {
                foreach (var sa in p.GetProperty("securityAssociations").EnumerateArray())
                {
                    d[sa.GetProperty("outboundSpi").GetString()!] = sa.GetProperty("packetsOut").GetInt64();
                }
            }
        }

        return d;
    }

    /// <summary>The SPIs of ESP in UDP (port 10500, first word non-zero) in a capture sent from (<paramref name="outbound"/>)
    /// or to <paramref name="address"/>, with their packet counts.</summary>
    private static Dictionary<string, int> EspSpis(LabCapture capture, System.Net.IPAddress address, bool outbound)
    {
        var path = capture.Stop();
        string filter = $"esp.spi != 0 && ip.{(outbound ? "src" : "dst")} == {address}";
        var r = CommandRunner.Run("tshark", ["-n", "-r", path, "-d", "udp.port==10500,udpencap", "-Y", filter, "-T", "fields", "-e", "esp.spi"], TimeSpan.FromSeconds(60)).EnsureSuccess();
        return r.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .GroupBy(s => s).ToDictionary(g => g.Key, g => g.Count());
    }

    private static string Spis(Dictionary<string, int> spis) => string.Join(", ", spis.Select(kv => $"{kv.Key} x{kv.Value}"));

    /// <summary>alice with two uplinks (nat1 and nat3, port-restricted cones), bob behind a full cone registered with
    /// the relay in <c>load-balance</c>, an iperf3 server on bob's HIT.</summary>
    private sealed class TwoUplinks : IDisposable
    {
        public TwoUplinks()
        {
            Lab = HipLab.Create(NatOptions.PortRestrictedCone, NatOptions.FullCone);
            Nat3 = Lab.Lab.AddNat("nat3", Lab.Public, "198.18.3.0/24", NatOptions.PortRestrictedCone);
            First = Alice.PrimaryInterface;
            Second = Alice.AddUplink(Nat3);
            Lab.StartRelay("--allow-any");
            Register = ["--relay", $"{Lab.RelayHit}={Lab.RelayEndpoint}"];
            Bob = Lab.Tool.StartHost(Lab.BobHost, Lab.Ids["bob"], [.. Register, "--multihoming", "load-balance"]);
            HipLab.WaitForRegistration(Bob, Lab.RelayHit);
            Server = Lab.BobHost.Start("iperf3", "-s", "-B", Lab.BobHit);
        }

        public HipLab Lab { get; }

        public LabHost Alice => Lab.AliceHost;

        public LabNat Nat3 { get; }

        public LabInterface First { get; }

        public LabInterface Second { get; }

        public string[] Register { get; }

        public HipnatDaemon Bob { get; }

        public LabProcess Server { get; }

        /// <summary>alice's daemon arguments: registered with the relay, bob as a peer through it, debug log.</summary>
        public string[] AliceArgs => [.. Register, "--peer", $"{Lab.BobHit}={Lab.RelayEndpoint}", "--log-level", "debug"];

        public void Dispose()
        {
            Server.Dispose();
            Bob.Dispose();
            Lab.Dispose();
        }
    }

    [Fact]
    public void LoadBalanceUsesBothUplinksWithAnSaPairEachAndDoublesIperfThroughput()
    {
        using var m = new TwoUplinks();
        var (lab, alice, first, second, bob) = (m.Lab, m.Alice, m.First, m.Second, m.Bob);
        Limit(alice, first.Name);
        Limit(alice, second.Name);

        // Baseline: failover, one SA pair on the active uplink.
        double baseline;
        string[] aliceArgs = m.AliceArgs;
        using (var one = lab.Tool.StartHost(alice, lab.Ids["alice"], [.. aliceArgs, "--multihoming", "failover"]))
        {
            HipLab.WaitForRegistration(one, lab.RelayHit);
            var connect = HipLab.Connect(one, lab.BobHit);
            Assert.True(connect.Succeeded, $"{connect}\n{one.Tail(60)}");
            one.WaitForStatus(s => HipnatStatus.ActivePath(s, lab.BobHit) is "direct", TimeSpan.FromSeconds(10), "a direct path (failover)");
            baseline = Iperf(alice, lab.BobHit, "failover", () => one.Tail(60));
            Assert.Single(SaPairs(one.Status(), lab.BobHit));
            one.Cli(HipLab.CliTimeout, "close", lab.BobHit);
        }

        // A saturated uplink (tbf's 100 ms queue, TCP timeouts) can look silent long enough for a false failover;
        // traffic then takes the other uplink's pair, which the bound lane uses too, until failback: failback after
        // 1 s here, and a measurement during which a path switched is repeated (docs/multihoming.md, limits).
        var quickFailback = Path.Combine(lab.Tool.Directory, "quick-failback.json");
        File.WriteAllText(quickFailback, """{ "multihoming": { "failbackHoldMs": 1000 } }""");
        var a = lab.Tool.StartHost(alice, lab.Ids["alice"], [.. aliceArgs, "--multihoming", "load-balance", "--config", quickFailback]);
        using var aliceDaemon = a;
        string Logs() => $"alice:\n{a.Tail(120)}\nbob:\n{bob.Tail(60)}";
        HipLab.WaitForRegistration(a, lab.RelayHit);
        var again = HipLab.Connect(a, lab.BobHit);
        Assert.True(again.Succeeded, $"{again}\n{Logs()}");
        var status = a.WaitForStatus(s => SaPairs(s, lab.BobHit).Count == 2, TimeSpan.FromSeconds(15), "a second SA pair for the second uplink");
        var pairs = SaPairs(status, lab.BobHit);

        // The primary pair runs on the uplink ICE selected, the new one is bound to the other.
        string boundAddress = pairs.Single(p => p.BoundLocal is not null).BoundLocal!.Split(':')[0];
        Assert.Contains(boundAddress, new[] { first.Address.ToString(), second.Address.ToString() });
        bool boundOnSecond = boundAddress == second.Address.ToString();

        // A flow never splits, so with four flows the hash puts all of them on one SA pair one time in eight (each
        // flow has an even chance per lane): such a run is repeated, at most twice more (docs/multihoming.md).
        double rate = 0;
        Dictionary<string, int> spisFirst = [], spisSecond = [], inFirst = [], inSecond = [];
        string split = string.Empty;
        int switched = 0;
        for (int attempt = 0; attempt < 6; attempt++)
        {
            a.WaitForStatus(s => LanesOnTwoUplinks(s, lab.BobHit) && LastSwitchSecondsAgo(s, lab.BobHit) is null or > 2, TimeSpan.FromSeconds(30), "the two lanes on two uplinks");
            using var c1 = alice.Capture(first.Name, "udp port 10500");
            using var c2 = alice.Capture(second.Name, "udp port 10500");
            var before = PacketsOut(a.Status());
            rate = Iperf(alice, lab.BobHit, "load-balance", Logs);
            var after = PacketsOut(a.Status());
            spisFirst = EspSpis(c1, first.Address, outbound: true);
            spisSecond = EspSpis(c2, second.Address, outbound: true);
            inFirst = EspSpis(c1, first.Address, outbound: false);
            inSecond = EspSpis(c2, second.Address, outbound: false);
            var moved = pairs.Select(p => after.GetValueOrDefault(p.Out) - before.GetValueOrDefault(p.Out)).ToList();
            split = string.Join(" / ", moved);
            if (LastSwitchSecondsAgo(a.Status(), lab.BobHit) is { } ago && ago < Seconds + 3)
            {
                switched++;
                continue;
            }

            if (moved.All(m => m > moved.Sum() / 10))
            {
                break;
            }
        }

        var figures = string.Create(CultureInfo.InvariantCulture,
            $"multihoming: tbf {Rate} per uplink, iperf3 -P 4 -t {Seconds}: failover {baseline / 1e6:F1} Mbit/s, load-balance {rate / 1e6:F1} Mbit/s ({rate / baseline:F2}x); runs repeated after a path switch {switched}; packets per SA {split}; ESP out/in SPIs on {first.Name}: {Spis(spisFirst)} / {Spis(inFirst)}; on {second.Name}: {Spis(spisSecond)} / {Spis(inSecond)}");
        LabFigures.Write("multihoming-figures.txt", figures);

        // tshark: ESP leaves each uplink with a different SPI, the outbound SPI of that uplink's SA pair, and
        // arrives on it with that pair's inbound SPI (bob load-balances his ACKs too).
        static List<uint> Big(Dictionary<string, int> spis) => spis.Where(kv => kv.Value > 100).Select(kv => Convert.ToUInt32(kv.Key, 16)).ToList();
        var (outFirst, outSecond, arrivingFirst, arrivingSecond) = (Big(spisFirst), Big(spisSecond), Big(inFirst), Big(inSecond));
        Assert.True(outFirst.Count == 1 && outSecond.Count == 1 && outFirst[0] != outSecond[0], $"{figures}\n{Logs()}");
        var bound = pairs.Single(p => p.BoundLocal is not null);
        var primary = pairs.Single(p => p.BoundLocal is null);
        var (boundOut, boundIn) = boundOnSecond ? (outSecond, arrivingSecond) : (outFirst, arrivingFirst);
        var (primaryOut, primaryIn) = boundOnSecond ? (outFirst, arrivingFirst) : (outSecond, arrivingSecond);
        Assert.Equal(Convert.ToUInt32(bound.Out, 16), boundOut[0]);
        Assert.Equal(Convert.ToUInt32(primary.Out, 16), primaryOut[0]);
        // Bob spreads his ACK flows by the same hash: all of them may land on one lane, so an uplink may see few of
        // his packets; the ones it sees carry that uplink's SA pair's inbound SPI.
        Assert.All(boundIn, spi => Assert.Equal(Convert.ToUInt32(bound.In, 16), spi));
        Assert.All(primaryIn, spi => Assert.Equal(Convert.ToUInt32(primary.In, 16), spi));
        Assert.True(boundIn.Count + primaryIn.Count >= 1, $"{figures}\n{Logs()}");

        Assert.True(rate >= 1.6 * baseline, $"{figures}\n{Logs()}");
    }

    [Fact]
    public void UnderLoadBalanceTheFlowsOfALaneWhoseUplinkFailsMoveToTheOtherLane()
    {
        // Eight TCP flows through hip0 spread over alice's two SA pairs; the NAT of the bound lane's uplink starts
        // dropping everything (no link event). The lane's path is asked every second under load-balance, so it is
        // failed within a few seconds, its weight goes to 0 and its flows go on through the other lane: together the
        // flows deliver at least half as much at the end of the run as before the failure.
        using var m = new TwoUplinks();
        var (lab, alice, first, bob) = (m.Lab, m.Alice, m.First, m.Bob);
        using var a = lab.Tool.StartHost(alice, lab.Ids["alice"], [.. m.AliceArgs, "--multihoming", "load-balance"]);
        string Logs() => $"alice:\n{a.Tail(150)}\nbob:\n{bob.Tail(60)}";
        HipLab.WaitForRegistration(a, lab.RelayHit);
        var connect = HipLab.Connect(a, lab.BobHit);
        Assert.True(connect.Succeeded, $"{connect}\n{Logs()}");
        var status = a.WaitForStatus(s => SaPairs(s, lab.BobHit).Count == 2 && BoundState(s, lab.BobHit) == "standby", TimeSpan.FromSeconds(15), "a second SA pair for the second uplink");
        string boundAddress = SaPairs(status, lab.BobHit).Single(p => p.BoundLocal is not null).BoundLocal!.Split(':')[0];
        var nat = boundAddress == first.Address.ToString() ? lab.Nat1 : m.Nat3;

        const int Duration = 24;
        using var client = alice.Start("iperf3", "-c", lab.BobHit, "-P", "8", "-t", Duration.ToString(CultureInfo.InvariantCulture), "-i", "1", "-J");
        Thread.Sleep(TimeSpan.FromSeconds(4));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        nat.Iptables("-I", "FORWARD", "1", "-j", "DROP");
        a.WaitForStatus(s => BoundState(s, lab.BobHit) == "failed", TimeSpan.FromSeconds(6), $"the lane on {boundAddress} failed");
        var detected = clock.Elapsed;
        Assert.True(client.WaitForExit(TimeSpan.FromSeconds(Duration + 30)), $"iperf3 did not end\n{Logs()}");
        nat.Iptables("-D", "FORWARD", "1");
        Assert.True(client.ExitCode == 0, $"iperf3 failed: {client.StandardOutputText}{client.StandardErrorText}\n{Logs()}");

        // Per flow, the bytes of each one-second interval; every flow delivers in the last three seconds.
        using var json = JsonDocument.Parse(client.StandardOutputText);
        var perStream = new Dictionary<int, List<(double End, long Bytes)>>();
        foreach (var interval in json.RootElement.GetProperty("intervals").EnumerateArray())
        {
            foreach (var st in interval.GetProperty("streams").EnumerateArray())
            {
                int socket = st.GetProperty("socket").GetInt32();
                (perStream.TryGetValue(socket, out var l) ? l : perStream[socket] = []).Add((st.GetProperty("end").GetDouble(), st.GetProperty("bytes").GetInt64()));
            }
        }

        int stalled = perStream.Values.Count(l => l.Any(x => x.End > 4.5 && x.End < Duration - 3 && x.Bytes == 0));
        var figures = string.Create(CultureInfo.InvariantCulture,
            $"load-balance lane failure: the lane on {boundAddress} failed {detected.TotalMilliseconds:F0} ms after its NAT dropped everything; {stalled} of {perStream.Count} flows stalled and went on");
        LabFigures.Write("multihoming-figures.txt", figures);

        // What the flows deliver together recovers on the other uplink; a flow that hit the failure waits out its own
        // TCP retransmission back-off (0.2, 0.6, 1.4, 3.0, 6.2, 12.6 s…), so most, not necessarily all, deliver again
        // within the run.
        Assert.Equal(8, perStream.Count);
        long before = perStream.Values.Sum(l => l.Where(x => x.End > 1.5 && x.End <= 4.0).Sum(x => x.Bytes));
        long last = perStream.Values.Sum(l => l.Where(x => x.End > Duration - 3).Sum(x => x.Bytes));
        int delivering = perStream.Values.Count(l => l.Where(x => x.End > Duration - 3).Sum(x => x.Bytes) > 0);
        string flows = string.Join("\n", perStream.Select(kv => $"flow {kv.Key}: {string.Join(", ", kv.Value.Select(x => x.Bytes))}"));
        Assert.True(last >= before / 2, $"the last 3 s delivered {last} bytes, the 3 s before the failure {before}\n{flows}\n{figures}\n{Logs()}");
        Assert.True(delivering >= 6, $"{delivering} of 8 flows delivered in the last 3 s\n{flows}\n{figures}\n{Logs()}");
        Assert.True(detected < TimeSpan.FromSeconds(6), figures);
    }
}
