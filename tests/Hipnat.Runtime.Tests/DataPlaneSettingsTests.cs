using System.Net;
using Hipnat.DataPlane.Beet;
using Hipnat.Runtime.Configuration;
using Hipnat.Runtime.DataPlane;
using Hipnat.Runtime.Tests.Support;
using Hipnat.Wire;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hipnat.Runtime.Tests;

/// <summary>The data plane's configuration ("tun", --tun), LSI assignment and the LSI network choice.</summary>
public sealed class DataPlaneSettingsTests
{
    [Fact]
    public void TheTunSectionIsRead()
    {
        var s = DaemonConfigFile.Parse(
            """{ "tun": { "enabled": true, "name": "hipx", "mtu": 1300, "lsiNetwork": "10.77.0.0/16", "localLsi": "10.77.0.9" } }""", "t.json");
        Assert.True(s.Tun.IsEnabled);
        Assert.True(s.Tun.IsRequired);
        Assert.Equal("hipx", s.Tun.Name);
        Assert.Equal(1300, s.Tun.Mtu);
        Assert.Equal(IPNetwork.Parse("10.77.0.0/16"), s.Tun.LsiNetwork);
        Assert.True(s.Tun.LsiNetworkExplicit);
        Assert.Equal(IPAddress.Parse("10.77.0.9"), s.Tun.LocalLsi);
    }

    [Fact]
    public void ReplayWindowAndRekeyLimitsAreRead()
    {
        var s = DaemonConfigFile.Parse(
            """{ "tun": { "replayWindow": 4096, "rekeyAfterPackets": 1000000, "rekeyAfterBytes": 1000000000, "rekeyAfterSeconds": 3600 } }""", "t.json");
        Assert.Equal(4096, s.Tun.ReplayWindow);
        Assert.Equal(1_000_000UL, s.Tun.RekeyAfterPackets);
        Assert.Equal(1_000_000_000UL, s.Tun.RekeyAfterBytes);
        Assert.Equal(TimeSpan.FromHours(1), s.Tun.RekeyAfter);
        Assert.Equal(4, DaemonConfigFile.Parse("""{ "tun": { "queues": 4 } }""", "t.json").Tun.Queues);

        var d = DaemonConfigFile.Parse("{}", "t.json");
        Assert.Equal(1, d.Tun.Queues);
        Assert.Equal(1024, d.Tun.ReplayWindow);
        Assert.Null(d.Tun.RekeyAfterPackets);
        Assert.Null(d.Tun.RekeyAfterBytes);
        Assert.Null(d.Tun.RekeyAfter);
    }

    [Fact]
    public void DefaultsAreHip0Mtu1400AndTheBenchmarkingBlock()
    {
        var s = DaemonConfigFile.Parse("{}", "t.json");
        Assert.Null(s.Tun.Enabled);
        Assert.Equal(Environment.IsPrivilegedProcess, s.Tun.IsEnabled);
        Assert.Equal("hip0", s.Tun.Name);
        Assert.Equal(1400, s.Tun.Mtu);
        Assert.Equal(IPNetwork.Parse("198.18.0.0/16"), s.Tun.LsiNetwork);

        // 1400 fits the worst-case ESP overhead of every suite over IPv6 + UDP on a 1500-octet path.
        foreach (var t in Hipnat.DataPlane.Esp.EspTransform.All)
        {
            Assert.True(Hipnat.DataPlane.Tun.TunConfigurator.InnerMtu(t, 1500, outerIpv6: true, udpEncapsulated: true) >= DataPlaneSettings.DefaultMtu, t.Name);
        }
    }

    [Theory]
    [InlineData("""{ "tun": { "mtu": 1000 } }""", "key tun.mtu = 1000: out of range 1280-65000")]
    [InlineData("""{ "tun": { "lsiNetwork": "2001:db8::/64" } }""", "key tun.lsiNetwork = \"2001:db8::/64\": '2001:db8::/64' is not IPv4")]
    [InlineData("""{ "tun": { "lsiNetwork": "10.0.0.0/31" } }""", "prefix length /31 is out of range 8-30")]
    [InlineData("""{ "tun": { "localLsi": "10.0.0.1" } }""", "key tun.localLsi = \"10.0.0.1\" is not inside tun.lsiNetwork 198.18.0.0/16")]
    [InlineData("""{ "tun": { "name": "a-very-long-interface-name" } }""", "an interface name has 1-15 characters")]
    [InlineData("""{ "tun": { "enable": true } }""", "unknown key \"tun.enable\"")]
    [InlineData("""{ "tun": { "replayWindow": 32 } }""", "key tun.replayWindow = 32: out of range 64-1048576")]
    [InlineData("""{ "tun": { "replayWindow": "big" } }""", "key tun.replayWindow = \"big\": expected a whole number")]
    [InlineData("""{ "tun": { "rekeyAfterPackets": 10 } }""", "key tun.rekeyAfterPackets = 10: out of range")]
    [InlineData("""{ "tun": { "rekeyAfterBytes": -1 } }""", "key tun.rekeyAfterBytes = -1: out of range")]
    [InlineData("""{ "tun": { "rekeyAfterSeconds": 1 } }""", "key tun.rekeyAfterSeconds = 1: out of range 10-31536000")]
    [InlineData("""{ "tun": true }""", "key tun = true: expected an object")]
    [InlineData("""{ "tun": { "queues": 0 } }""", "key tun.queues = 0: out of range 1-16")]
    [InlineData("""{ "tun": { "queues": 17 } }""", "key tun.queues = 17: out of range 1-16")]
    public void MistakesInTheTunSectionNameTheKey(string json, string expected)
    {
        var e = Assert.Throws<ConfigException>(() => DaemonConfigFile.Parse(json, "bad.json"));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("on", true, "hip0")]
    [InlineData("off", false, "hip0")]
    [InlineData("hipnat7", true, "hipnat7")]
    public void TheTunFlagTurnsTheDataPlaneOnOffOrNamesIt(string flag, bool enabled, string name)
    {
        var s = new DataPlaneSettings();
        s.ApplyFlag(flag);
        Assert.Equal(enabled, s.IsEnabled);
        Assert.Equal(name, s.Name);
    }

