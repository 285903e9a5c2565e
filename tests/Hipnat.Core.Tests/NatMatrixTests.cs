using Hipnat.Core.Association;
using Hipnat.Core.Host;
using Hipnat.Core.Transport;
using Hipnat.Simulator;

namespace Hipnat.Core.Tests;

/// <summary>
/// Every RFC 4787 mapping × filtering behaviour on each side of a relayed base exchange: the exchange always
/// completes through the relay; the association moves to a direct path exactly where the NATs allow it.
/// </summary>
public class NatMatrixTests
{
    private static readonly MappingBehavior[] Mappings = [MappingBehavior.EndpointIndependent, MappingBehavior.AddressDependent, MappingBehavior.AddressAndPortDependent];
    private static readonly FilteringBehavior[] Filterings = [FilteringBehavior.EndpointIndependent, FilteringBehavior.AddressDependent, FilteringBehavior.AddressAndPortDependent];

    public static TheoryData<int, int> Cells()
    {
        var d = new TheoryData<int, int>();
        for (int a = 0; a < 9; a++)
        {
            for (int b = 0; b < 9; b++)
            {
                d.Add(a, b);
            }
        }

        return d;
    }

    private static NatBehavior Behavior(int i) => new() { Mapping = Mappings[i / 3], Filtering = Filterings[i % 3] };

    [Theory]
    [MemberData(nameof(Cells))]
    public void RelayedExchangeCompletesAndGoesDirectWherePossible(int a, int b)
    {
        var natA = Behavior(a);
        var natB = Behavior(b);
        var t = new RelayTopology(natA, natB, seed: (a * 9) + b + 1);
        Assert.True(t.Register(t.B, TimeSpan.FromMinutes(10)));
        t.A.Host.AddPeerLocator(t.B.Host.LocalHit, TransportAddress.Udp(RelayTopology.RelayAddress, 10500));
        t.A.Invoke((h, now) => h.Connect(t.B.Host.LocalHit, now));
        Assert.True(t.Sim.RunUntil(
            () => t.A.Host.GetState(t.B.Host.LocalHit) == AssociationState.Established && t.B.Host.GetState(t.A.Host.LocalHit) == AssociationState.Established,
            TimeSpan.FromSeconds(10)));
        t.Sim.RunFor(TimeSpan.FromSeconds(10));

        bool directA = t.A.Events.Any(e => e is ActivePathChanged { Direct: true });
        bool directB = t.B.Events.Any(e => e is ActivePathChanged { Direct: true });
        bool eimA = natA.Mapping == MappingBehavior.EndpointIndependent;
        bool eimB = natB.Mapping == MappingBehavior.EndpointIndependent;

        if (eimA && eimB)
        {
            // Both reflexive addresses are valid towards the peer: hole punching always succeeds.
            Assert.True(directA && directB, $"A {natA.Mapping}/{natA.Filtering}, B {natB.Mapping}/{natB.Filtering}");
        }

        bool symmetricA = natA.Mapping == MappingBehavior.AddressAndPortDependent && natA.Filtering == FilteringBehavior.AddressAndPortDependent;
        bool symmetricB = natB.Mapping == MappingBehavior.AddressAndPortDependent && natB.Filtering == FilteringBehavior.AddressAndPortDependent;
        if (symmetricA && symmetricB)
        {
            // Both port-dependent in mapping and filtering: no address learned through the relay or from the
            // peer's probes is open towards the other side.
            Assert.False(directA || directB);
        }

        // Whatever the path, control traffic works afterwards.
        t.A.Invoke((h, now) => h.Rekey(t.B.Host.LocalHit, now));
        Assert.True(t.Sim.RunUntil(() => t.A.Events.Any(e => e is UpdateCompleted), TimeSpan.FromSeconds(10)));
    }
}
