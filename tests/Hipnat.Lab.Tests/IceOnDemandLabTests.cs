using Hipnat.Lab.Demo;

namespace Hipnat.Lab.Tests;

/// <summary>
/// The first packets of an application while ICE is still choosing the path: they wait in the data plane's queue
/// (a control relay carries no ESP) and leave on the pair ICE selects — here, between two address-and-port-dependent
/// NATs, the data relay after the relay fallback delay.
/// </summary>
[Collection(nameof(HipLabCollection))]
public class IceOnDemandLabTests
{
    [Fact]
    public void TheFirstPingWaitsForTheIcePathAndIsAnsweredThroughTheDataRelay()
    {
        using var lab = HipLab.Create(NatOptions.Symmetric, NatOptions.Symmetric);
        var relay = lab.StartRelay();
        string[] register = ["--relay", $"{lab.RelayHit}={lab.RelayEndpoint}", "--relay-esp", "--log-level", "debug"];
        using var bob = lab.Tool.StartHost(lab.BobHost, lab.Ids["bob"], register);
        using var alice = lab.Tool.StartHost(lab.AliceHost, lab.Ids["alice"], [.. register, "--peer", $"{lab.BobHit}={lab.RelayEndpoint}"]);
        HipLab.WaitForRegistration(bob, lab.RelayHit);
        HipLab.WaitForRegistration(alice, lab.RelayHit);

        // No `connect`: the echo request itself starts the base exchange; ICE then needs the fallback delay (2 s)
        // before it nominates the pair through the data relay. The one request must still be answered.
        long espBefore = HipnatStatus.Counter(relay.Status(), "espRelayed");
        var ping = alice.Cli(TimeSpan.FromSeconds(60), "ping", lab.BobHit, "--count", "1", "--timeout", "8");
        Assert.True(ping.Succeeded, $"{ping}\n{IceLabTests.Logs(alice, bob)}");
        Assert.Contains("1 received", ping.StandardOutput, StringComparison.Ordinal);
        Assert.True(HipnatStatus.Counter(relay.Status(), "espRelayed") - espBefore >= 2, relay.Status().ToString());
        TestContext.Current.TestOutputHelper?.WriteLine(ping.StandardOutput);
    }
}
