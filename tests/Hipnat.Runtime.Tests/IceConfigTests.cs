using System.Net;
using Hipnat.Cli;
using Hipnat.Core.Transport;
using Hipnat.Runtime.Configuration;
using Hipnat.Wire.Parameters;

namespace Hipnat.Runtime.Tests;

/// <summary>The ICE policy of <c>hipnat run</c>: config keys, flags, their errors, and which addresses make host candidates.</summary>
public sealed class IceConfigTests
{
    [Fact]
    public void IceKeysAndModesAreRead()
    {
        var s = DaemonConfigFile.Parse(
            """
            {
              "protocol": { "natTraversalModes": ["ice-stun-udp", "udp-encapsulation"] },
              "stunServers": ["192.0.2.1"],
              "ice": {
                "candidates": ["host", "srflx"],
                "interfaces": ["eth1", "eth0"],
                "ignoreInterfaces": ["docker0"],
                "pacingMs": 20,
                "relayFallbackMs": 500,
                "nominationWaitMs": 0,
                "aggressive": true
              }
            }
            """,
            "test.json");

        Assert.Equal([NatTraversalMode.IceStunUdp, NatTraversalMode.UdpEncapsulation], s.Protocol.NatTraversalModes);
        Assert.Equal([CandidateKind.Host, CandidateKind.ServerReflexive], s.Ice.Candidates);
        Assert.Equal(["eth1", "eth0"], s.Ice.Interfaces);
        Assert.Equal(["docker0"], s.Ice.IgnoreInterfaces);
        var ice = s.Ice.ToOptions();
        Assert.True(ice.GatherHost);
        Assert.True(ice.GatherServerReflexive);
        Assert.False(ice.GatherRelayed);
        Assert.Equal(TimeSpan.FromMilliseconds(500), ice.RelayFallbackDelay);
        Assert.Equal(TimeSpan.Zero, ice.NominationWait);
        Assert.True(ice.Aggressive);
        using var identity = Hipnat.Crypto.HostIdentity.Generate(Hipnat.Crypto.HostIdentityKind.EcdsaP256);
        var options = s.Protocol.ToHostOptions(identity, [], TransportKind.Udp, null, s.Ice);
        Assert.Equal(TimeSpan.FromMilliseconds(20), options.TransactionPacing);
        Assert.Equal([NatTraversalMode.IceStunUdp, NatTraversalMode.UdpEncapsulation], options.EffectiveNatTraversalModes);
        Assert.True(options.Ice.Aggressive);
    }

