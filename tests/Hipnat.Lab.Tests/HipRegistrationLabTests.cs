using Hipnat.Lab.Demo;

namespace Hipnat.Lab.Tests;

/// <summary>Registration with a relay through a real NAT (RFC 8003, RFC 9028 §4.1): REG_FROM is the NAT's mapping.</summary>
[Collection(nameof(HipLabCollection))]
public class HipRegistrationLabTests
{
    [Theory]
    [InlineData("eim")]
    [InlineData("symmetric")]
    public void RegistrationThroughANatReportsTheNatsPublicAddressAndMappedPortAsRegFrom(string kind)
    {
        Assert.True(DemoNat.TryParse(kind, out var nat));
        using var lab = HipLab.Create(bobNat: nat.Options);
        var relay = lab.StartRelay();
        var bob = lab.StartBob();

        var registration = HipLab.WaitForRegistration(bob, lab.RelayHit);

        var mapping = Assert.Single(lab.Nat2.GetMappings(), m => m.Protocol == "udp" && m.Original.Source.Equals(lab.BobHost.Address)
            && m.Original.Destination.Equals(lab.RelayHost.Address) && m.Original.DestinationPort == HipnatTool.Port);
        Assert.Equal(HipnatTool.Port, mapping.Original.SourcePort);
        Assert.NotNull(registration.Reflexive);
        Assert.Equal(lab.Nat2.PublicAddress, registration.Reflexive.Address);
        Assert.Equal(mapping.MappedEndpoint, registration.Reflexive);
        Assert.Equal(mapping.MappedEndpoint, HipnatStatus.RegisteredClientAddress(relay.Status(), lab.BobHit)); // the relay's view
        if (nat.EndpointIndependentMapping)
        {
            Assert.Equal(HipnatTool.Port, registration.Reflexive.Port); // MASQUERADE keeps a free port
        }
    }
}
