using System.Net;
using Hipnat.Core.Association;
using Hipnat.Core.Host;
using Hipnat.Core.Registration;
using Hipnat.Core.Transport;
using Hipnat.Simulator;
using Hipnat.Wire.Parameters;
using DropReason = Hipnat.Core.Host.DropReason;

namespace Hipnat.Core.Tests;

public class RelayTests
{
    [Fact]
    public void RegistrationThroughANatReportsTheReflexiveAddress()
    {
        var t = new RelayTopology();
        Assert.True(t.Register(t.A, TimeSpan.FromMinutes(10)));
        var granted = Assert.Single(t.A.Events.OfType<RegistrationGranted>());
        Assert.Equal(RegistrationType.RelayUdpHip, granted.Type);
        Assert.Equal(t.Relay.Host.LocalHit, granted.Peer);

        // REG_FROM carries the NAT's public address and the mapped port, as the relay saw them.
        var mapping = Assert.Single(t.NatA.Mappings);
        Assert.Equal(TransportAddress.Udp(RelayTopology.NatAPublic, (ushort)mapping.External.Port), granted.Reflexive);
        Assert.InRange(granted.Lifetime, TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(11));
        var server = Assert.Single(t.Relay.Host.RegisteredClients);
        Assert.Equal(t.A.Host.LocalHit, server.Client);
        Assert.Contains(t.Relay.Events, e => e is ClientRegistered);
    }

    [Fact]
    public void AClientThatClosesItsAssociationWithTheRelayIsUnregisteredAtOnce()
    {
        var registrar = new RegistrarOptions { AllowAnyone = true, Services = [RegistrationType.RelayUdpHip, RegistrationType.RelayUdpEsp] };
        var t = new RelayTopology(registrar: registrar);
        Assert.True(t.Register(t.A, TimeSpan.FromMinutes(10), RegistrationType.RelayUdpHip, RegistrationType.RelayUdpEsp));
        Assert.Single(t.Relay.Host.RegisteredClients);

        t.A.Invoke((h, now) => h.Close(t.Relay.Host.LocalHit, now));
        Assert.True(t.Sim.RunUntil(() => t.Relay.Events.Any(e => e is AssociationClosed), TimeSpan.FromSeconds(5)));

        // Still within the CLOSED linger (UAL + 2 MSL), the registrations and the relayed port are already gone.
        Assert.Equal(AssociationState.Closed, t.Relay.Host.GetState(t.A.Host.LocalHit));
        Assert.Empty(t.Relay.Host.RegisteredClients);
        Assert.Contains(t.Relay.Events, e => e is ClientUnregistered { Type: RegistrationType.RelayUdpHip, Cancelled: true });
        Assert.Contains(t.Relay.Events, e => e is RelayedPortChanged { Open: false });
    }

