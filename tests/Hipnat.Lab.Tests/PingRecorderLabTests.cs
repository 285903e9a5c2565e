namespace Hipnat.Lab.Tests;

/// <summary>The unmodified iputils ping run by <see cref="PingRecorder"/> in a namespace, across a cut link.</summary>
public class PingRecorderLabTests
{
    [Fact]
    public void CutLinkShowsAsAGapAsLongAsTheCutAndLostEchoes()
    {
        LabRequirement.Root();
        using var lab = NetworkLab.Create();
        var pub = lab.AddSegment("public", "198.51.100.0/24");
        var a = lab.AddHost("a", pub);
        var b = lab.AddHost("b", pub);
        using var recorder = PingRecorder.Start(a, b.Address.ToString());
        Assert.True(recorder.WaitForReplies(30, TimeSpan.FromSeconds(10)), recorder.Process.ToString());

        // Cut on the switch side (a silent 100% drop: neither host sees a link event), for about 600 ms.
        var cutCalled = recorder.Mark("cut called");
        b.PrimaryInterface.SetLoss(1);
        var cutDone = recorder.Mark("cut");
        Thread.Sleep(600);
        var restoreCalled = recorder.Mark("restore called");
        b.PrimaryInterface.SetLoss(0);
        var restored = recorder.Mark("restored");
        Assert.True(recorder.WaitForReplyAfter(restored.At.AddMilliseconds(300), TimeSpan.FromSeconds(5)));
        var trace = recorder.Stop();

        Assert.True(recorder.Process.HasExited);
        Assert.NotNull(trace.ReportedSent); // SIGINT let ping print its summary
        var gap = Assert.NotNull(trace.LongestGap);
        // The outage covers at least [cut done, restore called] and at most [cut called, restored] plus one interval.
        Assert.InRange(gap.Duration, restoreCalled.At - cutDone.At, restored.At - cutCalled.At + TimeSpan.FromMilliseconds(40));
        Assert.True(gap.From <= cutDone.At && gap.To >= restoreCalled.At, $"{gap} vs marks {cutDone.At:HH:mm:ss.fff}..{restoreCalled.At:HH:mm:ss.fff}");
        Assert.True(trace.Lost > 0, trace.ToString());
        // One echo per interval kept lost over the outage (ping -i 0.01 keeps 10-20 ms on a busy machine), none outside it.
        var interval = Assert.NotNull(trace.MeasuredInterval);
        Assert.InRange(interval, TimeSpan.FromMilliseconds(9), TimeSpan.FromMilliseconds(30));
        var expected = gap.Duration / interval;
        Assert.InRange(trace.Lost, (int)(expected * 0.7), (int)(expected * 1.3) + 1);
        Assert.True(trace.GapAfter("restored")?.Duration < TimeSpan.FromMilliseconds(100), trace.GapAfter("restored")?.ToString());
        Assert.Equal(trace.Sent, trace.ReportedSent);
        Assert.Contains(trace.RepliesPerBin(), count => count == 0);
        Assert.Equal(["cut called", "cut", "restore called", "restored"], trace.Marks.Select(m => m.Label));
    }
}
