using System.Net;
using Hipnat.Core.Association;
using Hipnat.Core.Host;
using Hipnat.Core.Registration;
using Hipnat.Core.Transport;
using Hipnat.Crypto;
using Hipnat.Simulator;
using Hipnat.Simulator.Hip;
using Hipnat.Wire;
using Hipnat.Wire.Parameters;

namespace Hipnat.Bench;

/// <summary>
/// A relay on the public realm offering RELAY_UDP_HIP and RELAY_UDP_ESP, and two hosts A and B, each behind its own
/// RFC 4787 NAT (or on the public realm when its behaviour is null), both registered for both services. A connects
/// to B through the relay, ICE settles, then both exchange emulated ESP every 10 ms (<see cref="EmulatedDataPlane"/>)
/// while one of the <see cref="MobilityMove"/>s happens; the run records whether the association survived, the
/// longest silence in either direction, the datagrams lost and the path in use at the end.
/// </summary>
internal static class MobilityScenario
{
    public static readonly IPAddress RelayAddress = IPAddress.Parse("203.0.113.1");
    private static readonly IPAddress NatAPublic = IPAddress.Parse("203.0.113.10");
    private static readonly IPAddress NatBPublic = IPAddress.Parse("203.0.113.20");
    private static readonly IPAddress PrivateA = IPAddress.Parse("198.18.1.10");
    private static readonly IPAddress PrivateB = IPAddress.Parse("198.18.2.10");

    /// <summary>A's second network: its NAT's public address (or A's own public address without a NAT) and A's address in it.</summary>
    private static readonly IPAddress NatA2Public = IPAddress.Parse("203.0.113.30");
    private static readonly IPAddress PrivateA2 = IPAddress.Parse("198.18.3.10");
    private static readonly IPAddress NatB2Public = IPAddress.Parse("203.0.113.40");
    private static readonly IPAddress PrivateB2 = IPAddress.Parse("198.18.4.10");
    private static readonly IPAddress NatBRenumbered = IPAddress.Parse("203.0.113.25");

    /// <summary>How long <see cref="MobilityMove.RandomFailures"/> keeps failing uplinks.</summary>
    public static readonly TimeSpan RandomFailurePeriod = TimeSpan.FromSeconds(30);

    /// <summary>Emulated ESP interval per side.</summary>
    public static readonly TimeSpan TrafficInterval = TimeSpan.FromMilliseconds(10);

    /// <summary>Traffic before the move (arms the path liveness of both cores).</summary>
    public static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(2);

    /// <summary>Observation after the move (after the removal of the old address for make-before-break).</summary>
    public static readonly TimeSpan Observe = TimeSpan.FromSeconds(10);

    /// <summary>Silence in one direction longer than this is an outage (normal inter-arrival: 10 ms ± jitter).</summary>
    public static readonly TimeSpan OutageThreshold = TimeSpan.FromMilliseconds(100);

    /// <summary>For make-before-break: the old address goes this long after the new one came.</summary>
    public static readonly TimeSpan Overlap = TimeSpan.FromSeconds(1);

    /// <summary>For the double jump: how long after A B moves (10–90 ms, from the seed).</summary>
    public static TimeSpan SecondJumpDelay(long seed) => TimeSpan.FromMilliseconds(10 + (int)((ulong)(seed * 37) % 81));