    [Fact]
    public void BaseExchangeBetweenTwoNatedHostsThroughTheRelay()
    {
        var t = new RelayTopology();
        Assert.True(t.Register(t.B, TimeSpan.FromMinutes(10)));

        // A knows B only by HIT, with the relay's address as B's locator.
        t.A.Host.AddPeerLocator(t.B.Host.LocalHit, TransportAddress.Udp(RelayTopology.RelayAddress, 10500));
        t.A.Invoke((h, now) => h.Connect(t.B.Host.LocalHit, now));
        Assert.True(t.Sim.RunUntil(
            () => t.A.Host.GetState(t.B.Host.LocalHit) == AssociationState.Established
                  && t.B.Host.GetState(t.A.Host.LocalHit) == AssociationState.Established,
            TimeSpan.FromSeconds(10)), t.Sim.TraceText());

        var atB = t.B.Host.GetAssociation(t.A.Host.LocalHit)!;
        var atA = t.A.Host.GetAssociation(t.B.Host.LocalHit)!;
        Assert.Equal(atA.SaPairs[0].InboundSpi, atB.SaPairs[0].OutboundSpi);

        // B learned A's reflexive address from RELAY_FROM; A learned B's locators from the LOCATOR_SET in R2.
        Assert.Contains(atB.PeerLocators, l => l.Address.Equals(RelayTopology.NatAPublic));
        Assert.Contains(atA.PeerLocators, l => l.Address.Equals(RelayTopology.NatBPublic));
        Assert.True(t.Relay.Host.Counters.Relayed >= 4); // I1, R1, I2, R2

        // Control traffic after the exchange still flows (UPDATE through the relay, RELAY_TO on B's side).
        t.B.Invoke((h, now) => h.Rekey(t.A.Host.LocalHit, now));
        Assert.True(t.Sim.RunUntil(() => t.B.Events.Any(e => e is UpdateCompleted), TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public void RelayNeverForwardsForAnUnregisteredHit()
    {
        var t = new RelayTopology();
        t.A.Host.AddPeerLocator(t.B.Host.LocalHit, TransportAddress.Udp(RelayTopology.RelayAddress, 10500));
        var log = new List<string>();
        t.Relay.Host.DebugLog = log.Add;
        t.A.Invoke((h, now) => h.Connect(t.B.Host.LocalHit, now));
        t.Sim.RunFor(TimeSpan.FromSeconds(2));
        Assert.Equal(0, t.Relay.Host.Counters.Relayed);
        Assert.True(t.Relay.Host.Counters.Dropped(DropReason.NotForUs) >= 1);
        Assert.Contains(log, l => l.Contains("neither ours nor a registered client", StringComparison.Ordinal));
        Assert.Equal(0, t.B.Host.Counters.PacketsIn);
    }

    [Fact]
    public void RegistrationOutsideTheAllowListIsRefused()
    {
        var t = new RelayTopology(registrar: new RegistrarOptions { AllowedForAll = new HashSet<Wire.Hit> { SimPair.IdentityB.Hit } });
        Assert.True(t.Register(t.A, TimeSpan.FromMinutes(10)));
        var refused = Assert.Single(t.A.Events.OfType<RegistrationRefused>());
        Assert.Equal(RegistrationFailureType.AdditionalCredentialsRequired, refused.Failure);
        Assert.Empty(t.Relay.Host.RegisteredClients);

        Assert.True(t.Register(t.B, TimeSpan.FromMinutes(10)));
        Assert.Single(t.B.Events.OfType<RegistrationGranted>());
    }

    [Fact]
    public void UnofferedServiceFailsLocallyAsTypeUnavailable()
    {
        var t = new RelayTopology(registrar: new RegistrarOptions { AllowAnyone = true, Services = [RegistrationType.Rendezvous] });
        Assert.True(t.Register(t.A, TimeSpan.FromMinutes(10), RegistrationType.RelayUdpHip));
        var refused = Assert.Single(t.A.Events.OfType<RegistrationRefused>());
        Assert.Equal(RegistrationFailureType.TypeUnavailable, refused.Failure);
    }

    [Fact]
    public void RegistrationIsRenewedBeforeExpiryAndExpiresWhenTheClientVanishes()
    {
        var t = new RelayTopology(registrar: new RegistrarOptions { AllowAnyone = true, MinLifetime = TimeSpan.FromSeconds(10) });
        Assert.True(t.Register(t.A, TimeSpan.FromSeconds(30)));
        t.Sim.RunFor(TimeSpan.FromSeconds(100));

        // Renewed (RFC 8003 UPDATE with REG_REQUEST) at 80% of the lifetime, several times.
        Assert.True(t.A.Events.OfType<RegistrationGranted>().Count() >= 3);
        Assert.Single(t.Relay.Host.RegisteredClients);

        // The client disappears: the registration runs out at the registrar.
        t.Sim.RemoveHost(t.Sim.Hosts.First(h => h.Name == "A"));
        t.Sim.RunFor(TimeSpan.FromSeconds(60));
        Assert.Empty(t.Relay.Host.RegisteredClients);
        Assert.Contains(t.Relay.Events, e => e is ClientUnregistered { Cancelled: false });
    }

    [Fact]
    public void CancellationWithLifetimeZero()
    {
        var t = new RelayTopology();
        Assert.True(t.Register(t.A, TimeSpan.FromMinutes(10)));
        t.A.Invoke((h, now) => h.Register(t.Relay.Host.LocalHit, [RegistrationType.RelayUdpHip], TimeSpan.Zero, now));
        Assert.True(t.Sim.RunUntil(() => t.A.Events.Any(e => e is RegistrationEnded { Cancelled: true }), TimeSpan.FromSeconds(5)));
        Assert.Empty(t.Relay.Host.RegisteredClients);
    }

    [Fact]
    public void I1FloodThroughTheRelayIsRateLimited()
    {
        var t = new RelayTopology();
        Assert.True(t.Register(t.B, TimeSpan.FromMinutes(10)));

        // 200 distinct initiators' I1s arrive within one virtual second: at most burst + rate get through.
        var sim = t.Sim;
        int sent = 0;
        for (int i = 0; i < 200; i++)
        {
            var id = i % 2 == 0 ? SimPair.IdentityA : Crypto.HostIdentity.Generate(Crypto.HostIdentityKind.EcdsaP256);
            var h = new HipHost(new HipHostOptions { Identity = id });
            h.AddPeerLocator(t.B.Host.LocalHit, TransportAddress.Udp(RelayTopology.RelayAddress, 10500));
            h.Connect(t.B.Host.LocalHit, sim.Now);
            while (h.TryPollTransmit(out var tx))
            {
                t.Relay.Host.HandleDatagram(TransportAddress.Udp(RelayTopology.RelayAddress, 10500), TransportAddress.Udp(IPAddress.Parse("203.0.113.99"), (ushort)(20000 + i)), tx.Payload, sim.Now + TimeSpan.FromMilliseconds(i * 5));
                tx.Release();
                sent++;
            }
        }

        long relayed = t.Relay.Host.Counters.Relayed;
        long limited = t.Relay.Host.Counters.Dropped(DropReason.RateLimited);
        Assert.Equal(sent, relayed + limited);
        Assert.InRange(relayed, 40, 70); // burst 40 + 20/s over one second
        Assert.True(limited > 100);
    }

    [Fact]
    public void ForgedRelayHmacIsDroppedByTheClient()
    {
        var t = new RelayTopology();
        Assert.True(t.Register(t.B, TimeSpan.FromMinutes(10)));
        var forger = new Forger(t);
        t.Sim.RemoveHost(t.Sim.Hosts.First(h => h.Name == "relay"));
        forger.Inner.Attach(t.Sim.AddHost("relay'", forger, t.Public, RelayTopology.RelayAddress));
        t.A.Host.AddPeerLocator(t.B.Host.LocalHit, TransportAddress.Udp(RelayTopology.RelayAddress, 10500));
        var log = new List<string>();
        t.B.Host.DebugLog = log.Add;
        t.A.Invoke((h, now) => h.Connect(t.B.Host.LocalHit, now));
        t.Sim.RunFor(TimeSpan.FromSeconds(2));
        Assert.True(t.B.Host.Counters.Dropped(DropReason.BadMac) >= 1);
        Assert.Contains(log, l => l.Contains("RELAY_HMAC", StringComparison.Ordinal));
        Assert.NotEqual(AssociationState.Established, t.A.Host.GetState(t.B.Host.LocalHit));
    }

    [Fact]
    public void RelayToFromANonClientIsNotForwarded()
    {
        var t = new RelayTopology();
        Assert.True(t.Register(t.B, TimeSpan.FromMinutes(10)));

        // A (not registered) sends a packet carrying RELAY_TO through the relay towards a third party.
        var b = new Wire.Packets.HipPacketBuilder(new byte[512], Wire.Packets.HipPacketType.Notify, t.A.Host.LocalHit, SimPair.IdentityB.Hit);
        var buf = new byte[600];
        var hb = new Wire.Packets.HipPacketBuilder(buf.AsSpan(4), Wire.Packets.HipPacketType.Notify, t.A.Host.LocalHit, t.Sim.Hosts.Count > 0 ? Crypto.HostIdentity.Generate(Crypto.HostIdentityKind.EcdsaP256).Hit : default);
        hb.Add(new NotificationParameter(NotifyMessageType.I2Acknowledgement));
        hb.Add(new RelayToParameter(IPAddress.Parse("203.0.113.77"), 4000));
        int len = hb.Finish();
        _ = b;
        long before = t.Relay.Host.Counters.Relayed;
        t.Relay.Host.HandleDatagram(TransportAddress.Udp(RelayTopology.RelayAddress, 10500), TransportAddress.Udp(RelayTopology.NatAPublic, 4444), buf.AsSpan(0, len + 4), t.Sim.Now);
        Assert.Equal(before, t.Relay.Host.Counters.Relayed);
        Assert.Equal(1, t.Relay.Host.Counters.Dropped(DropReason.NotForUs));
    }

    /// <summary>Runs the real relay but flips a bit in every RELAY_HMAC it adds.</summary>
    private sealed class Forger(RelayTopology t) : Simulator.ISimNode
    {
        public Simulator.Hip.HipSimNode Inner { get; } = t.Relay;

        public void OnDatagram(Simulator.SimContext ctx, Simulator.SimEndpoint local, Simulator.SimEndpoint remote, ReadOnlySpan<byte> payload)
        {
            var h = Inner.Host;
            h.HandleDatagram(TransportAddress.Udp(local.Address, (ushort)local.Port), TransportAddress.Udp(remote.Address, (ushort)remote.Port), payload, ctx.Now);
            while (h.TryPollTransmit(out var tx))
            {
                var bytes = tx.Payload.ToArray();
                if (bytes.Length > 8 && bytes[^1] is var _ && ContainsRelayHmac(bytes))
                {
                    bytes[^5] ^= 0x01;
                }

                ctx.Send(new Simulator.SimEndpoint(tx.Local.Address.Equals(IPAddress.Any) ? ctx.Address : tx.Local.Address, 10500), new Simulator.SimEndpoint(tx.Remote.Address, tx.Remote.Port), bytes);
                tx.Release();
            }

            while (h.TryPollEvent(out _))
            {
            }

            if (h.NextTimeout is TimeSpan due)
            {
                ctx.SetTimer(due);
            }
        }

        public void OnTimer(Simulator.SimContext ctx) => Inner.OnTimer(ctx);

        private static bool ContainsRelayHmac(byte[] udp)
        {
            int pos = 44;
            int last = 0;
            while (pos + 4 <= udp.Length)
            {
                last = (udp[pos] << 8) | udp[pos + 1];
                int len = (udp[pos + 2] << 8) | udp[pos + 3];
                pos += 11 + len - ((len + 3) % 8);
            }

            return last == ParameterType.RelayHmac;
        }
    }
}

public class RelayRestartTests
{
    [Fact]
    public void ClientsRegisterAgainAfterTheRelayRestartsAndLosesItsState()
    {
        var t = new RelayTopology();
        Assert.True(t.Register(t.B, TimeSpan.FromMinutes(30)));
        t.Sim.RunFor(TimeSpan.FromSeconds(30));

        // The relay restarts: same identity and address, no state.
        var oldHost = t.Sim.Hosts.First(h => h.Name == "relay");
        t.Sim.RemoveHost(oldHost);
        var fresh = new Simulator.Hip.HipSimNode(new HipHost(new HipHostOptions
        {
            Identity = t.Relay.Host.Options.Identity,
            Registrar = new RegistrarOptions { AllowAnyone = true },
        }));
        fresh.Attach(t.Sim.AddHost("relay2", fresh, t.Public, RelayTopology.RelayAddress));
        Assert.Empty(fresh.Host.RegisteredClients);

        // Failure detection (no keepalives from the relay for PeerTimeout) triggers a new registration.
        Assert.True(t.Sim.RunUntil(() => t.B.Events.OfType<RegistrationGranted>().Count() == 2, TimeSpan.FromMinutes(3)));
        Assert.Single(fresh.Host.RegisteredClients);
        Assert.Contains(t.B.Events, e => e is AssociationFailed f && f.Reason.Contains("failure detection", StringComparison.Ordinal));

        // And the relay serves a base exchange towards B again.
        t.A.Host.AddPeerLocator(t.B.Host.LocalHit, TransportAddress.Udp(RelayTopology.RelayAddress, 10500));
        t.A.Invoke((h, now) => h.Connect(t.B.Host.LocalHit, now));
        Assert.True(t.Sim.RunUntil(() => t.A.Host.GetState(t.B.Host.LocalHit) == AssociationState.Established, TimeSpan.FromSeconds(10)));
    }
}

public class RegistrationAbuseTests
{
    [Fact]
    public void OverLongRegRequestIsIgnoredAndCounted()
    {
        var t = new RelayTopology();
        var log = new List<string>();
        t.Relay.Host.DebugLog = log.Add;

        // Hundreds of registration types in one REG_REQUEST (a legitimate one lists at most four).
        t.A.Invoke((h, now) => h.Connect(t.Relay.Host.LocalHit, now));
        Assert.True(t.Sim.RunUntil(() => t.A.Host.GetState(t.Relay.Host.LocalHit) == AssociationState.Established, TimeSpan.FromSeconds(5)));
        var types = Enumerable.Range(0, 400).Select(i => (RegistrationType)(i % 250 + 1)).ToArray();
        t.A.Invoke((h, now) => h.Register(t.Relay.Host.LocalHit, types, TimeSpan.FromMinutes(5), now));
        t.Sim.RunFor(TimeSpan.FromSeconds(5));

        Assert.Empty(t.Relay.Host.RegisteredClients);
        Assert.Equal(1, t.Relay.Host.Counters.Dropped(DropReason.Malformed));
        Assert.Contains(log, l => l.Contains("lists 400 types", StringComparison.Ordinal));

        // The association itself is fine, and a sane request afterwards succeeds.
        Assert.Equal(AssociationState.Established, t.A.Host.GetState(t.Relay.Host.LocalHit));
        t.A.Invoke((h, now) => h.Register(t.Relay.Host.LocalHit, [RegistrationType.RelayUdpHip], TimeSpan.FromMinutes(5), now));
        Assert.True(t.Sim.RunUntil(() => t.Relay.Host.RegisteredClients.Count == 1, TimeSpan.FromSeconds(5)));
    }
}

public class RendezvousTests
{
    [Fact]
    public void RendezvousForwardsTheI1WithFromAndTheResponderAnswersDirectlyWithViaRvs()
    {
        var registrar = new RegistrarOptions { AllowAnyone = true, Services = [RegistrationType.Rendezvous] };
        var t = new RelayTopology(NatBehavior.FullCone, NatBehavior.FullCone, registrar: registrar);
        Assert.True(t.Register(t.B, TimeSpan.FromMinutes(10), RegistrationType.Rendezvous));
        Assert.Single(t.B.Events.OfType<RegistrationGranted>());

        t.A.Host.AddPeerLocator(t.B.Host.LocalHit, TransportAddress.Udp(RelayTopology.RelayAddress, 10500));
        t.A.Invoke((h, now) => h.Connect(t.B.Host.LocalHit, now));
        Assert.True(t.Sim.RunUntil(
            () => t.A.Host.GetState(t.B.Host.LocalHit) == AssociationState.Established && t.B.Host.GetState(t.A.Host.LocalHit) == AssociationState.Established,
            TimeSpan.FromSeconds(10)), t.Sim.TraceText());

        // Only the I1 went through the rendezvous server; R1, I2 and R2 flowed directly between the NATs.
        Assert.Equal(1, t.Relay.Host.Counters.Relayed);
        var atA = t.A.Host.GetAssociation(t.B.Host.LocalHit)!;
        Assert.Equal(RelayTopology.NatBPublic, atA.PeerAddress!.Value.Address);
        Assert.False(atA.Pairs.Single(p => p.State == LocatorPairState.Active).ThroughRelay);
    }
}
