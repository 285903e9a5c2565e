using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;

namespace Hipnat.Lab.Tests;

/// <summary>
/// Peer names through a real DNS server (RFC 8005): Knot DNS in a namespace on the public segment (203.0.113.53)
/// serves a zone written by <c>hipnat dns-record</c> — bob's HIP record with the relay as its rendezvous server, the
/// relay's own A and HIP records, and a forged record (bob's HIT with alice's key). alice, behind her NAT and
/// configured to ask only that server, connects to and pings <c>bob.example.</c> through the relay, and refuses the
/// forged record with a clear error. With alice's local DNS responder as her namespace's resolver, an unmodified
/// <c>ping bob.example</c> reaches bob over hip0 the same way.
/// </summary>
[Collection(nameof(HipLabCollection))]
public partial class DnsLabTests
{
    private static readonly IPAddress DnsAddress = IPAddress.Parse("203.0.113.53");
    private static readonly IPAddress WwwAddress = IPAddress.Parse("203.0.113.80");

    [Fact]
    public void HostsFindEachOtherByNameThroughTheDnsAndTheRelayAndAForgedHipRecordIsRefused()
    {
        using var lab = HipLab.Create();
        Assert.SkipUnless(File.Exists("/usr/sbin/knotd"), "Knot DNS (knotd) is not installed; run scripts/install-deps.sh");
        var (knotProcess, dir) = StartKnot(lab);
        using var knot = knotProcess;

        lab.StartRelay();
        var bob = lab.StartBob();
        HipLab.WaitForRegistration(bob, lab.RelayHit);

        // alice asks only the lab's DNS server, never the host's resolver; an empty names file shadows /etc/hipnat/hosts.
        string names = Path.Combine(dir, "alice-hosts");
        File.WriteAllText(names, "# alice knows nobody by heart\n");
        string config = Path.Combine(dir, "alice.json");
        File.WriteAllText(config, $$"""{ "namesFile": "{{names}}", "dns": { "servers": ["{{DnsAddress}}"], "timeoutMs": 1000 } }""");
        using var alice = lab.Tool.StartHost(lab.AliceHost, lab.Ids["alice"], "--config", config);

        var clock = Stopwatch.StartNew();
        var connect = HipLab.Connect(alice, "bob.example.");
        var took = clock.Elapsed;
        Assert.True(connect.Succeeded, $"{connect}\n{alice.Tail(30)}\n{lab.Logs()}\n{knot}");
        Assert.StartsWith($"established with bob.example. ({lab.BobHit}) via ", connect.StandardOutput, StringComparison.Ordinal);
        Assert.Contains($"bob.example. from DNS: rendezvous servers relay.example., locators {lab.RelayEndpoint}", connect.StandardOutput, StringComparison.Ordinal);
        LabFigures.Write("dns.txt", $"connect bob.example. (HIP and A/AAAA lookups at Knot DNS, base exchange through the relay): {LabFigures.Ms(took)}");

        var ping = alice.Cli(HipLab.CliTimeout, "ping", "bob.example.", "--count", "3", "--interval", "0.2");
        Assert.True(ping.Succeeded, $"{ping}\n{alice.Tail(30)}");
        Assert.Contains($"PING bob.example. (HIT {lab.BobHit}", ping.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("3 received", ping.StandardOutput, StringComparison.Ordinal);

        var refused = HipLab.Connect(alice, "impostor.example.", 5);
        Assert.False(refused.Succeeded, refused.ToString());
        Assert.Contains("refusing the HIP record of impostor.example.", refused.StandardError, StringComparison.Ordinal);
        Assert.Contains($"its HIT {lab.BobHit} is not the HIT of its public key, {lab.AliceHit}", refused.StandardError, StringComparison.Ordinal);
        Assert.Null(HipnatStatusState(alice, lab.AliceHit));

        var missing = HipLab.Connect(alice, "carol.example.", 5);
        Assert.False(missing.Succeeded, missing.ToString());
        Assert.Contains("carol.example. does not exist", missing.StandardError, StringComparison.Ordinal);
        TestContext.Current.TestOutputHelper?.WriteLine($"{connect.StandardOutput}\n{ping.StandardOutput}\n{refused.StandardError}");
    }

    [Fact]
    public void AnUnmodifiedPingReachesAPeerByNameThroughTheLocalDnsResponderTheNatsAndTheRelay()
    {
        using var lab = HipLab.Create();
        Assert.SkipUnless(File.Exists("/usr/sbin/knotd"), "Knot DNS (knotd) is not installed; run scripts/install-deps.sh");
        var (knotProcess, dir) = StartKnot(lab);
        using var knot = knotProcess;
        lab.StartRelay();
        var bob = lab.StartBob();
        HipLab.WaitForRegistration(bob, lab.RelayHit);

        // Every program in alice's namespace asks the responder (ip netns exec mounts this over /etc/resolv.conf) —
        // the daemon too: its upstream and its own HIP lookups must go to the lab's DNS server, never to itself.
        lab.AliceHost.WriteEtcFile("resolv.conf", "nameserver 127.0.0.55\n");
        string names = Path.Combine(dir, "alice-hosts");
        File.WriteAllText(names, "# alice knows nobody by heart\n");
        string config = Path.Combine(dir, "alice.json");
        File.WriteAllText(config, $$"""{ "namesFile": "{{names}}", "dns": { "servers": ["{{DnsAddress}}"], "timeoutMs": 1000 }, "dnsResponder": {} }""");
        using var alice = lab.Tool.StartHost(lab.AliceHost, lab.Ids["alice"], "--config", config);
        var status = alice.WaitForStatus(s => s.TryGetProperty("dnsResponder", out _), TimeSpan.FromSeconds(10), "the DNS responder");
        var responder = status.GetProperty("dnsResponder");
        Assert.Equal("127.0.0.55:53", responder.GetProperty("listen")[0].GetString());
        Assert.Equal($"{DnsAddress}:53", responder.GetProperty("upstream")[0].GetString());
        Assert.Null(HipnatStatusState(alice, lab.BobHit));

        // An unmodified ping by name: glibc asks the responder, gets bob's HIT, and the first echo request on hip0
        // starts the base exchange through the relay that bob's HIP record names.
        var ping = lab.AliceHost.Run(TimeSpan.FromSeconds(60), "ping", "-n", "-c", "3", "-i", "0.5", "-W", "8", "bob.example");
        Assert.True(ping.Succeeded, $"{ping}\n{alice.Tail(40)}\n{lab.Logs()}");
        Assert.Contains($"({lab.BobHit})", ping.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("3 received", ping.StandardOutput, StringComparison.Ordinal);
        status = alice.Status();
        Assert.Equal("ESTABLISHED", Demo.HipnatStatus.State(status, lab.BobHit));
        Assert.True(status.GetProperty("dataPlane").GetProperty("onDemandConnects").GetInt64() >= 1, status.ToString());
        Assert.Contains($"data plane: connecting to {lab.BobHit} at {lab.RelayEndpoint} for a queued packet", alice.Tail(200), StringComparison.Ordinal);
        Assert.True(status.GetProperty("dnsResponder").GetProperty("answered").GetInt64() >= 1, status.ToString());

        // A: bob's LSI, the same hip0 association.
        string bobLsi = status.GetProperty("dataPlane").GetProperty("peers").EnumerateArray()
            .Single(p => Demo.HipnatStatus.SameHit(p.GetProperty("hit").GetString(), lab.BobHit)).GetProperty("lsi").GetString()!;
        var ping4 = lab.AliceHost.Run(TimeSpan.FromSeconds(30), "ping", "-4", "-n", "-c", "2", "-i", "0.3", "-W", "5", "bob.example");
        Assert.True(ping4.Succeeded, $"{ping4}\n{alice.Tail(20)}");
        Assert.Contains($"({bobLsi})", ping4.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("2 received", ping4.StandardOutput, StringComparison.Ordinal);

        // An unmodified HTTP client by name: curl connects to bob's HIT over hip0 and gets the page bob serves.
        using var web = lab.BobHost.InNamespace(() =>
        {
            var l = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetworkV6, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { DualMode = true };
            l.Bind(new IPEndPoint(IPAddress.IPv6Any, 8080));
            l.Listen(4);
            return l;
        });
        const string Page = "hello from bob over hip0";
        var server = new Thread(() =>
        {
            try
            {
                using var conn = web.Accept();
                var request = new byte[4096];
                _ = conn.Receive(request);
                conn.Send(System.Text.Encoding.ASCII.GetBytes($"HTTP/1.0 200 OK\r\nContent-Length: {Page.Length}\r\nConnection: close\r\n\r\n{Page}"));
            }
            catch (System.Net.Sockets.SocketException)
            {
            }
        }) { IsBackground = true };
        server.Start();
        var curl = lab.AliceHost.Run(TimeSpan.FromSeconds(30), "curl", "-sS", "--max-time", "20", "-w", "\n%{remote_ip}", "http://bob.example:8080/");
        Assert.True(curl.Succeeded, $"{curl}\n{alice.Tail(20)}");
        var curlLines = curl.StandardOutput.Trim().Split('\n');
        Assert.Equal(Page, curlLines[0]);
        Assert.True(IPAddress.Parse(curlLines[^1]).Equals(IPAddress.Parse(lab.BobHit)) || curlLines[^1] == bobLsi, curl.StandardOutput);

        // The forged record (bob's HIT, alice's key): no address at all, and the log says why.
        var impostor = lab.AliceHost.Run(TimeSpan.FromSeconds(30), "getent", "ahosts", "impostor.example");
        Assert.False(impostor.Succeeded, impostor.ToString());
        Assert.Equal(string.Empty, impostor.StandardOutput.Trim());
        Assert.Contains("SERVFAIL for impostor.example.", alice.Tail(200), StringComparison.Ordinal);
        Assert.Contains($"its HIT {lab.BobHit} is not the HIT of its public key", alice.Tail(200), StringComparison.Ordinal);

        // An ordinary name goes to Knot and its answer comes back.
        var www = lab.AliceHost.Run(TimeSpan.FromSeconds(30), "getent", "ahostsv4", "www.example");
        Assert.True(www.Succeeded, $"{www}\n{alice.Tail(20)}");
        Assert.StartsWith(WwwAddress.ToString(), www.StandardOutput.Trim(), StringComparison.Ordinal);

        responder = alice.Status().GetProperty("dnsResponder");
        Assert.True(responder.GetProperty("failed").GetInt64() >= 1, responder.ToString());
        Assert.True(responder.GetProperty("forwarded").GetInt64() >= 1, responder.ToString());
        Assert.Equal(0, responder.GetProperty("dropped").GetInt64());
        var table = alice.Cli(HipLab.CliTimeout, "status");
        Assert.Contains("dns        127.0.0.55:53 (upstream 203.0.113.53:53): ", table.StandardOutput, StringComparison.Ordinal);
        TestContext.Current.TestOutputHelper?.WriteLine($"{ping.StandardOutput}\n{ping4.StandardOutput}\n{www.StandardOutput}\n{responder}");
    }

    /// <summary>
    /// Knot DNS on 203.0.113.53 serving example. from a zone written by <c>hipnat dns-record</c>: bob's HIP record
    /// with the relay as rendezvous server, the relay's HIP and A records, a forged record at impostor.example.
    /// (alice's key under bob's HIT), and an ordinary host, www.example. A 203.0.113.80.
    /// </summary>
    private static (LabProcess Knot, string Directory) StartKnot(HipLab lab)
    {
        var dnsHost = lab.Lab.AddHost("dns", lab.Public, DnsAddress);
        string dir = Path.Combine(lab.Lab.WorkDirectory, "dns");
        Directory.CreateDirectory(dir);

        // The zone, from hipnat dns-record (generic RFC 3597 form: Knot's zone files do not know HIP by name).
        string Record(string key, params string[] args)
        {
            var r = lab.Tool.Run(lab.RelayHost, HipLab.CliTimeout, ["dns-record", "--key", key, "--generic", .. args]);
            Assert.True(r.Succeeded, r.ToString());
            return r.StandardOutput;
        }

        string bobRecord = Record(lab.Ids["bob"].KeyFile, "--name", "bob.example.", "--relay", "relay.example.");
        string relayRecord = Record(lab.Ids["relay"].KeyFile, "--name", "relay.example.", "--address", lab.RelayHost.Address.ToString());
        // The forged record: alice's key under bob's HIT (RDATA octets 4-19 are the HIT, RFC 8005 §5).
        string aliceLine = Record(lab.Ids["alice"].KeyFile, "--name", "impostor.example.", "--relay", "relay.example.")
            .Split('\n').Single(l => l.Contains(" TYPE55 ", StringComparison.Ordinal));
        var generic = GenericRdata().Match(aliceLine);
        Assert.True(generic.Success, aliceLine);
        string hex = generic.Groups["hex"].Value;
        string bobHitHex = Convert.ToHexString(IPAddress.Parse(lab.BobHit).GetAddressBytes()).ToLowerInvariant();
        string forged = aliceLine[..generic.Groups["hex"].Index] + hex[..8] + bobHitHex + hex[40..];
        Assert.Contains(" TYPE55 ", bobRecord, StringComparison.Ordinal);
        Assert.Contains("publish each relay's A/AAAA records", bobRecord, StringComparison.Ordinal);

        File.WriteAllText(Path.Combine(dir, "example.zone"), string.Join('\n',
            "$ORIGIN example.",
            "$TTL 300",
            "@ IN SOA ns.example. hostmaster.example. 1 3600 600 86400 60",
            "@ IN NS ns.example.",
            $"ns IN A {DnsAddress}",
            bobRecord,
            relayRecord,
            forged,
            $"www IN A {WwwAddress}",
            string.Empty));
        File.WriteAllText(Path.Combine(dir, "knot.conf"), $"""
            server:
                listen: {DnsAddress}@53
                rundir: {dir}
                user: root:root
            database:
                storage: {dir}/db
            log:
              - target: stderr
                any: info
            zone:
              - domain: example.
                file: {dir}/example.zone
            """);
        var knot = dnsHost.Start("/usr/sbin/knotd", "-c", Path.Combine(dir, "knot.conf"));
        knot.WaitForOutput(@"\[example\.\] loaded", TimeSpan.FromSeconds(15));

        return (knot, dir);
    }

    private static string? HipnatStatusState(Demo.HipnatDaemon d, string hit) => Demo.HipnatStatus.State(d.Status(), hit);

    [GeneratedRegex(@"TYPE55 \\# (?<len>\d+) (?<hex>[0-9a-f]+)")]
    private static partial Regex GenericRdata();
}