    /// <param name="replier">"A" or "B": that side only answers the other's datagrams
    /// (<see cref="EmulatedDataPlane.RepliesOnly"/>), as the target of a ping over hip0 does; null: both sides send
    /// every 10 ms.</param>
    public static MobilityOutcome Run(NatBehavior? natA, NatBehavior? natB, MobilityMove move, long seed, IceLinks links, bool trace = false, bool debugLog = false, bool traceAll = false, string? replier = null)
    {
        var o = new MobilityOutcome();
        if (move == MobilityMove.NatRebinding && natB is null)
        {
            o.NotApplicable = true;
            return o;
        }

        // Fresh identities per run: runs execute in parallel and an identity's key object is not shared across threads.
        using var relayId = HostIdentity.Generate(HostIdentityKind.EcdsaP256);
        using var idA = HostIdentity.Generate(HostIdentityKind.EcdsaP256);
        using var idB = HostIdentity.Generate(HostIdentityKind.EcdsaP256);
        var sim = new Simulation(seed) { TraceEnabled = trace };
        var pub = sim.AddRealm("public", "203.0.113.0/24", new LinkProfile { Delay = links.PublicDelay, Jitter = links.Jitter });
        var registrar = new RegistrarOptions
        {
            AllowAnyone = true,
            Services = [RegistrationType.RelayUdpHip, RegistrationType.RelayUdpEsp],
        };
        var relay = new HipSimNode(new HipHost(new HipHostOptions { Identity = relayId, RandomSeed = (int)(seed * 3), Registrar = registrar }));
        relay.Attach(sim.AddHost("relay", relay, pub, RelayAddress));
        if (debugLog)
        {
            relay.Host.DebugLog = m => Log($"relay: {m}");
        }

        var natBoxes = new Dictionary<string, NatBox>();

        void Log(string m) => o.Log.Add($"{sim.Now.TotalMilliseconds,9:F1} {m}");

        // A network for a host: behind a new NAT of the given behaviour (a LAN realm and the NAT), or the public realm.
        (Realm Realm, IPAddress Address) Network(string name, NatBehavior? nat, IPAddress privateAddr, IPAddress publicAddr)
        {
            if (nat is null)
            {
                return (pub, publicAddr);
            }

            string p = privateAddr.ToString();
            var realm = sim.AddRealm("lan" + name, p[..p.LastIndexOf('.')] + ".0/24", new LinkProfile { Delay = links.LanDelay, Jitter = links.Jitter });
            var box = sim.AddNat("nat" + name, realm, pub, nat, publicAddr);
            box.Profile = new LinkProfile { Delay = links.NatDelay, Jitter = links.Jitter };
            natBoxes[name] = box;
            return (realm, privateAddr);
        }

        // Without a NAT the host's access link stands in for LAN + NAT.
        LinkProfile? Access(NatBehavior? nat) => nat is null && links.LanDelay > TimeSpan.Zero ? new LinkProfile { Delay = links.LanDelay, Jitter = links.Jitter } : null;

        bool cold = move == MobilityMove.UplinkFailsCold;
        EmulatedDataPlane Side(string name, NatBehavior? nat, HostIdentity id, IPAddress privateAddr, IPAddress publicAddr, int salt)
        {
            var (realm, addr) = Network(name, nat, privateAddr, publicAddr);
            var node = new HipSimNode(new HipHost(new HipHostOptions
            {
                Identity = id,
                RandomSeed = (int)((seed * 3) + salt),
                LocalLocators = [TransportAddress.Udp(addr, TransportAddress.DefaultHipPort)],
                StandbyKeepaliveInterval = cold ? TimeSpan.Zero : TimeSpan.FromSeconds(15),
                Ice = new Core.Ice.IceOptions { CheckBackups = !cold },
            }));
            var plane = new EmulatedDataPlane(node, name) { RepliesOnly = name == replier };
            var simHost = sim.AddHost(name, plane, realm, addr);
            if (Access(nat) is { } access)
            {
                simHost.Interfaces[0].Profile = access;
            }

            node.Attach(simHost);
            node.Host.AddPeerLocator(relay.Host.LocalHit, TransportAddress.Udp(RelayAddress, TransportAddress.DefaultHipPort));
            if (debugLog)
            {
                node.Host.DebugLog = m => Log($"{name}: {m}");
            }

            return plane;
        }

        var a = Side("A", natA, idA, PrivateA, NatAPublic, 1);
        var b = Side("B", natB, idB, PrivateB, NatBPublic, 2);
        var hitA = a.Node.Host.LocalHit;
        var hitB = b.Node.Host.LocalHit;
        a.Peer = hitB;
        b.Peer = hitA;

        foreach (var n in new[] { a.Node, b.Node })
        {
            n.Invoke((h, now) => h.Register(relay.Host.LocalHit, [RegistrationType.RelayUdpHip, RegistrationType.RelayUdpEsp], TimeSpan.FromMinutes(10), now));
        }

        static int Granted(HipSimNode n) => n.Events.Count(e => e is RegistrationGranted);
        if (!sim.RunUntil(() => Granted(a.Node) >= 2 && Granted(b.Node) >= 2, TimeSpan.FromSeconds(10)))
        {
            o.SetupFailure = $"registration failed: A {Granted(a.Node)}, B {Granted(b.Node)} grants";
            return o;
        }

        sim.Run(TimeSpan.FromSeconds(Math.Ceiling(sim.Now.TotalSeconds) + 1));
        var failures = new List<string>();
        void Watch(HipSimNode node, HipEvent e)
        {
            string side = ReferenceEquals(node, a.Node) ? "A" : "B";
            var peer = side == "A" ? hitB : hitA;
            if (e.Peer != peer)
            {
                return;
            }

            switch (e)
            {
                case AssociationFailed af:
                    failures.Add($"{side}: failed at {af.At.TotalMilliseconds:F0} ms: {af.Reason}");
                    break;
                case AssociationClosed ac:
                    failures.Add($"{side}: closed at {ac.At.TotalMilliseconds:F0} ms (by peer {ac.ByPeer})");
                    break;
                case HandoverStarted when e.At >= o.MoveAt && o.MoveAt > TimeSpan.Zero:
                    o.HandoversStarted++;
                    break;
                case HandoverCompleted hc when e.At >= o.MoveAt && o.MoveAt > TimeSpan.Zero:
                    o.Handovers.Add((side, hc.Mobile, hc.Duration));
                    break;
                case PathSuspected when e.At >= o.MoveAt && o.MoveAt > TimeSpan.Zero:
                    o.PathsSuspected++;
                    break;
            }

            if (debugLog && e is HandoverStarted or HandoverCompleted or PathSuspected or ActivePathChanged or IceCompleted or AssociationFailed)
            {
                Log($"{side}: event {e}");
            }
        }

        a.Node.OnEvent = Watch;
        b.Node.OnEvent = Watch;
        a.Node.Host.AddPeerLocator(hitB, TransportAddress.Udp(RelayAddress, TransportAddress.DefaultHipPort));
        a.Node.Invoke((h, now) => h.Connect(hitB, now));
        bool Selected() => a.Node.Host.GetIceSession(hitB) is { Concluded: true, Selected: not null } && b.Node.Host.GetIceSession(hitA)?.Selected is not null;
        if (!sim.RunUntil(() => Selected() || failures.Count > 0, TimeSpan.FromSeconds(30)))
        {
            o.SetupFailure = $"no pair selected: A {a.Node.Host.GetState(hitB)}, B {b.Node.Host.GetState(hitA)}";
            return o;
        }

        if (failures.Count > 0)
        {
            o.SetupFailure = string.Join("; ", failures);
            return o;
        }

        sim.RunFor(TimeSpan.FromSeconds(1));
        var simA = sim.Hosts.First(h => h.Name == "A");
        var simB = sim.Hosts.First(h => h.Name == "B");
        bool dualHomed = move is MobilityMove.UplinkFailsHot or MobilityMove.UplinkFailsCold or MobilityMove.UplinkDown or MobilityMove.RandomFailures;
        TransportAddress firstUplink = TransportAddress.Udp(simA.Interfaces[0].Address, TransportAddress.DefaultHipPort);
        TransportAddress secondUplink = default;
        if (dualHomed)
        {
            // A's second uplink comes up now; its pairs are checked (the restart after the locator change) and the
            // ones that work become standbys before the traffic starts.
            var (realm2, addr2) = Network("A2", natA, PrivateA2, NatA2Public);
            secondUplink = TransportAddress.Udp(addr2, TransportAddress.DefaultHipPort);
            Log($"--- A gains a second uplink {addr2}" + (natA is null ? string.Empty : $" behind natA2 ({NatA2Public})"));
            sim.AddAddress(simA, realm2, addr2, Access(natA));
            a.Node.Invoke((h, now) => h.SetLocalLocators([firstUplink, secondUplink], now));
            sim.RunFor(TimeSpan.FromSeconds(4));
        }

        // Traffic from here to the end, on a 10 ms grid.
        var moveAt = TimeSpan.FromSeconds(Math.Ceiling((sim.Now + WarmUp).TotalSeconds));
        var end = moveAt + (move == MobilityMove.RandomFailures ? RandomFailurePeriod + TimeSpan.FromSeconds(5) : Observe) + (move == MobilityMove.MakeBeforeBreak ? Overlap : TimeSpan.Zero);
        void Tick()
        {
            a.Tick();
            b.Tick();
            if (sim.Now + TrafficInterval <= end)
            {
                sim.ScheduleAfter(TrafficInterval, Tick);
            }
        }

        sim.ScheduleAfter(TimeSpan.Zero, Tick);
        sim.Run(moveAt - TimeSpan.FromTicks(1));
        o.PathBefore = PathOf(a, hitB) is { } pa && PathOf(b, hitA) is { } pb ? (pa == pb ? pa : "mixed") : "none";
        sim.Run(moveAt);
        o.MoveAt = moveAt;
        if (trace && !traceAll)
        {
            sim.ClearTrace();
        }

        // Moves a host's only address into a new network like its old one and tells its core.
        void Jump(EmulatedDataPlane side, SimHost simHost, NatBehavior? nat, IPAddress privateAddr, IPAddress publicAddr, string network)
        {
            var old = simHost.Interfaces[0].Address;
            var (realm, addr) = Network(network, nat, privateAddr, publicAddr);
            Log($"--- {side.Name} moves {old} -> {addr}" + (nat is null ? string.Empty : $" behind nat{network} ({publicAddr})"));
            sim.MoveAddress(simHost, old, realm, addr);
            side.Node.Invoke((h, now) => h.SetLocalLocators([TransportAddress.Udp(addr, TransportAddress.DefaultHipPort)], now));
        }

        switch (move)
        {
            case MobilityMove.BreakBeforeMake:
                Jump(a, simA, natA, PrivateA2, NatA2Public, "A2");
                break;
            case MobilityMove.DoubleJump:
                Jump(a, simA, natA, PrivateA2, NatA2Public, "A2");
                sim.Schedule(moveAt + SecondJumpDelay(seed), () => Jump(b, simB, natB, PrivateB2, NatB2Public, "B2"));
                break;
            case MobilityMove.MakeBeforeBreak:
            {
                var old = TransportAddress.Udp(simA.Interfaces[0].Address, TransportAddress.DefaultHipPort);
                var (realm, addr) = Network("A2", natA, PrivateA2, NatA2Public);
                var added = TransportAddress.Udp(addr, TransportAddress.DefaultHipPort);
                Log($"--- A gains {addr}" + (natA is null ? string.Empty : $" behind natA2 ({NatA2Public})") + $" next to {old.Address}");
                sim.AddAddress(simA, realm, addr, Access(natA));
                a.Node.Invoke((h, now) => h.SetLocalLocators([old, added], now));
                sim.Schedule(moveAt + Overlap, () =>
                {
                    Log($"--- A loses {old.Address}");
                    sim.RemoveAddress(simA, old.Address);
                    a.Node.Invoke((h, now) => h.SetLocalLocators([added], now));
                });
                break;
            }

            case MobilityMove.UplinkFailsHot or MobilityMove.UplinkFailsCold:
            {
                // The uplink the association uses now fails silently: its NAT (or, without a NAT, its access link)
                // drops everything.
                bool second = a.Node.Host.GetAssociation(hitB)?.LocalAddress?.Address.Equals(secondUplink.Address) == true;
                o.FailedUplink = second ? "A2" : "A";
                Log($"--- the uplink in use ({(second ? secondUplink : firstUplink).Address}) starts dropping everything");
                if (natBoxes.TryGetValue(second ? "A2" : "A", out var box))
                {
                    box.Profile = box.Profile with { Loss = 1.0 };
                }
                else
                {
                    simA.Interfaces.First(i => i.Address.Equals((second ? secondUplink : firstUplink).Address)).Profile = new LinkProfile { Loss = 1.0 };
                }

                break;
            }

            case MobilityMove.RandomFailures:
            {
                // One uplink at a time drops everything for 1-4 s, then comes back; 1-3 s pass between failures.
                var rnd = new Random((int)(seed % int.MaxValue));
                var at = moveAt;
                while (at < moveAt + RandomFailurePeriod)
                {
                    string which = rnd.Next(2) == 0 ? "A" : "A2";
                    var down = TimeSpan.FromMilliseconds(1000 + rnd.Next(3000));
                    var failAt = at;
                    sim.Schedule(failAt, () =>
                    {
                        Log($"--- uplink {which} starts dropping everything");
                        o.Failures.Add((sim.Now, which, TimeSpan.MaxValue));
                        SetDropping(which, true);
                    });
                    sim.Schedule(failAt + down, () =>
                    {
                        Log($"--- uplink {which} works again");
                        SetDropping(which, false);
                    });
                    at = failAt + down + TimeSpan.FromMilliseconds(1000 + rnd.Next(2000));
                }

                void SetDropping(string uplink, bool dropping)
                {
                    if (natBoxes.TryGetValue(uplink, out var box))
                    {
                        box.Profile = box.Profile with { Loss = dropping ? 1.0 : 0.0 };
                    }
                    else
                    {
                        var addr = uplink == "A" ? firstUplink.Address : secondUplink.Address;
                        simA.Interfaces.First(i => i.Address.Equals(addr)).Profile = dropping ? new LinkProfile { Loss = 1.0 } : Access(natA) ?? LinkProfile.Ideal;
                    }
                }

                break;
            }

            case MobilityMove.UplinkDown:
            {
                var active = a.Node.Host.GetAssociation(hitB)?.LocalAddress is { } l && l.Address.Equals(secondUplink.Address) ? secondUplink : firstUplink;
                var remaining = active == firstUplink ? secondUplink : firstUplink;
                o.FailedUplink = active == firstUplink ? "A" : "A2";
                Log($"--- A's interface {active.Address} goes down");
                sim.RemoveAddress(simA, active.Address);
                a.Node.Invoke((h, now) => h.SetLocalLocators([remaining], now));
                break;
            }

            case MobilityMove.NatRebinding:
                Log($"--- natB renumbered {NatBPublic} -> {NatBRenumbered}");
                natBoxes["B"].Renumber(NatBRenumbered);
                break;
        }

        sim.Run(end);
        o.End = end;

        // Gaps: from the last delivery before the move, through every delivery after it, to the end.
        var threshold = OutageThreshold;
        (TimeSpan Longest, TimeSpan LastOutageEnd) Gaps(EmulatedDataPlane receiver)
        {
            var prev = moveAt;
            foreach (var (at, _) in receiver.Arrivals)
            {
                if (at <= moveAt)
                {
                    prev = at;
                }
            }

            var longest = TimeSpan.Zero;
            var outageEnd = moveAt;
            foreach (var (at, _) in receiver.Arrivals)
            {
                if (at <= moveAt)
                {
                    continue;
                }

                if (at - prev > longest)
                {
                    longest = at - prev;
                }

                if (at - prev > threshold)
                {
                    outageEnd = at;
                }

                prev = at;
            }

            if (end - prev > longest)
            {
                longest = end - prev;
            }

            if (end - prev > threshold)
            {
                outageEnd = end;
            }

            return (longest, outageEnd);
        }

        var (gapAB, endAB) = Gaps(b);
        var (gapBA, endBA) = Gaps(a);
        o.GapAToB = gapAB;
        o.GapBToA = gapBA;
        o.FlowingAgainAfter = (endAB > endBA ? endAB : endBA) - moveAt;

        // Loss: datagrams offered from the move to one second before the end that never arrived.
        int Lost(EmulatedDataPlane sender, EmulatedDataPlane receiver, out int offered)
        {
            var got = receiver.Arrivals.Select(x => x.Seq).ToHashSet();
            offered = 0;
            int lost = 0;
            for (int i = 0; i < sender.Offered.Count; i++)
            {
                var t = sender.Offered[i];
                if (t >= moveAt && t <= end - TimeSpan.FromSeconds(1))
                {
                    offered++;
                    lost += got.Contains(i) ? 0 : 1;
                }
            }

            return lost;
        }

        // Random failures: after each, the time until both directions delivered again (from the failure on).
        for (int i = 0; i < o.Failures.Count; i++)
        {
            var (at, uplink, _) = o.Failures[i];
            // (Only datagrams offered after the failure count: those in flight at that moment say nothing.)
            var ab = b.Arrivals.Where(x => x.Seq < a.Offered.Count && a.Offered[(int)x.Seq] > at).Select(x => x.At).DefaultIfEmpty(TimeSpan.MaxValue).Min();
            var ba = a.Arrivals.Where(x => x.Seq < b.Offered.Count && b.Offered[(int)x.Seq] > at).Select(x => x.At).DefaultIfEmpty(TimeSpan.MaxValue).Min();
            var both = ab > ba ? ab : ba;
            o.Failures[i] = (at, uplink, both == TimeSpan.MaxValue ? TimeSpan.MaxValue : both - at);
        }

        o.Lost = Lost(a, b, out int offA) + Lost(b, a, out int offB);
        o.Offered = offA + offB;

        bool established = a.Node.Host.GetState(hitB) == AssociationState.Established && b.Node.Host.GetState(hitA) == AssociationState.Established;
        if (!established)
        {
            failures.Add($"state at the end: A {a.Node.Host.GetState(hitB)}, B {b.Node.Host.GetState(hitA)}");
        }

        o.Survived = failures.Count == 0;
        o.Failure = failures.Count == 0 ? null : string.Join("; ", failures);
        o.Recovered = o.Survived && o.FlowingAgainAfter < end - moveAt;
        string? fa = PathOf(a, hitB);
        string? fb = PathOf(b, hitA);
        o.PathAfter = fa is null || fb is null ? "none" : fa == fb ? fa : "mixed";
        if (debugLog)
        {
            Log($"--- end: A {Describe(a, hitB)}; B {Describe(b, hitA)}; unknown-SPI ESP at A {a.UnknownSpi}, at B {b.UnknownSpi}");
            Log($"--- A pairs: {string.Join(" | ", a.Node.Host.GetAssociation(hitB)?.Pairs.Select(p => $"{p.Local}->{p.Peer} relay {p.RelayedTo} {p.State}") ?? [])}");
            Log($"--- B pairs: {string.Join(" | ", b.Node.Host.GetAssociation(hitA)?.Pairs.Select(p => $"{p.Local}->{p.Peer} relay {p.RelayedTo} {p.State}") ?? [])}");
        }

        if (trace)
        {
            o.Trace = string.Join(Environment.NewLine, sim.Trace.Where(r => traceAll || r.Length != EmulatedDataPlane.DatagramLength || r.Kind == TraceKind.Dropped).Select(r => r.ToString()));
        }

        return o;
    }

    /// <summary>"direct" or "relayed" for the route the side's data plane uses now (relayed also when it sends to the
    /// peer's relayed address at the relay, which the core counts as a direct pair); null when it has none.</summary>
    private static string? PathOf(EmulatedDataPlane side, Hit peer)
    {
        var info = side.Node.Host.GetAssociation(peer);
        return info is not null && EmulatedDataPlane.TryRoute(side.Node.Host, peer, info, out _, out var remote, out bool relayed)
            ? (relayed || remote.Address.Equals(RelayAddress) ? "relayed" : "direct")
            : null;
    }

    private static string Describe(EmulatedDataPlane side, Hit peer)
    {
        var info = side.Node.Host.GetAssociation(peer);
        return info is null ? "no association" : $"{info.State} {info.LocalAddress} -> {info.PeerAddress} ({PathOf(side, peer) ?? "no route"})";
    }
}
