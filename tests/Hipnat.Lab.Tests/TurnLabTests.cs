using System.Globalization;
using System.Net;
using System.Text.Json;
using Hipnat.Lab.Demo;

namespace Hipnat.Lab.Tests;

/// <summary>
/// Relayed ICE candidates from a TURN server (RFC 8656) in the daemon: alice and bob behind MASQUERADE --random-fully
/// NATs (no direct pair can work), a hipnat relay offering them only RELAY_UDP_HIP (no data relay), and coturn on
/// the public segment. A host with `turnServers` allocates from its HIP socket, offers the relayed address, and ICE
/// selects a pair with it; HIP control and ESP then cross coturn (ChannelData), not the hipnat relay.
/// </summary>
[Collection(nameof(HipLabCollection))]
public class TurnLabTests
{
    private const int TurnPort = 3478;
    private static readonly TimeSpan CliTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public void AfterAMoveTheTurnAllocationIsMadeAgainFromTheNewAddressAndCarriesTheTrafficAgain()
    {
        // draft-melen-hip-nat-mm §5.1 step 2: an allocation belongs to the 5-tuple it was made from (RFC 8656 §2.2);
        // after alice moves behind another --random-fully NAT she allocates again and ICE selects the new relayed
        // candidate.
        using var lab = HipLab.Create(NatOptions.Symmetric, NatOptions.Symmetric);
        var nat3 = lab.Lab.AddNat("nat3", lab.Public, "198.18.3.0/24", NatOptions.Symmetric);
        var turnHost = lab.Lab.AddHost("turn", lab.Public);
        Assert.True(turnHost.Run(TimeSpan.FromSeconds(10), "ip", "route", "add", "198.18.0.0/15", "via", "203.0.113.250").Succeeded);
        using var coturn = StartCoturn(turnHost);
        lab.StartRelay();
        var turnServer = new IPEndPoint(turnHost.Address, TurnPort);
        string config = Path.Combine(lab.Lab.WorkDirectory, "turn.json");
        File.WriteAllText(config, $$"""{ "turnServers": [ { "address": "{{turnServer}}", "username": "lab", "password": "secret" } ] }""");
        // TURN is what is tested: no data relay from the HIP relay beside it (it would outrank TURN's candidate).
        string[] register = ["--relay", $"{lab.RelayHit}={lab.RelayEndpoint}", "--no-relay-esp", "--log-level", "debug"];
        using var bob = lab.Tool.StartHost(lab.BobHost, lab.Ids["bob"], register);
        using var alice = lab.Tool.StartHost(lab.AliceHost, lab.Ids["alice"], [.. register, "--config", config, "--peer", $"{lab.BobHit}={lab.RelayEndpoint}"]);
        HipLab.WaitForRegistration(bob, lab.RelayHit);
        HipLab.WaitForRegistration(alice, lab.RelayHit);
        alice.WaitForStatus(s => IceLabTests.Candidates(s).Any(c => c.Type == "relay"), TimeSpan.FromSeconds(10), "a relayed candidate from TURN");
        Assert.True(HipLab.Connect(alice, lab.BobHit).Succeeded);
        IceLabTests.WaitForIce(alice, lab.BobHit, ice => ice.TryGetProperty("selected", out _), "a selected pair", alice, bob);

        lab.AliceHost.MoveTo(nat3.InsideSegment, TimeSpan.FromMilliseconds(200));
        var moved = alice.WaitForStatus(
            s => s.GetProperty("turnServers")[0].GetProperty("state").GetString() == "allocated"
                && s.GetProperty("turnServers")[0].TryGetProperty("mapped", out var mapped) && mapped.GetString() is { } m
                && IPEndPoint.Parse(m).Address.Equals(nat3.PublicAddress),
            TimeSpan.FromSeconds(15), "a TURN allocation made from behind nat3");
        var relayed = moved.GetProperty("turnServers")[0].GetProperty("relayed").GetString()!;
        var status = IceLabTests.WaitForIce(alice, lab.BobHit,
            ice => ice.TryGetProperty("selected", out var sel) && sel.GetString()!.Contains(relayed, StringComparison.Ordinal),
            "the new relayed candidate selected", alice, bob);
        var ping = alice.Cli(CliTimeout, "ping", lab.BobHit, "--count", "3", "--interval", "0.2");
        Assert.True(ping.Succeeded, $"{ping}\n{IceLabTests.Logs(alice, bob)}");
        Assert.Contains("3 received", ping.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("ESTABLISHED", HipnatStatus.State(status, lab.BobHit), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void BetweenRandomFullyNatsIceSelectsTheTurnRelayedCandidateAndPingCrossesCoturn(bool turnOnBoth)
    {
        using var lab = HipLab.Create(NatOptions.Symmetric, NatOptions.Symmetric);
        var turnHost = lab.Lab.AddHost("turn", lab.Public);
        // Like a server on the Internet, coturn has a route to everything: checks to the peers' private host candidates
        // leave and vanish instead of failing in sendto(2) (coturn drops a relay socket whose send fails).
        var route = turnHost.Run(TimeSpan.FromSeconds(10), "ip", "route", "add", "198.18.0.0/15", "via", "203.0.113.250");
        Assert.True(route.Succeeded, route.ToString());
        using var coturn = StartCoturn(turnHost);
        var relay = lab.StartRelay();
        var turnServer = new IPEndPoint(turnHost.Address, TurnPort);
        string config = Path.Combine(lab.Lab.WorkDirectory, "turn.json");
        File.WriteAllText(config, $$"""{ "turnServers": [ { "address": "{{turnServer}}", "username": "lab", "password": "secret" } ] }""");

        // Packets through coturn's relayed ports (the peer side of the allocations).
        turnHost.AddCounter("relayed-in", "filter", "INPUT", "-p", "udp", "--dport", "49152:49300");
        turnHost.AddCounter("relayed-out", "filter", "OUTPUT", "-p", "udp", "--sport", "49152:49300");

        // TURN is what is tested: no data relay from the HIP relay beside it (it would outrank TURN's candidate).
        string[] register = ["--relay", $"{lab.RelayHit}={lab.RelayEndpoint}", "--no-relay-esp", "--log-level", "debug"];
        using var bob = lab.Tool.StartHost(lab.BobHost, lab.Ids["bob"], turnOnBoth ? [.. register, "--config", config] : register);
        using var alice = lab.Tool.StartHost(lab.AliceHost, lab.Ids["alice"], [.. register, "--config", config, "--peer", $"{lab.BobHit}={lab.RelayEndpoint}"]);
        HipLab.WaitForRegistration(bob, lab.RelayHit);
        HipLab.WaitForRegistration(alice, lab.RelayHit);

        // The allocation is made from the HIP socket: coturn sees the NAT's mapping of it.
        string source = $"TURN {turnServer}";
        var aliceCandidates = alice.WaitForStatus(s => IceLabTests.Candidates(s).Any(c => c.Type == "relay" && c.Source == source),
            TimeSpan.FromSeconds(10), $"a relayed candidate from {source}");
        var aliceRelayed = IPEndPoint.Parse(IceLabTests.Candidates(aliceCandidates).Single(c => c.Type == "relay").Address);
        Assert.Equal(turnHost.Address, aliceRelayed.Address);
        var turnReport = aliceCandidates.GetProperty("turnServers")[0];
        Assert.Equal("allocated", turnReport.GetProperty("state").GetString());
        Assert.Equal(lab.Nat1.PublicAddress, IPEndPoint.Parse(turnReport.GetProperty("mapped").GetString()!).Address);
        if (turnOnBoth)
        {
            bob.WaitForStatus(s => IceLabTests.Candidates(s).Any(c => c.Type == "relay" && c.Source == source), TimeSpan.FromSeconds(10), "bob's relayed candidate");
        }

        var connect = HipLab.Connect(alice, lab.BobHit);
        Assert.True(connect.Succeeded, $"{connect}\n{IceLabTests.Logs(alice, bob)}");

        // No direct pair works through --random-fully; after the relay fallback delay a pair with a TURN relayed
        // candidate is nominated (ours, or with TURN on both sides possibly the peer's).
        JsonElement aliceStatus;
        try
        {
            aliceStatus = IceLabTests.WaitForIce(alice, lab.BobHit, ice => ice.TryGetProperty("selected", out _), "a selected pair", alice, bob);
        }
        catch (Xunit.Sdk.XunitException e)
        {
            throw new Xunit.Sdk.XunitException($"{e.Message}\nbob's ICE: {IceLabTests.Ice(bob.Status(), lab.AliceHit)}\nalice's TURN: {alice.Status().GetProperty("turnServers")}");
        }

        var ice = IceLabTests.Ice(aliceStatus, lab.BobHit);
        var selected = ice.GetProperty("pairs").EnumerateArray().Single(p => p.GetProperty("selected").GetBoolean());
        Assert.True(selected.GetProperty("relayed").GetBoolean(), selected.ToString());
        bool oursSelected = selected.GetProperty("localType").GetString() == "relay";
        Assert.True(oursSelected || turnOnBoth, $"alice's TURN candidate is not in the selected pair: {selected}");
        if (oursSelected)
        {
            Assert.Equal(aliceRelayed.ToString(), selected.GetProperty("local").GetString());
        }

        Assert.Equal("relay", ice.GetProperty("selectedPath").GetString());
        IceLabTests.WaitForIce(bob, lab.AliceHit, i => i.TryGetProperty("selected", out _), "a selected pair on bob's side", alice, bob);
        var association = HipnatStatus.Association(alice.Status(), lab.BobHit)!.Value;
        Assert.Equal(oursSelected, association.GetProperty("viaTurn").GetBoolean());
        Assert.Equal("relay", association.GetProperty("activePath").GetString());

        // From here on ESP (ping over hip0) and HIP control cross coturn, not the hipnat relay.
        long relayedBefore = HipnatStatus.Counter(relay.Status(), "relayed");
        long espRelayedBefore = HipnatStatus.Counter(relay.Status(), "espRelayed");
        long coturnIn = turnHost.ReadCounter("relayed-in").Packets;
        long coturnOut = turnHost.ReadCounter("relayed-out").Packets;
        var ping = alice.Cli(CliTimeout, "ping", lab.BobHit, "--count", "5", "--interval", "0.2");
        Assert.True(ping.Succeeded, $"{ping}\n{IceLabTests.Logs(alice, bob)}");
        Assert.Contains("5 received", ping.StandardOutput, StringComparison.Ordinal);
        Assert.Contains(oursSelected ? $"(relayed via TURN {turnServer})" : $"-> {bob.Status().GetProperty("turnServers")[0].GetProperty("relayed").GetString()}", ping.StandardOutput, StringComparison.Ordinal);
        Assert.True(turnHost.ReadCounter("relayed-in").Packets - coturnIn >= 5, "ESP from the peer side did not reach coturn's relayed port");
        Assert.True(turnHost.ReadCounter("relayed-out").Packets - coturnOut >= 5, "coturn sent no ESP from its relayed port");

        // A rekey (HIP UPDATE) goes the same way.
        var status = alice.Status();
        long turnOut = HipnatStatus.Counter(status, "turnPacketsOut");
        long turnIn = HipnatStatus.Counter(status, "turnPacketsIn");
        Assert.True(HipnatStatus.Counter(status, "turnEspPacketsOut") + HipnatStatus.Counter(bob.Status(), "turnEspPacketsOut") >= 5, status.ToString());
        Assert.True(turnIn > 0 && turnOut > 0, status.ToString());
        Assert.Equal(relayedBefore, HipnatStatus.Counter(relay.Status(), "relayed"));
        Assert.Equal(espRelayedBefore, HipnatStatus.Counter(relay.Status(), "espRelayed"));

        var table = alice.Cli(CliTimeout, "status");
        Assert.True(table.Succeeded, table.ToString());
        Assert.Contains($"TURN       {turnServer} (lab)", table.StandardOutput, StringComparison.Ordinal);
        Assert.Contains(source, table.StandardOutput, StringComparison.Ordinal);
        TestContext.Current.TestOutputHelper?.WriteLine(ping.StandardOutput + "\n" + table.StandardOutput);

        // Shutdown deletes the allocation (Refresh with LIFETIME 0): a new daemon on the same port allocates at once
        // instead of meeting 437 Allocation Mismatch.
        alice.Dispose();
        using var again = lab.Tool.StartHost(lab.AliceHost, lab.Ids["alice"], [.. register, "--config", config, "--tun", "off"]);
        again.WaitForStatus(s => IceLabTests.Candidates(s).Any(c => c.Type == "relay" && c.Source == source), TimeSpan.FromSeconds(5), "a new allocation right after restart");
    }

    private static LabProcess StartCoturn(LabHost host)
    {
        Assert.SkipUnless(File.Exists("/usr/bin/turnserver"), "coturn is not installed (apt-get install coturn; scripts/install-deps.sh does it)");
        var dir = Path.Combine(host.Lab.WorkDirectory, host.Name);
        Directory.CreateDirectory(dir);
        var p = host.Start(
            "turnserver", "-n", "--listening-ip", host.Address.ToString(), "--relay-ip", host.Address.ToString(),
            "--listening-port", TurnPort.ToString(CultureInfo.InvariantCulture), "--no-rfc5780",
            "--min-port", "49152", "--max-port", "49300", "--lt-cred-mech", "--user", "lab:secret", "--realm", "hipnat.lab",
            "--no-tls", "--no-dtls", "--no-tcp", "--no-cli", "--log-file", "stdout",
            "--pidfile", Path.Combine(dir, "turnserver.pid"), "--userdb", Path.Combine(dir, "turndb"));
        p.WaitForOutput("(listener opened on|Total General servers)", TimeSpan.FromSeconds(10));
        return p;
    }
}