    [Fact]
    public async Task ABadTunFlagIsAUsageError()
    {
        var r = await InProcessCli.RunAsync("run", "--tun", "no/slash", "--key", "none.pem");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--tun 'no/slash'", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PingNeedsAnAddress()
    {
        var r = await InProcessCli.RunAsync("ping", "bob");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("TARGET 'bob' is not an address", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void TheDefaultLsiNetworkMovesAsideWhenALocalNetworkUsesIt()
    {
        var lab = new[] { IPNetwork.Parse("198.18.1.0/24") };
        Assert.Equal(IPNetwork.Parse("198.19.0.0/16"), DataPlaneService.ChooseLsiNetwork(new DataPlaneSettings(), NullLogger.Instance, lab));
        Assert.Equal(IPNetwork.Parse("198.18.0.0/16"), DataPlaneService.ChooseLsiNetwork(new DataPlaneSettings(), NullLogger.Instance, [IPNetwork.Parse("192.0.2.0/24")]));

        // A configured network is kept (with a warning).
        var configured = new DataPlaneSettings { LsiNetwork = IPNetwork.Parse("198.18.0.0/16"), LsiNetworkExplicit = true };
        Assert.Equal(IPNetwork.Parse("198.18.0.0/16"), DataPlaneService.ChooseLsiNetwork(configured, NullLogger.Instance, lab));
    }

    [Fact]
    public void LsisAreDeterministicPerHitAndUnique()
    {
        var network = IPNetwork.Parse("198.19.0.0/16");
        var hits = Enumerable.Range(1, 500).Select(i => new Hit(0x2001_0020_0000_0000UL, (ulong)i * 0x9E37_79B9_7F4A_7C15UL)).ToList();
        var first = new LsiAllocator(network);
        var lsis = hits.Select(first.GetOrAssign).ToList();
        Assert.Equal(lsis.Count, lsis.Distinct().Count());
        Assert.All(lsis, l => Assert.True(network.Contains(BeetPacket.FromLsi(l)) && l != first.LocalLsi));
        Assert.Equal("198.19.0.1", LsiAllocator.Format(first.LocalLsi));

        // Another daemon (a restart) gives the same peers the same LSIs.
        var second = new LsiAllocator(network);
        Assert.Equal(lsis, hits.Select(second.GetOrAssign));

        // Without collisions the order peers become known in does not matter either (a collision's loser takes the
        // next free address, which depends on who came first).
        var third = new LsiAllocator(network);
        foreach (var i in Enumerable.Range(0, 20).Reverse())
        {
            Assert.Equal(lsis[i], third.GetOrAssign(hits[i]));
        }
    }

    [Fact]
    public void ACollisionTakesTheNextFreeLsiAndAFullNetworkGivesNone()
    {
        var tiny = new LsiAllocator(IPNetwork.Parse("10.9.9.0/29"), IPAddress.Parse("10.9.9.1")); // hosts .1-.6, .1 is ours
        var assigned = Enumerable.Range(0, 5).Select(i => tiny.GetOrAssign(new Hit(0x2001_0020_0000_0000UL, 7))).ToList();
        Assert.Single(assigned.Distinct()); // the same HIT keeps its LSI
        var others = Enumerable.Range(1, 10).Select(i => tiny.GetOrAssign(new Hit(0x2001_0020_0000_0000UL, 7 + ((ulong)i << 32)))).ToList();
        Assert.Equal(4, others.Count(l => l != 0)); // 5 free addresses in all
        Assert.Equal(6, others.Count(l => l == 0));
        Assert.Equal(5, others.Where(l => l != 0).Append(assigned[0]).Distinct().Count());
    }
}
