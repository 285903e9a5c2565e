using System.Text.RegularExpressions;

namespace Hipnat.Lab.Tests;

public class ProcessTests
{
    [Fact]
    public void RunReturnsExitCodeAndOutputFromInsideTheNamespace()
    {
        LabRequirement.Root();
        using var lab = NetworkLab.Create();
        var host = lab.AddHost("h", lab.AddSegment("public", "203.0.113.0/24"));

        var ok = host.Run("sh", "-c", "echo out; echo err >&2; exit 3");
        var where = host.Run("ip", "netns", "identify");

        Assert.Equal(3, ok.ExitCode);
        Assert.Equal("out\n", ok.StandardOutput);
        Assert.Equal("err\n", ok.StandardError);
        Assert.Throws<LabCommandException>(() => ok.EnsureSuccess());
        Assert.Equal(host.Namespace, where.StandardOutput.Trim());
    }

    [Fact]
    public void RunTimesOut()
    {
        LabRequirement.Root();
        using var lab = NetworkLab.Create();
        var host = lab.AddHost("h", lab.AddSegment("public", "203.0.113.0/24"));

        Assert.Throws<TimeoutException>(() => host.Run(TimeSpan.FromMilliseconds(300), "sleep", "5"));
    }

    [Fact]
    public async Task StartedProcessIsWatchedFedAndStoppedWithItsChildren()
    {
        LabRequirement.Root();
        using var lab = NetworkLab.Create();
        var host = lab.AddHost("h", lab.AddSegment("public", "203.0.113.0/24"));

        int child;
        using (var process = host.Start("sh", "-c", "sleep 300 & echo child $!; echo ready; read line; echo got $line; wait"))
        {
            child = int.Parse(process.WaitForOutput(@"^child (\d+)$", TimeSpan.FromSeconds(10)).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            process.WaitForOutput("ready", TimeSpan.FromSeconds(10));
            var mark = process.LineCount;
            process.WriteLine("hello");
            var got = await process.WaitForOutputAsync(new Regex("^got (.*)$"), TimeSpan.FromSeconds(10), mark, TestContext.Current.CancellationToken);

            Assert.Equal("hello", got.Groups[1].Value);
            Assert.False(process.HasExited);
            Assert.All(process.Output, line => Assert.True(line.Timestamp <= DateTimeOffset.UtcNow));
            Assert.True(IsAlive(child));
        }

        Assert.True(WaitGone(child), "the backgrounded child of the stopped process is still running");
    }

    [Fact]
    public void WaitForOutputFailsFastWhenTheProcessExitsAndTimesOutOtherwise()
    {
        LabRequirement.Root();
        using var lab = NetworkLab.Create();
        var host = lab.AddHost("h", lab.AddSegment("public", "203.0.113.0/24"));

        using var quitter = host.Start("sh", "-c", "echo bye; exit 4");
        var exited = Assert.Throws<InvalidOperationException>(() => quitter.WaitForOutput("never", TimeSpan.FromSeconds(10)));
        Assert.Contains("bye", exited.Message, StringComparison.Ordinal);
        Assert.True(quitter.WaitForExit(TimeSpan.FromSeconds(5)));
        Assert.Equal(4, quitter.ExitCode);

        using var sleeper = host.Start("sleep", "30");
        Assert.Throws<TimeoutException>(() => sleeper.WaitForOutput("never", TimeSpan.FromMilliseconds(200)));
        sleeper.Kill();
        Assert.True(sleeper.HasExited);
        Assert.Equal(128 + 9, sleeper.ExitCode);
    }

    [Fact]
    public void DisposingTheLabStopsItsProcesses()
    {
        LabRequirement.Root();
        LabProcess process;
        using (var lab = NetworkLab.Create())
        {
            var host = lab.AddHost("h", lab.AddSegment("public", "203.0.113.0/24"));
            process = host.Start("sleep", "300");
            Assert.True(IsAlive(process.Id));
        }

        Assert.True(process.HasExited);
        Assert.True(WaitGone(process.Id));
    }

    [Fact]
    public void CaptureRecordsTrafficIntoAPcap()
    {
        LabRequirement.Root();
        using var lab = NetworkLab.Create();
        var pub = lab.AddSegment("public", "203.0.113.0/24");
        var a = lab.AddHost("a", pub);
        var b = lab.AddHost("b", pub);

        using var capture = b.Capture("eth0", "icmp");
        Assert.True(a.Ping(b.Address, 3).AllReceived);
        var path = capture.Stop();

        Assert.True(File.Exists(path));
        Assert.StartsWith(lab.WorkDirectory, path, StringComparison.Ordinal);
        Assert.Equal(3, capture.CountPackets("icmp.type == 8"));
        Assert.Equal(6, capture.CountPackets());
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat.Split(' ')[2] != "Z";
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static bool WaitGone(int pid)
    {
        for (var i = 0; i < 50 && IsAlive(pid); i++)
        {
            Thread.Sleep(100);
        }

        return !IsAlive(pid);
    }
}
