using System.Text.RegularExpressions;
using Hipnat.Runtime.Control;
using Hipnat.Runtime.Metrics;
using Hipnat.Runtime.Tests.Support;
using Microsoft.Extensions.Logging;

namespace Hipnat.Runtime.Tests;

/// <summary>An exception in one step of the driver loop is counted, logged with the step's name, and survived.</summary>
public sealed class DriverStepFailureTests
{
    [Fact]
    public async Task AStepThatFailsEveryTurnIsCountedLoggedOnceAndTheDaemonKeepsServing()
    {
        var log = new RecordingLogger(LogLevel.Information);
        using var a = new InProcessDaemon(logger: log);
        using var b = new InProcessDaemon();
        using var exporter = new PrometheusExporter(a.Daemon.Metrics.Meter);
        long laterStepRuns = 0;
        a.Daemon.StepHook = step =>
        {
            if (step == DriverSteps.Registrations)
            {
                throw new InvalidOperationException("registrations broke");
            }

            if (step == DriverSteps.Waiters)
            {
                Interlocked.Increment(ref laterStepRuns);
            }
        };
        a.Daemon.Start();
        b.Daemon.Start();

        for (int i = 0; i < 20; i++)
        {
            await a.StatusAsync(); // each request is at least one more turn of the loop
        }

        // Steps after the failing one still run, and the daemon still does real work: a base exchange.
        Assert.True(a.Daemon.StepFailures(DriverSteps.Registrations) >= 20, $"{a.Daemon.StepFailures(DriverSteps.Registrations)} failures");
        Assert.True(Interlocked.Read(ref laterStepRuns) >= 20, $"waiters ran {laterStepRuns} times");
        a.Daemon.AddPeerLocator(b.Daemon.LocalHit, b.Address);
        var connect = await a.RequestAsync(new ControlRequest { Command = ControlRequest.Connect, Hit = b.Hit, TimeoutSeconds = 10 });
        Assert.True(connect.Ok, connect.Error);
        Assert.False(a.Daemon.Completion.IsCompleted);

        // Counted: in status and in the metric.
        var status = await a.StatusAsync();
        long counted = status.Counters.StepFailures[DriverSteps.Registrations];
        Assert.True(counted >= 20, $"status says {counted}");
        Assert.Equal(new[] { DriverSteps.Registrations }, status.Counters.StepFailures.Keys);
        var scraped = Regex.Match(exporter.Collect(), "hipnat_driver_step_failures_total\\{step=\"registrations\"\\} (\\d+)\n");
        Assert.True(scraped.Success, "the metric is exported");
        Assert.True(long.Parse(scraped.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= counted);

        // Logged with the step's name and the exception, once within the back-off interval.
        var lines = log.Entries.Where(e => e.Message.StartsWith("driver step registrations failed", StringComparison.Ordinal)).ToList();
        var line = Assert.Single(lines);
        Assert.Equal(LogLevel.Error, line.Level);
        Assert.Equal("registrations broke", line.Exception?.Message);
    }

    [Theory]
    [InlineData(DriverSteps.Work)]
    [InlineData(DriverSteps.Datagrams)]
    [InlineData(DriverSteps.Timers)]
    [InlineData(DriverSteps.DataPlane)]
    [InlineData(DriverSteps.Registrations)]
    [InlineData(DriverSteps.Stun)]
    [InlineData(DriverSteps.Turn)]
    [InlineData(DriverSteps.Waiters)]
    [InlineData(DriverSteps.Flush)]
    [InlineData(DriverSteps.SleepTime)]
    public async Task EveryStepOfTheLoopIsGuarded(string failing)
    {
        using var a = new InProcessDaemon();
        int thrown = 0;
        a.Daemon.StepHook = step =>
        {
            if (step == failing && Interlocked.Increment(ref thrown) <= 5)
            {
                throw new InvalidOperationException($"{step} broke");
            }
        };
        a.Daemon.Start();

        // Work posted from outside wakes the loop: one status per turn until the step has failed five times.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (a.Daemon.StepFailures(failing) < 5)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{failing} failed {a.Daemon.StepFailures(failing)} times");
            _ = a.Daemon.InvokeAsync(_ => 0);
            await Task.Delay(5, TestContext.Current.CancellationToken);
        }

        var status = await a.StatusAsync();
        Assert.Equal(5, status.Counters.StepFailures[failing]);
        Assert.Equal(5, a.Daemon.TotalStepFailures);
        Assert.False(a.Daemon.Completion.IsCompleted);
    }

    [Fact]
    public void TheLogBackOffIsPerKeyAndSaysHowManyWereNotLogged()
    {
        var throttle = new LogThrottle(TimeSpan.FromSeconds(30));
        Assert.True(throttle.ShouldLog("stun", TimeSpan.FromSeconds(1), out long suppressed));
        Assert.Equal(0, suppressed);
        for (int i = 0; i < 3; i++)
        {
            Assert.False(throttle.ShouldLog("stun", TimeSpan.FromSeconds(2 + i), out _));
        }

        Assert.True(throttle.ShouldLog("turn", TimeSpan.FromSeconds(5), out _));
        Assert.False(throttle.ShouldLog("stun", TimeSpan.FromSeconds(30.9), out _));
        Assert.True(throttle.ShouldLog("stun", TimeSpan.FromSeconds(31), out suppressed));
        Assert.Equal(4, suppressed);
        Assert.False(throttle.ShouldLog("stun", TimeSpan.FromSeconds(32), out _));
    }
}