    [Theory]
    [InlineData("""{ "ice": { "pacingMs": 4 } }""", "key ice.pacingMs = 4: out of range 5-10000")]
    [InlineData("""{ "protocol": { "transactionPacingMs": 2 } }""", "key protocol.transactionPacingMs = 2: out of range 5-10000")]
    [InlineData("""{ "ice": { "pacingMs": "fast" } }""", "key ice.pacingMs = \"fast\": expected a whole number of milliseconds")]
    [InlineData("""{ "ice": { "candidates": ["host", "turn"] } }""", "key ice.candidates[1] = \"turn\": unknown candidate type")]
    [InlineData("""{ "ice": { "candidates": [] } }""", "key ice.candidates = []: expected a non-empty array")]
    [InlineData("""{ "ice": { "interfaces": ["eth0/1"] } }""", "key ice.interfaces[0] = \"eth0/1\": not an interface name")]
    [InlineData("""{ "ice": { "interfaces": ["eth0"], "ignoreInterfaces": ["eth0"] } }""", "ice.ignoreInterfaces lists \"eth0\"")]
    [InlineData("""{ "ice": { "relayFallbackMs": -1 } }""", "key ice.relayFallbackMs = -1: out of range")]
    [InlineData("""{ "ice": { "aggressive": "yes" } }""", "key ice.aggressive = \"yes\": expected true or false")]
    [InlineData("""{ "ice": { "pacing": 50 } }""", "unknown key \"ice.pacing\"")]
    [InlineData("""{ "ice": { "pacingMs": 20 }, "protocol": { "transactionPacingMs": 30 } }""", "ice.pacingMs (20) and protocol.transactionPacingMs (30) disagree")]
    [InlineData("""{ "protocol": { "natTraversalModes": ["ice"] } }""", "key protocol.natTraversalModes[0] = \"ice\": unknown NAT traversal mode")]
    [InlineData("""{ "protocol": { "natTraversalModes": ["ice-hip-udp", "ice-hip-udp"] } }""", "key protocol.natTraversalModes[1] = \"ice-hip-udp\": listed twice")]
    public void BadIceValuesNameTheKey(string json, string expected)
    {
        var e = Assert.Throws<ConfigException>(() => DaemonConfigFile.Parse(json, "test.json"));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FlagsSetThePolicyAndBadFlagsNameTheFlag()
    {
        var s = DaemonCommandLine.BuildSettings(new DaemonFlags
        {
            NatModes = "ice-hip-udp,udp-encapsulation",
            IceCandidates = "host,relay",
            IceInterfaces = ["eth1"],
            IcePacing = "10",
            IceAggressive = true,
            StunServers = ["192.0.2.1:3478"],
        });
        Assert.Equal([NatTraversalMode.IceHipUdp, NatTraversalMode.UdpEncapsulation], s.Protocol.NatTraversalModes);
        Assert.Equal([CandidateKind.Host, CandidateKind.Relayed], s.Ice.Candidates);
        Assert.Equal(["eth1"], s.Ice.Interfaces);
        Assert.Equal(TimeSpan.FromMilliseconds(10), s.Ice.Pacing);
        Assert.True(s.Ice.Aggressive);
        Assert.Equal([TransportAddress.Udp(IPAddress.Parse("192.0.2.1"), 3478)], s.StunServers);

        Assert.Contains("--ice-pacing '2': out of range", Assert.Throws<ConfigException>(() => DaemonCommandLine.BuildSettings(new DaemonFlags { IcePacing = "2" })).Message, StringComparison.Ordinal);
        Assert.Contains("--nat-modes 'ice-tcp'", Assert.Throws<ConfigException>(() => DaemonCommandLine.BuildSettings(new DaemonFlags { NatModes = "ice-tcp" })).Message, StringComparison.Ordinal);
        Assert.Contains("--ice-candidates 'prflx'", Assert.Throws<ConfigException>(() => DaemonCommandLine.BuildSettings(new DaemonFlags { IceCandidates = "prflx" })).Message, StringComparison.Ordinal);
        Assert.Contains("--stun", Assert.Throws<ConfigException>(() => DaemonCommandLine.BuildSettings(new DaemonFlags { StunServers = ["nowhere:x"] })).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void IceModesAreRefusedOnRelaysAndOverRawHip()
    {
        var relay = new DaemonSettings { Registrar = new RegistrarSettings() };
        relay.Protocol.NatTraversalModes = [NatTraversalMode.IceHipUdp];
        Assert.Contains("a relay offers only udp-encapsulation", Assert.Throws<ConfigException>(relay.Validate).Message, StringComparison.Ordinal);

        var raw = new DaemonSettings { Transport = TransportMode.Raw };
        raw.Protocol.NatTraversalModes = [NatTraversalMode.IceStunUdp];
        Assert.Contains("ICE (ice-hip-udp, ice-stun-udp) needs HIP over UDP", Assert.Throws<ConfigException>(raw.Validate).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HostCandidatesComeFromTheChosenInterfacesInOrderWithoutLoopbackLinkLocalHitsOrTheTun()
    {
        IReadOnlyList<(string, IReadOnlyList<IPAddress>)> interfaces =
        [
            ("lo", [IPAddress.Loopback, IPAddress.IPv6Loopback]),
            ("eth0", [IPAddress.Parse("198.18.1.10"), IPAddress.Parse("fe80::1"), IPAddress.Parse("2001:db8::10")]),
            ("eth1", [IPAddress.Parse("203.0.113.5"), IPAddress.Parse("169.254.3.4"), IPAddress.Parse("fd00::5")]),
            ("hip0", [IPAddress.Parse("2001:22::1"), IPAddress.Parse("198.19.0.1")]),
            ("docker0", [IPAddress.Parse("198.18.9.1")]),
        ];

        var all = DaemonRunner.HostCandidateAddresses(interfaces, new IceSettings(), "hip0");
        Assert.Equal(["198.18.1.10", "2001:db8::10", "203.0.113.5", "fd00::5", "198.18.9.1"], all.Select(a => a.ToString()));

        var ice = new IceSettings();
        ice.Interfaces.AddRange(["eth1", "eth0", "wlan0"]);
        Assert.Equal(["203.0.113.5", "fd00::5", "198.18.1.10", "2001:db8::10"], DaemonRunner.HostCandidateAddresses(interfaces, ice, "hip0").Select(a => a.ToString()));

        var ignore = new IceSettings();
        ignore.IgnoreInterfaces.Add("docker0");
        Assert.DoesNotContain(IPAddress.Parse("198.18.9.1"), DaemonRunner.HostCandidateAddresses(interfaces, ignore, "hip0"));
        Assert.False(DaemonRunner.IsHostCandidateAddress(IPAddress.Parse("2001:22:9c61:f2b6:b53b:fbed:1bd0:318f")));
    }
}
