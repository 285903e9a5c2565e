using System.Net;
using Hipnat.Lab.Demo;

namespace Hipnat.Lab.Tests;

/// <summary>
/// Two hosts behind real NATs reach each other through a hipnat relay (RFC 9028 §4.5 RELAY_FROM / RELAY_TO), move to the
/// direct path where both NATs map endpoint-independently, and stay on the relay where they cannot.
/// </summary>
[Collection(nameof(HipLabCollection))]
public class HipRelayLabTests
{
    [Fact]
    public void BaseExchangeBetweenTwoNatedHostsGoesThroughTheRelay()
    {
        using var lab = HipLab.Create();
        var relay = lab.StartRelay();
        var bob = lab.StartBob();
        var alice = lab.StartAlice();
        HipLab.WaitForRegistration(bob, lab.RelayHit);
        long before = HipnatStatus.Counter(relay.Status(), "relayed");

        var connect = HipLab.Connect(alice, lab.BobHit);

        Assert.True(connect.Succeeded, $"{connect}\n{lab.Logs()}");
        Assert.Contains($"established with {lab.BobHit} via {lab.RelayEndpoint}", connect.StandardOutput, StringComparison.Ordinal);
        var relayStatus = relay.Status();
        Assert.True(HipnatStatus.HasCounter(relayStatus, "relayed"), $"the relay's status has no relayed counter: {relayStatus}");
        // I1 and I2 from alice (RELAY_FROM added), R1 and R2 from bob (RELAY_TO): four forwarded at least.
        Assert.True(HipnatStatus.Counter(relayStatus, "relayed") - before >= 4, $"relayed {HipnatStatus.Counter(relayStatus, "relayed") - before}: {relayStatus}");
        bob.WaitForStatus(s => HipnatStatus.State(s, lab.AliceHit) == "ESTABLISHED", TimeSpan.FromSeconds(5), "ESTABLISHED with alice");
        Assert.Equal(0, HipnatStatus.Drops(relayStatus, "NotForUs"));
    }

    [Fact]
    public void WithEndpointIndependentNatsTheAssociationMovesToTheDirectPathAndLeavesTheRelay()
    {
        using var lab = HipLab.Create(NatOptions.PortRestrictedCone, NatOptions.PortRestrictedCone);
        var relay = lab.StartRelay();
        // alice never talks to the relay herself: everything from nat1's address at the relay is alice↔bob traffic.
        lab.RelayHost.AddCounter("from-alice", "filter", "INPUT", "-p", "udp", "-s", lab.Nat1.PublicAddress.ToString());
        var bob = lab.StartBob();
        var alice = lab.StartAlice();
        HipLab.WaitForRegistration(bob, lab.RelayHit);
        var connect = HipLab.Connect(alice, lab.BobHit);
        Assert.True(connect.Succeeded, $"{connect}\n{lab.Logs()}");

        var aliceDirect = new IPEndPoint(lab.Nat2.PublicAddress, HipnatTool.Port);
        var bobDirect = new IPEndPoint(lab.Nat1.PublicAddress, HipnatTool.Port);
        HipLab.WaitForPath(alice, lab.BobHit, p => p.Equals(aliceDirect), TimeSpan.FromSeconds(12), $"direct path to bob at {aliceDirect}");
        HipLab.WaitForPath(bob, lab.AliceHit, p => p.Equals(bobDirect), TimeSpan.FromSeconds(12), $"direct path to alice at {bobDirect}");
        var viaRelay = lab.RelayHost.ReadCounter("from-alice").Packets;
        Assert.True(viaRelay >= 2, $"alice's I1 and I2 should have reached the relay; counted {viaRelay}");
        long relayedBefore = HipnatStatus.Counter(relay.Status(), "relayed");

        // CLOSE and CLOSE_ACK (signed, HIP_MAC'd control traffic of the pair) go over the active pair.
        using var relayCapture = lab.RelayHost.Capture("eth0", "udp");
        using var aliceCapture = lab.AliceHost.Capture("eth0", "udp");
        var close = alice.Cli(HipLab.CliTimeout, "close", lab.BobHit);
        Assert.True(close.Succeeded, close.ToString());
        alice.WaitForStatus(s => HipnatStatus.State(s, lab.BobHit) is null or "CLOSED", TimeSpan.FromSeconds(5), "CLOSE_ACK from bob");
        relayCapture.Stop();
        aliceCapture.Stop();

        var atAlice = HipFrame.Read(aliceCapture.PcapPath, "alice LAN", "alice/eth0").Where(f => f.Hip is not null).ToList();
        Assert.Contains(atAlice, f => f.Hip!.Type == 18 && f.Destination.Equals(aliceDirect));
        Assert.Contains(atAlice, f => f.Hip!.Type == 19 && f.Source.Equals(aliceDirect));
        var hits = new[] { IPAddress.Parse(lab.AliceHit), IPAddress.Parse(lab.BobHit) };
        var pairAtRelay = HipFrame.Read(relayCapture.PcapPath, "public", "relay/eth0")
            .Where(f => f.Hip is { } h && hits.Contains(h.SenderHit) && hits.Contains(h.ReceiverHit)).ToList();
        Assert.True(pairAtRelay.Count == 0, $"{pairAtRelay.Count} alice↔bob packets crossed the relay after the switch: " +
            string.Join(", ", pairAtRelay.Select(f => $"{f.Hip!.TypeName} {f.Source}→{f.Destination}")));
        Assert.Equal(viaRelay, lab.RelayHost.ReadCounter("from-alice").Packets);
        Assert.Equal(relayedBefore, HipnatStatus.Counter(relay.Status(), "relayed"));
    }

