using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;

namespace Hipnat.Lab.Tests;

/// <summary>
/// Peer names through a real DNS server (RFC 8005): Knot DNS in a namespace on the public segment (203.0.113.53)
/// serves a zone written by <c>hipnat dns-record</c> — bob's HIP record with the relay as its rendezvous server, the
/// relay's own A and HIP records, and a forged record (bob's HIT with alice's key). alice, behind her NAT and
/// configured to ask only that server, connects to and pings <c>bob.example.</c> through the relay, and refuses the
/// forged record with a clear error.
/// </summary>
[Collection(nameof(HipLabCollection))]
public partial class DnsLabTests
{
    private static readonly IPAddress DnsAddress = IPAddress.Parse("203.0.113.53");

    [Fact]
    public void HostsFindEachOtherByNameThroughTheDnsAndTheRelayAndAForgedHipRecordIsRefused()
    {
        using var lab = HipLab.Create();
        Assert.SkipUnless(File.Exists("/usr/sbin/knotd"), "Knot DNS (knotd) is not installed; run scripts/install-deps.sh");
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
        using var knot = dnsHost.Start("/usr/sbin/knotd", "-c", Path.Combine(dir, "knot.conf"));
        knot.WaitForOutput(@"\[example\.\] loaded", TimeSpan.FromSeconds(15));

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

    private static string? HipnatStatusState(Demo.HipnatDaemon d, string hit) => Demo.HipnatStatus.State(d.Status(), hit);

    [GeneratedRegex(@"TYPE55 \\# (?<len>\d+) (?<hex>[0-9a-f]+)")]
    private static partial Regex GenericRdata();
}
