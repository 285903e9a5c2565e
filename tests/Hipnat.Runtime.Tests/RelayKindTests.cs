using Hipnat.Cli;
using Hipnat.Runtime.Control;

namespace Hipnat.Runtime.Tests;

/// <summary>How status and ping name the relay that carries a relayed ICE pair.</summary>
public class RelayKindTests
{
    private static AssociationReport Relayed(string localType, string remoteType, bool viaDataRelay = true, bool viaTurn = false) => new()
    {
        ActivePath = "relay",
        ViaDataRelay = viaDataRelay,
        ViaTurn = viaTurn,
        Ice = new IceReport { Pairs = [new IcePairReport { LocalType = localType, RemoteType = remoteType, Selected = true, Relayed = true }] },
    };

    [Fact]
    public void OurRelayedCandidateIsOurDataRelay() => Assert.Equal("data relay ", StatusTable.RelayKind(Relayed("relay", "srflx")));

    [Fact]
    public void ThePeersRelayedCandidateIsThePeersRelay() => Assert.Equal("the peer's relay ", StatusTable.RelayKind(Relayed("host", "relay")));

    [Fact]
    public void OurTurnAllocationIsTurn() => Assert.Equal("TURN ", StatusTable.RelayKind(Relayed("relay", "srflx", viaDataRelay: false, viaTurn: true)));

    [Fact]
    public void WithoutIceADataRelayPathIsTheDataRelay() =>
        Assert.Equal("data relay ", StatusTable.RelayKind(new AssociationReport { ActivePath = "relay", ViaDataRelay = true }));
}