    [Fact]
    public void BehindTwoSymmetricNatsTheAssociationStillWorksThroughTheRelay()
    {
        using var lab = HipLab.Create(NatOptions.Symmetric, NatOptions.Symmetric);
        var relay = lab.StartRelay();
        var bob = lab.StartBob();
        var alice = lab.StartAlice();
        HipLab.WaitForRegistration(bob, lab.RelayHit);

        var connect = HipLab.Connect(alice, lab.BobHit);
        Assert.True(connect.Succeeded, $"{connect}\n{lab.Logs()}");
        bob.WaitForStatus(s => HipnatStatus.State(s, lab.AliceHit) == "ESTABLISHED", TimeSpan.FromSeconds(5), "ESTABLISHED with alice");

        // Direct probes go out but no symmetric NAT lets them in: after a few rounds both still use the relay — its
        // data relay (a relayed port), which both took by default because the relay offers it.
        Thread.Sleep(TimeSpan.FromSeconds(2));
        var aliceStatus = alice.Status();
        var bobStatus = bob.Status();
        Assert.Equal("ESTABLISHED", HipnatStatus.State(aliceStatus, lab.BobHit));
        Assert.Equal(lab.RelayEndpoint.Address, HipnatStatus.PeerAddress(aliceStatus, lab.BobHit)?.Address);
        Assert.Equal("ESTABLISHED", HipnatStatus.State(bobStatus, lab.AliceHit));
        Assert.Equal(lab.RelayEndpoint.Address, HipnatStatus.PeerAddress(bobStatus, lab.AliceHit)?.Address);

        // The association still carries control traffic: CLOSE / CLOSE_ACK through the relay.
        long before = HipnatStatus.Counter(relay.Status(), "relayed");
        var close = alice.Cli(HipLab.CliTimeout, "close", lab.BobHit);
        Assert.True(close.Succeeded, close.ToString());
        alice.WaitForStatus(s => HipnatStatus.State(s, lab.BobHit) is null or "CLOSED", TimeSpan.FromSeconds(5), "CLOSE_ACK from bob through the relay");
        bob.WaitForStatus(s => HipnatStatus.State(s, lab.AliceHit) is null or "CLOSED", TimeSpan.FromSeconds(5), "CLOSE from alice through the relay");
        Assert.True(HipnatStatus.Counter(relay.Status(), "relayed") - before >= 2, "CLOSE and CLOSE_ACK should have been relayed");
    }

    [Fact]
    public void TheRelayRefusesToForwardToAnUnregisteredHit()
    {
        using var lab = HipLab.Create();
        var relay = lab.StartRelay();
        var bob = lab.StartBob(register: false);
        var alice = lab.StartAlice();

        var connect = HipLab.Connect(alice, lab.BobHit, timeoutSeconds: 3);

        Assert.False(connect.Succeeded, $"connect to an unregistered HIT through the relay succeeded: {connect}");
        Assert.Equal(1, connect.ExitCode);
        var relayStatus = relay.Status();
        Assert.True(HipnatStatus.Drops(relayStatus, "NotForUs") >= 1, $"the relay should count alice's I1s as NotForUs: {relayStatus}");
        Assert.Equal(0, HipnatStatus.Counter(relayStatus, "relayed"));
        Assert.Equal(0, HipnatStatus.Counter(bob.Status(), "packetsIn"));
        Assert.NotEqual("ESTABLISHED", HipnatStatus.State(alice.Status(), lab.BobHit));
    }
}
