using System.Diagnostics;

namespace Hipnat.Lab.Tests;

/// <summary>Runs alone: every lab start runs the janitor, which would race this test for its fake leftovers.</summary>
[Collection(nameof(SerialLabCollection))]
public class JanitorTests
{
    [Fact]
    public void JanitorRemovesStaleNamespacesButNotLiveLabs()
    {
        LabRequirement.Root();
        using var live = NetworkLab.Create();
        var liveHost = live.AddHost("h", live.AddSegment("public", "203.0.113.0/24"));

        // What a crashed run leaves: namespaces with the prefix, a veth between them, a process inside. The fake lab
        // holds its lock while it is set up (so janitors of other processes leave it alone) and "crashes" by letting go.
        var stale = "zz" + Guid.NewGuid().ToString("N")[..3];
        var fakeLock = Hipnat.Lab.Internal.LabLock.TryAcquire(stale);
        Assert.NotNull(fakeLock);
        Process orphan;
        try
        {
            TeardownTests.Sh($"ip netns add hn-{stale} && ip netns add hn-{stale}-x && ip -n hn-{stale} link add hn{stale}p0 type veth peer name eth0 netns hn-{stale}-x");
            orphan = Process.Start("ip", ["netns", "exec", $"hn-{stale}-x", "sleep", "300"]);
            Assert.Contains($"hn-{stale}-x", LabJanitor.ListNamespaces());
            LabJanitor.CleanupStale();
            Assert.Contains($"hn-{stale}-x", LabJanitor.ListNamespaces());
        }
        finally
        {
            fakeLock.Dispose();
        }

        LabJanitor.CleanupStale();

        Assert.DoesNotContain(LabJanitor.ListNamespaces(), n => n.StartsWith($"hn-{stale}", StringComparison.Ordinal));
        using (orphan)
        {
            Assert.True(orphan.WaitForExit(5000));
        }

        Assert.Contains(liveHost.Namespace, LabJanitor.ListNamespaces());
        Assert.Contains(live.SwitchNamespace, LabJanitor.ListNamespaces());
        Assert.Equal(liveHost.Namespace, liveHost.Run("ip", "netns", "identify").StandardOutput.Trim());
    }
}
