using System.Diagnostics;
using System.Net;
using Hipnat.Core.Association;
using Hipnat.Core.Host;
using Hipnat.Core.Transport;
using Hipnat.Crypto;

namespace Hipnat.Simulator.Hip;

/// <summary>
/// Many base exchanges in one simulation: <c>initiators</c> hosts each open one association to one of
/// <c>responders</c> hosts on a shared segment. Reports wall time and managed memory per association.
/// </summary>
public static class ScaleScenario
{
    public sealed record Result(
        int Associations,
        int Established,
        TimeSpan WallTime,
        TimeSpan VirtualTime,
        long ManagedBytesBefore,
        long ManagedBytesAfter,
        long PacketsDelivered)
    {
        /// <summary>Managed memory added by the exchanges, divided over every HostAssociation object (both ends).</summary>
        public double BytesPerAssociationEnd => (ManagedBytesAfter - ManagedBytesBefore) / (2.0 * Established);

        public override string ToString() =>
            $"{Established}/{Associations} established in {WallTime.TotalSeconds:F1} s wall ({VirtualTime.TotalSeconds:F1} s virtual), " +
            $"{PacketsDelivered} packets, {BytesPerAssociationEnd / 1024:F2} KiB managed per association end";
    }

    public static Result Run(int initiators, int responders, long seed = 1, LinkProfile? profile = null)
    {
        var sim = new Simulation(seed);
        var net = sim.AddRealm("net", "198.18.0.0/15", profile ?? LinkProfile.WithDelay(TimeSpan.FromMilliseconds(5)));
        var resp = new HipSimNode[responders];
        var init = new HipSimNode[initiators];
        var respAddr = new IPAddress[responders];
        for (int r = 0; r < responders; r++)
        {
            resp[r] = new HipSimNode(new HipHost(new HipHostOptions { Identity = HostIdentity.Generate(HostIdentityKind.EcdsaP256), RandomSeed = r }));
            respAddr[r] = Address(r);
            resp[r].Attach(sim.AddHost($"r{r}", resp[r], net, respAddr[r]));
        }

        for (int i = 0; i < initiators; i++)
        {
            init[i] = new HipSimNode(new HipHost(new HipHostOptions { Identity = HostIdentity.Generate(HostIdentityKind.EcdsaP256), RandomSeed = responders + i }));
            init[i].Attach(sim.AddHost($"i{i}", init[i], net, Address(responders + i)));
            var target = resp[i % responders];
            init[i].Host.AddPeerLocator(target.Host.LocalHit, TransportAddress.Udp(respAddr[i % responders], TransportAddress.DefaultHipPort));
        }

        int established = 0;
        foreach (var n in init)
        {
            n.OnEvent = (_, e) =>
            {
                if (e is AssociationEstablished)
                {
                    established++;
                }
            };
        }

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        long before = GC.GetTotalMemory(true);
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < initiators; i++)
        {
            var n = init[i];
            var peer = resp[i % responders].Host.LocalHit;

            // Stagger the starts over one virtual second, as real clients would arrive.
            sim.Schedule(TimeSpan.FromTicks(TimeSpan.TicksPerSecond * i / initiators), () => n.Invoke((h, now) => h.Connect(peer, now)));
        }

        sim.RunUntil(() => established == initiators, TimeSpan.FromMinutes(10));

        // Let responders leave R2-SENT (their hold timer) so every association is ESTABLISHED at both ends.
        sim.RunFor(TimeSpan.FromSeconds(5));
        sw.Stop();
        long after = GC.GetTotalMemory(true);
        int both = 0;
        for (int i = 0; i < initiators; i++)
        {
            var peer = resp[i % responders];
            if (init[i].Host.GetState(peer.Host.LocalHit) == AssociationState.Established
                && peer.Host.GetState(init[i].Host.LocalHit) == AssociationState.Established)
            {
                both++;
            }
        }

        GC.KeepAlive(init);
        GC.KeepAlive(resp);
        return new Result(initiators, both, sw.Elapsed, sim.Now, before, after, sim.Statistics.Delivered);
    }

    private static IPAddress Address(int n) => new([198, (byte)(18 + (n >> 16)), (byte)(n >> 8), (byte)n]);
}
