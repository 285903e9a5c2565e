using Hipnat.Runtime.Configuration;
using Hipnat.Runtime.Netlink;

namespace Hipnat.Runtime.Tests;

/// <summary>The config file's "mobility" object.</summary>
public sealed class MobilityConfigTests
{
    [Fact]
    public void TheAddressDebounceIsReadAndDefaultsTo50Ms()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(50), DaemonConfigFile.Parse("{}", "test.json").Mobility.AddressDebounce);
        Assert.Equal(AddressMonitor.DefaultDebounce, new MobilitySettings().AddressDebounce);
        Assert.Equal(TimeSpan.FromMilliseconds(250), DaemonConfigFile.Parse("""{ "mobility": { "addressDebounceMs": 250 } }""", "test.json").Mobility.AddressDebounce);
        Assert.Equal(TimeSpan.Zero, DaemonConfigFile.Parse("""{ "mobility": { "addressDebounceMs": 0 } }""", "test.json").Mobility.AddressDebounce);
        Assert.Equal(TimeSpan.FromSeconds(5), DaemonConfigFile.Parse("""{ "mobility": { "addressDebounceMs": 5000 } }""", "test.json").Mobility.AddressDebounce);
    }

    [Theory]
    [InlineData("""{ "mobility": { "addressDebounceMs": 5001 } }""", "key mobility.addressDebounceMs = 5001: out of range 0-5000")]
    [InlineData("""{ "mobility": { "addressDebounceMs": -1 } }""", "key mobility.addressDebounceMs = -1: out of range 0-5000")]
    [InlineData("""{ "mobility": { "addressDebounceMs": 2.5 } }""", "key mobility.addressDebounceMs = 2.5: expected a whole number of milliseconds")]
    [InlineData("""{ "mobility": { "addressDebounceMs": "50" } }""", "key mobility.addressDebounceMs = \"50\": expected a whole number")]
    [InlineData("""{ "mobility": [] }""", "key mobility = []: expected an object")]
    [InlineData("""{ "mobility": { "debounceMs": 50 } }""", "unknown key \"mobility.debounceMs\"")]
    [InlineData("""{ "mobilty": {} }""", "did you mean \"mobility\"?")]
    public void BadValuesNameTheKey(string json, string expected)
    {
        var e = Assert.Throws<ConfigException>(() => DaemonConfigFile.Parse(json, "test.json"));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }
}
