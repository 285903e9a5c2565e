using Hipnat.Core.Host;
using Hipnat.Core.Registration;
using Hipnat.Simulator;
using Hipnat.Simulator.Hip;
using Hipnat.Wire.Parameters;

namespace Hipnat.Core.Tests;

/// <summary>
/// Services asked for only if the registrar offers them (RFC 8003 §3.1: REG_INFO lists what a registrar offers): the
/// data relay is taken wherever a relay has one, and a relay without it is no failure.
/// </summary>
public sealed class OptionalRegistrationTests
{
    private static bool Register(RelayTopology t, HipSimNode client)
    {
        client.Invoke((h, now) => h.Register(t.Relay.Host.LocalHit, [RegistrationType.RelayUdpHip], TimeSpan.FromMinutes(10), now, ifOffered: [RegistrationType.RelayUdpEsp]));
        return t.Sim.RunUntil(() => client.Events.Any(e => e is RegistrationGranted { Type: RegistrationType.RelayUdpHip } or RegistrationRefused), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void ARelayOfferingTheDataRelayGrantsItWithoutBeingAskedByName()
    {
        var t = new RelayTopology(NatBehavior.Symmetric, NatBehavior.Symmetric,
            registrar: new RegistrarOptions { AllowAnyone = true, Services = [RegistrationType.RelayUdpHip, RegistrationType.RelayUdpEsp] });

        Assert.True(Register(t, t.A));
        t.Sim.RunFor(TimeSpan.FromSeconds(1));

        var esp = t.A.Events.OfType<RegistrationGranted>().Single(g => g.Type == RegistrationType.RelayUdpEsp);
        Assert.NotNull(esp.Relayed);
        Assert.Equal(RegistrationState.Granted, t.A.Host.GetRegistrations(t.Relay.Host.LocalHit).Single(r => r.Type == RegistrationType.RelayUdpEsp).State);
        Assert.DoesNotContain(t.A.Events, e => e is RegistrationRefused);
    }

    [Fact]
    public void ARelayWithoutTheDataRelayGrantsTheRestAndNothingCountsAsRefused()
    {
        var t = new RelayTopology(registrar: new RegistrarOptions { AllowAnyone = true, Services = [RegistrationType.RelayUdpHip] });

        Assert.True(Register(t, t.A));
        t.Sim.RunFor(TimeSpan.FromSeconds(1));

        Assert.Contains(t.A.Events, e => e is RegistrationGranted { Type: RegistrationType.RelayUdpHip });
        Assert.DoesNotContain(t.A.Events, e => e is RegistrationRefused);
        var registrations = t.A.Host.GetRegistrations(t.Relay.Host.LocalHit);
        Assert.DoesNotContain(registrations, r => r.Type == RegistrationType.RelayUdpEsp);
        Assert.Equal([RegistrationType.RelayUdpHip], t.A.Host.GetOfferedServices(t.Relay.Host.LocalHit));
    }

    [Fact]
    public void OnAnExistingAssociationTheOptionalServiceIsAskedForInAnUpdate()
    {
        var t = new RelayTopology(registrar: new RegistrarOptions { AllowAnyone = true, Services = [RegistrationType.RelayUdpHip, RegistrationType.RelayUdpEsp] });
        Assert.True(t.Register(t.A, TimeSpan.FromMinutes(10), RegistrationType.RelayUdpHip));
        Assert.DoesNotContain(t.A.Host.GetRegistrations(t.Relay.Host.LocalHit), r => r.Type == RegistrationType.RelayUdpEsp);

        t.A.Invoke((h, now) => h.Register(t.Relay.Host.LocalHit, [], TimeSpan.FromMinutes(10), now, ifOffered: [RegistrationType.RelayUdpEsp]));
        Assert.True(t.Sim.RunUntil(() => t.A.Events.Any(e => e is RegistrationGranted { Type: RegistrationType.RelayUdpEsp }), TimeSpan.FromSeconds(10)));
    }
}
