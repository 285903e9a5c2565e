using Hipnat.Simulator.Hip;

namespace Hipnat.Core.Tests;

public class ScaleTests
{
    [Fact]
    public void TenThousandAssociationsWellUnderAMinuteAndUnder16KiBEach()
    {
        var r = ScaleScenario.Run(initiators: 10_000, responders: 100);
        TestContext.Current.SendDiagnosticMessage(r.ToString());
        Assert.Equal(10_000, r.Established);
        Assert.True(r.WallTime < TimeSpan.FromSeconds(60), r.ToString());
        Assert.True(r.BytesPerAssociationEnd < 16 * 1024, r.ToString());
    }
}

public class RelayScaleTests
{
    [Fact]
    public void RelayServesTenThousandRegisteredClients()
    {
        var r = RelayScaleScenario.Run(10_000);
        TestContext.Current.SendDiagnosticMessage(r.ToString());
        Assert.Equal(10_000, r.Registered);
        Assert.True(r.RelayBytesPerClient < 16 * 1024, r.ToString());
        Assert.True(r.WallTime < TimeSpan.FromSeconds(90), r.ToString());
    }
}
