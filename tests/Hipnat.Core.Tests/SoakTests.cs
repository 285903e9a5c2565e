using Hipnat.Simulator.Hip;

namespace Hipnat.Core.Tests;

/// <summary>
/// The soak (bench <c>soak</c>, docs/security.md "Soak (simulator)") at test size: 50 hosts behind assorted NATs
/// moving, losing their uplink and crashing every simulated minute for two hours, then everything closed. Alone in
/// its collection (<see cref="SoakCollection"/>).
/// </summary>
[Collection(nameof(SoakCollection))]
public class SoakTests
{
    [Fact]
    public void TwoHoursOfFiftyHostsMovingAndFailingReturnToTheBaseline()
    {
        var r = SoakScenario.Run(new SoakScenario.Options(50, TimeSpan.FromHours(2), Seed: 3) { ReportEvery = TimeSpan.FromMinutes(30) });

        foreach (var (check, passed, detail) in r.Checks)
        {
            Assert.True(passed, $"{check}: {detail}");
        }

        // It did soak: the pairs were up, the hosts were disrupted, and most pairs came back within three minutes.
        Assert.Equal(25, r.Steady.EstablishedPairs);
        Assert.True(r.Moves + r.Outages + r.Crashes >= 100, $"{r.Moves + r.Outages + r.Crashes} disruptions");
        Assert.True(r.End.Recovered >= 0.9 * (r.End.Recovered + r.End.NotRecovered),
            $"{r.End.Recovered} recovered, {r.End.NotRecovered} not: {string.Join("; ", r.NotRecoveredDetails)}");
        Assert.All(r.Reports, s => Assert.True(s.Associations <= 3 * 25 * 2, $"{s.Associations} associations at {s.At}"));
    }
}
