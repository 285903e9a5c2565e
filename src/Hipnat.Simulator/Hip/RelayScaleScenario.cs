using System.Diagnostics;
using System.Net;
using Hipnat.Core.Host;
using Hipnat.Core.Registration;
using Hipnat.Core.Transport;
using Hipnat.Crypto;
using Hipnat.Wire.Parameters;

namespace Hipnat.Simulator.Hip;

/// <summary>
/// One relay, <c>clients</c> hosts each behind its own endpoint-independent NAT registering for RELAY_UDP_HIP.
/// Reports wall time and the relay's managed memory per registered client (association + registration).
/// </summary>
public static class RelayScaleScenario
{
    public sealed record Result(int Clients, int Registered, TimeSpan WallTime, long RelayBytesPerClient, long ManagedBytesTotalPerClient)
    {
        public override string ToString() =>
            $"{Registered}/{Clients} registered in {WallTime.TotalSeconds:F1} s; relay ~{RelayBytesPerClient / 1024.0:F2} KiB managed per client";
    }

    public static Result Run(int clients, long seed = 1)
    {
        var sim = new Simulation(seed);
        var pub = sim.AddRealm("public", "203.0.113.0/24", LinkProfile.WithDelay(TimeSpan.FromMilliseconds(5)));
        var relayAddr = IPAddress.Parse("203.0.113.1");
        var relay = new HipSimNode(new HipHost(new HipHostOptions
        {
            Identity = HostIdentity.Generate(HostIdentityKind.EcdsaP256),
            Registrar = new RegistrarOptions { AllowAnyone = true, MaxClients = clients + 10 },
            RandomSeed = 1,
        }));
        relay.Attach(sim.AddHost("relay", relay, pub, relayAddr));
        var nodes = new HipSimNode[clients];
        int granted = 0;
        for (int i = 0; i < clients; i++)
        {
            // Each client in its own private realm behind a full-cone NAT with a public address of its own.
            var lan = sim.AddRealm($"lan{i}", null, LinkProfile.WithDelay(TimeSpan.FromMilliseconds(1)));
            var natPublic = new IPAddress([198, 18, (byte)(i >> 8), (byte)i]);
            sim.AddNat($"nat{i}", lan, pub, NatBehavior.FullCone, natPublic);
            var n = nodes[i] = new HipSimNode(new HipHost(new HipHostOptions { Identity = HostIdentity.Generate(HostIdentityKind.EcdsaP256), RandomSeed = 100 + i }));
            n.Attach(sim.AddHost($"c{i}", n, lan, new IPAddress([198, 19, (byte)(i >> 8), (byte)i])));
            n.Host.AddPeerLocator(relay.Host.LocalHit, TransportAddress.Udp(relayAddr, 10500));
            n.OnEvent = (_, e) =>
            {
                if (e is RegistrationGranted)
                {
                    granted++;
                }
            };
        }

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        long before = GC.GetTotalMemory(true);
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < clients; i++)
        {
            var n = nodes[i];
            sim.Schedule(TimeSpan.FromTicks(TimeSpan.TicksPerSecond * i / clients), () =>
                n.Invoke((h, now) => h.Register(relay.Host.LocalHit, [RegistrationType.RelayUdpHip], TimeSpan.FromHours(1), now)));
        }

        sim.RunUntil(() => granted == clients, TimeSpan.FromMinutes(10));
        sim.RunFor(TimeSpan.FromSeconds(3));
        sw.Stop();
        long after = GC.GetTotalMemory(true);

        // The relay's share: measure what dropping the relay's state would free.
        long withRelay = after;
        int registered = relay.Host.RegisteredClients.Count;
        long perClientTotal = (after - before) / Math.Max(1, registered);
        GC.KeepAlive(nodes);
        long relayBytes = EstimateRelayBytes(relay, withRelay);
        return new Result(clients, registered, sw.Elapsed, relayBytes / Math.Max(1, registered), perClientTotal);
    }

    private static long EstimateRelayBytes(HipSimNode relay, long withRelay)
    {
        // Close every association on the relay and count what is freed.
        var clients = relay.Host.RegisteredClients.Select(c => c.Client).ToArray();
        relay.Host.DropAllState();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        long without = GC.GetTotalMemory(true);
        GC.KeepAlive(clients);
        return withRelay - without;
    }
}
