using Hipnat.Core.Host;
using Hipnat.Crypto;
using Hipnat.Runtime.Configuration;

namespace Hipnat.Runtime.Tests;

/// <summary>The config file's "multihoming" object and the core option it sets.</summary>
public sealed class MultihomingConfigTests
{
    [Theory]
    [InlineData("{}", MultihomingPolicy.Failover)]
    [InlineData("""{ "multihoming": { "policy": "failover" } }""", MultihomingPolicy.Failover)]
    [InlineData("""{ "multihoming": { "policy": "hot-standby" } }""", MultihomingPolicy.HotStandby)]
    [InlineData("""{ "multihoming": { "policy": "Load-Balance" } }""", MultihomingPolicy.LoadBalance)]
    public void ThePolicyIsReadAndReachesTheCore(string json, MultihomingPolicy expected)
    {
        var settings = DaemonConfigFile.Parse(json, "test.json");
        Assert.Equal(expected, settings.Multihoming.Policy);
        var options = settings.Protocol.ToHostOptions(HostIdentity.Generate(HostIdentityKind.EcdsaP256), [], Core.Transport.TransportKind.Udp, multihoming: settings.Multihoming);
        Assert.Equal(expected, options.MultihomingPolicy);
    }

    [Fact]
    public void TheFailoverTunablesReachTheCore()
    {
        var settings = DaemonConfigFile.Parse("""{ "multihoming": { "failoverSilenceMs": 200, "standbyKeepaliveMs": 0, "failbackHoldMs": 5000 } }""", "test.json");
        var options = settings.Protocol.ToHostOptions(HostIdentity.Generate(HostIdentityKind.EcdsaP256), [], Core.Transport.TransportKind.Udp, multihoming: settings.Multihoming);
        Assert.Equal(TimeSpan.FromMilliseconds(200), options.FailoverSilenceTimeout);
        Assert.Equal(TimeSpan.Zero, options.StandbyKeepaliveInterval);
        Assert.Equal(TimeSpan.FromSeconds(5), options.FailbackHold);

        var defaults = DaemonConfigFile.Parse("{}", "test.json").Protocol.ToHostOptions(HostIdentity.Generate(HostIdentityKind.EcdsaP256), [], Core.Transport.TransportKind.Udp);
        Assert.Equal(TimeSpan.FromSeconds(15), defaults.StandbyKeepaliveInterval);
    }

    [Theory]
    [InlineData("""{ "multihoming": { "standbyKeepaliveMs": 5000 } }""", "key multihoming.standbyKeepaliveMs = 5000: out of range (0 or 15000-3600000)")]
    [InlineData("""{ "multihoming": { "failoverSilenceMs": "fast" } }""", "key multihoming.failoverSilenceMs = \"fast\": expected a whole number of milliseconds")]
    [InlineData("""{ "multihoming": { "policy": "round-robin" } }""", "key multihoming.policy = \"round-robin\": not a multihoming policy")]
    [InlineData("""{ "multihoming": { "policy": 1 } }""", "key multihoming.policy = 1: not a multihoming policy")]
    [InlineData("""{ "multihoming": "load-balance" }""", "key multihoming = \"load-balance\": expected an object")]
    [InlineData("""{ "multihoming": { "mode": "failover" } }""", "unknown key \"multihoming.mode\"")]
    public void BadValuesNameTheKey(string json, string expected)
    {
        var e = Assert.Throws<ConfigException>(() => DaemonConfigFile.Parse(json, "test.json"));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }
}
