using static Hipnat.Simulator.Tests.Net;

namespace Hipnat.Simulator.Tests;

public class HairpinTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Inside_host_reaching_a_public_mapping_of_its_own_nat_is_looped_back_only_with_hairpinning(bool hairpinning)
    {
        var lab = new NatLab(NatBehavior.FullCone with { Hairpinning = hairpinning });
        lab.B.Context.Send(lab.B.Endpoint(6000), lab.S1.Endpoint(7000), [0]);
        lab.Sim.RunFor(Ms(10));
        var bExternal = Assert.Single(lab.S1Node.Received).Remote;

        lab.SendFromA(bExternal, tag: 9);

        if (hairpinning)
        {
            var got = Assert.Single(lab.BNode.Received);
            Assert.Equal(lab.B.Endpoint(6000), got.Local);
            // The source is A's public mapping, not its private address.
            Assert.Equal(Ip("198.51.100.1"), got.Remote.Address);
            Assert.Equal(lab.Nat.FindMapping(lab.AEp, bExternal)!.External, got.Remote);
            Assert.Equal(1, lab.Nat.Statistics.Hairpinned);
            Assert.Equal(1, lab.Sim.Statistics.Hairpinned);
        }
        else
        {
            Assert.Empty(lab.BNode.Received);
            Assert.Equal(1, lab.Sim.Statistics.DroppedBy(DropReason.HairpinDisabled));
        }
    }
}
