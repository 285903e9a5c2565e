using System.Diagnostics;
using System.Text.Json;

namespace Hipnat.Lab.Tests;

public class TeardownTests
{
    [Fact]
    public void DisposeRemovesNamespacesVethsAndProcessesEvenWhenTheTestBodyThrows()
    {
        LabRequirement.Root();
        var id = string.Empty;
        var pid = 0;
        string workDirectory = string.Empty;

        void Body()
        {
            using var lab = NetworkLab.Create();
            id = lab.Id;
            workDirectory = lab.WorkDirectory;
            var pub = lab.AddSegment("public", "203.0.113.0/24");
            var nat = lab.AddNat("nat", pub, "198.18.1.0/24");
            var host = nat.AddHost("h");
            lab.AddHost("p", pub);
            pid = host.Start("sleep", "300").Id;
            Assert.Equal(4, LabJanitor.ListNamespaces().Count(n => n.StartsWith("hn-" + id, StringComparison.Ordinal)));
            throw new InvalidOperationException("test body failed");
        }

        var thrown = Assert.Throws<InvalidOperationException>(Body);

        Assert.Equal("test body failed", thrown.Message);
        Assert.DoesNotContain(LabJanitor.ListNamespaces(), n => n.StartsWith("hn-" + id, StringComparison.Ordinal));
        Assert.DoesNotContain(RootNamespaceLinks(), l => l.Contains(id, StringComparison.Ordinal));
        Assert.False(Directory.Exists(workDirectory));
        Assert.False(File.Exists($"/proc/{pid}/cmdline") && File.ReadAllText($"/proc/{pid}/cmdline").StartsWith("sleep", StringComparison.Ordinal));
    }

    [Fact]
    public void DisposeTwiceIsHarmlessAndUseAfterDisposeThrows()
    {
        LabRequirement.Root();
        var lab = NetworkLab.Create();
        var segment = lab.AddSegment("public", "203.0.113.0/24");
        lab.Dispose();
        lab.Dispose();

        Assert.True(lab.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => lab.AddHost("late", segment));
    }

    [Fact]
    public async Task TwoLabsWithTheSameTopologyRunSideBySide()
    {
        LabRequirement.Root();
        static NetworkLab Build() => new LabTopology()
            .Segment("public", "203.0.113.0/24")
            .Host("relay", "public")
            .Nat("nat", "public", "198.18.1.0/24")
            .Host("a", "nat")
            .Build();

        var labs = await Task.WhenAll(Task.Run(Build, TestContext.Current.CancellationToken), Task.Run(Build, TestContext.Current.CancellationToken));
        try
        {
            Assert.NotEqual(labs[0].Id, labs[1].Id);
            Assert.Equal(labs[0]["a"].Address, labs[1]["a"].Address);
            var pings = await Task.WhenAll(labs.Select(lab => Task.Run(() => lab["a"].Ping(lab["relay"].Address, 3), TestContext.Current.CancellationToken)));
            Assert.All(pings, p => Assert.True(p.AllReceived));

            // Same addresses, separate wires: cutting one lab's relay leaves the other's alone.
            labs[0]["relay"].PrimaryInterface.SetLinkDown();
            Assert.False(labs[0]["a"].Ping(labs[0]["relay"].Address, 1, TimeSpan.FromMilliseconds(300)).Reachable);
            Assert.True(labs[1]["a"].Ping(labs[1]["relay"].Address, 1).AllReceived);
        }
        finally
        {
            foreach (var lab in labs)
            {
                await lab.DisposeAsync();
            }
        }

        Assert.DoesNotContain(LabJanitor.ListNamespaces(), n => n.StartsWith("hn-" + labs[0].Id, StringComparison.Ordinal) || n.StartsWith("hn-" + labs[1].Id, StringComparison.Ordinal));
    }

    [Fact]
    public void InterfaceNamesFitTheKernelLimit()
    {
        LabRequirement.Root();
        using var lab = NetworkLab.Create();
        var pub = lab.AddSegment("public", "203.0.113.0/24");
        var nat = lab.AddNat("a-rather-long-nat-name", pub, "198.18.1.0/24");
        var host = nat.AddHost("a-rather-long-host-name");

        var names = new[] { pub.BridgeName, nat.InsideSegment.BridgeName }
            .Concat(nat.Interfaces.SelectMany(i => new[] { i.Name, i.SwitchPort }))
            .Concat(host.Interfaces.SelectMany(i => new[] { i.Name, i.SwitchPort }));
        Assert.All(names, n => Assert.InRange(n.Length, 1, 15));
        Assert.All(lab.Hosts.Values, h => Assert.StartsWith("hn-" + lab.Id + "-", h.Namespace, StringComparison.Ordinal));
    }

    internal static IEnumerable<string> RootNamespaceLinks()
    {
        var json = Sh("ip -j link show");
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.EnumerateArray().Select(l => l.GetProperty("ifname").GetString() ?? string.Empty).ToList();
    }

    internal static string Sh(string command)
    {
        using var process = Process.Start(new ProcessStartInfo("sh", ["-c", command]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{command}: {error}");
        return output;
    }
}
