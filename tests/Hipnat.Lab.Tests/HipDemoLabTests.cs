using Hipnat.Lab.Demo;

namespace Hipnat.Lab.Tests;

/// <summary><c>hipnat lab demo</c> end to end: the lab, the daemons, the captures, the time line and the summary.</summary>
[Collection(nameof(HipLabCollection))]
public class HipDemoLabTests
{
    [Fact]
    public async Task TheDemoRegistersConnectsThroughTheRelayAndMovesToTheDirectPath()
    {
        LabRequirement.Root();
        using var output = new StringWriter();
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var result = await LabDemo.RunAsync(new LabDemoOptions { HipnatDll = HipLab.HipnatDll(), Output = output }, TestContext.Current.CancellationToken);

        var text = output.ToString();
        Assert.True(result.Success, text);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(45), $"the demo took {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.Equal(new System.Net.IPEndPoint(System.Net.IPAddress.Parse("203.0.113.12"), HipnatTool.Port), result.ReportedReflexive);
        Assert.Equal(result.NatMapping, result.ReportedReflexive);
        Assert.True(result.Direct, text);
        Assert.True(result.RelayForwardedCaptured >= 4, text);
        Assert.True(result.PairPacketsAfterDirect >= 2, text); // CLOSE and CLOSE_ACK at least
        Assert.Equal(0, result.PairPacketsThroughRelayAfterDirect);
        Assert.Contains("REG_FROM 203.0.113.12:10500", text, StringComparison.Ordinal);
        Assert.Contains("RELAY_FROM 203.0.113.11:10500", text, StringComparison.Ordinal);
        Assert.Contains("RELAY_TO 203.0.113.11:10500", text, StringComparison.Ordinal);
        Assert.Contains("RESULT: OK", text, StringComparison.Ordinal);
        Assert.DoesNotContain(LabJanitor.ListNamespaces(), n => n.StartsWith($"hn-{result.LabId}", StringComparison.Ordinal));
    }
}
