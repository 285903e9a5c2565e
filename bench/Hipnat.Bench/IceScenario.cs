using System.Net;
using Hipnat.Core.Host;
using Hipnat.Core.Ice;
using Hipnat.Core.Registration;
using Hipnat.Core.Transport;
using Hipnat.Crypto;
using Hipnat.Simulator;
using Hipnat.Simulator.Hip;
using Hipnat.Wire.Parameters;

namespace Hipnat.Bench;

/// <summary>What one run of <see cref="IceScenario"/> observed.</summary>
internal sealed class IceOutcome
{
    /// <summary>Virtual time of the first I1 (the Connect call).</summary>
    public TimeSpan I1At { get; set; }

    /// <summary>The Initiator reached ESTABLISHED (R2 received): base exchange complete.</summary>
    public TimeSpan? BexAt { get; set; }

    /// <summary>The Responder started ICE (I2 received, R2 sent).</summary>
    public TimeSpan? ResponderEstablishedAt { get; set; }

    /// <summary>The controlling side's last IceCompleted (nomination answered) — both sides agree on the pair.</summary>
    public TimeSpan? SelectedAt { get; set; }

    /// <summary>The controlling side's first IceCompleted.</summary>
    public TimeSpan? FirstSelectedAt { get; set; }

    public bool FirstRelayed { get; set; }

    /// <summary>The controlling side's first IceCompleted on a direct pair.</summary>
    public TimeSpan? FirstDirectAt { get; set; }

    /// <summary>Times the failed direct pairs were checked again while a relayed pair carried the traffic
    /// (<c>HipCounters.IceDirectRetries</c>) at A and at B.</summary>
    public long DirectRetriesA { get; set; }

    public long DirectRetriesB { get; set; }

    /// <summary>Outbound flows both NATs moved to another port because an unsolicited entry held their tuple
    /// (<see cref="NatStatistics.PortCollisions"/>; only NATs with <see cref="NatBehavior.KeepsUnsolicitedState"/>).</summary>
    public long PortCollisions { get; set; }

    /// <summary>Final selected pair at A and at B at the end of the run (null: none).</summary>
    public CandidatePair? PairA { get; set; }

    public CandidatePair? PairB { get; set; }

    public TimeSpan? IceStartedA { get; set; }

    public TimeSpan? IceStartedB { get; set; }

    /// <summary>When B (controlled) selected its final pair (the nomination arrived).</summary>
    public TimeSpan? SelectedAtB { get; set; }

    public int Selections { get; set; }

    public bool ChecksFailed { get; set; }

    /// <summary>Why the Initiator's association failed, if it did (e.g. the base exchange never completed).</summary>
    public string? AssociationFailure { get; set; }

    /// <summary>Packets the relay forwarded to A's NAT from a relayed (data-relay) port that the NAT filtered before
    /// the base exchange completed at A.</summary>
    public int FilteredFromRelayedPortBeforeBex { get; set; }

    /// <summary>ICE checks sent by both sides (IceChecksSent counters) when the final pair was selected, and at the end.</summary>
    public long ChecksAtSelection { get; set; }

    public long ChecksTotal { get; set; }

    /// <summary>Control + ESP packets the relay forwarded from the moment both sides had selected a direct pair to the end.</summary>
    public long RelayPacketsAfterDirect { get; set; }

    /// <summary>The same, counted from one second after both sides selected the direct pair (checks in flight at
    /// the selection have been answered by then).</summary>
    public long? RelayPacketsAfterDirectGrace { get; set; }

    /// <summary>When both sides had a direct pair selected (the later of the two ActivePathChanged events).</summary>
    public TimeSpan? BothDirectAt { get; set; }

    public bool Direct => PairA is { IsRelayed: false } && PairB is { IsRelayed: false };

    public bool Relayed => PairA is { IsRelayed: true } && PairB is { IsRelayed: true };

    /// <summary>Both sides selected something, and the same kind of path.</summary>
    public bool Agreed => Direct || Relayed;

    public string? Trace { get; set; }

    public List<string> Log { get; } = [];
}

/// <summary>
/// A relay on the public realm offering RELAY_UDP_HIP and RELAY_UDP_ESP, and two hosts, each behind its own
/// RFC 4787 NAT (or on the public realm when its behaviour is null), both registered for both services. A
/// (controlling) opens a base exchange with B through the relay; ICE runs with the hosts' default modes and
/// options, and the run records when and which pair was selected.
/// </summary>
internal static class IceScenario
{
    public static readonly IPAddress RelayAddress = IPAddress.Parse("203.0.113.1");
    private static readonly IPAddress NatAPublic = IPAddress.Parse("203.0.113.10");
    private static readonly IPAddress NatBPublic = IPAddress.Parse("203.0.113.20");
    private static readonly IPAddress PrivateA = IPAddress.Parse("198.18.1.10");
    private static readonly IPAddress PrivateB = IPAddress.Parse("198.18.2.10");

    /// <param name="window">Virtual time observed after the first I1.</param>
    /// <param name="stopWhenSelected">End as soon as both sides selected a pair (plus <paramref name="settle"/>) instead of observing the whole window.</param>
    public static IceOutcome Run(NatBehavior? natA, NatBehavior? natB, long seed, IceLinks links, TimeSpan window,
        bool stopWhenSelected = false, TimeSpan settle = default, bool trace = false, bool debugLog = false)
    {
        // Fresh identities per run: runs execute in parallel and an identity's key object is not shared across threads.
        using var relayId = HostIdentity.Generate(HostIdentityKind.EcdsaP256);
        using var idA = HostIdentity.Generate(HostIdentityKind.EcdsaP256);
        using var idB = HostIdentity.Generate(HostIdentityKind.EcdsaP256);
        var o = new IceOutcome();
        var sim = new Simulation(seed) { TraceEnabled = true };
        var pub = sim.AddRealm("public", "203.0.113.0/24", new LinkProfile { Delay = links.PublicDelay, Jitter = links.Jitter });
        var registrar = new RegistrarOptions
        {
            AllowAnyone = true,
            Services = [RegistrationType.RelayUdpHip, RegistrationType.RelayUdpEsp],
        };
        var relay = new HipSimNode(new HipHost(new HipHostOptions { Identity = relayId, RandomSeed = (int)(seed * 3), Registrar = registrar }));
        relay.Attach(sim.AddHost("relay", relay, pub, RelayAddress));

        HipSimNode Side(string name, NatBehavior? nat, HostIdentity id, IPAddress privateAddr, IPAddress publicAddr, int salt)
        {
            IPAddress addr;
            Realm realm;
            if (nat is null)
            {
                addr = publicAddr;
                realm = pub;
            }
            else
            {
                addr = privateAddr;
                realm = sim.AddRealm("lan" + name, privateAddr.ToString()[..privateAddr.ToString().LastIndexOf('.')] + ".0/24", new LinkProfile { Delay = links.LanDelay, Jitter = links.Jitter });
                var box = sim.AddNat("nat" + name, realm, pub, nat, publicAddr);
                box.Profile = new LinkProfile { Delay = links.NatDelay, Jitter = links.Jitter };
            }

            var node = new HipSimNode(new HipHost(new HipHostOptions
            {
                Identity = id,
                RandomSeed = (int)((seed * 3) + salt),
                LocalLocators = [TransportAddress.Udp(addr, TransportAddress.DefaultHipPort)],
            }));
            var simHost = sim.AddHost(name, node, realm, addr);
            if (nat is null && links.LanDelay > TimeSpan.Zero)
            {
                // Without a NAT the host's access link stands in for LAN + NAT.
                simHost.Interfaces[0].Profile = new LinkProfile { Delay = links.LanDelay, Jitter = links.Jitter };
            }

            node.Attach(simHost);
            node.Host.AddPeerLocator(relay.Host.LocalHit, TransportAddress.Udp(RelayAddress, TransportAddress.DefaultHipPort));
            if (debugLog)
            {
                node.Host.DebugLog = m => o.Log.Add($"{sim.Now.TotalMilliseconds,9:F1} {name}: {m}");
            }

            return node;
        }

        var a = Side("A", natA, idA, PrivateA, NatAPublic, 1);
        var b = Side("B", natB, idB, PrivateB, NatBPublic, 2);
        var peerB = b.Host.LocalHit;
        var peerA = a.Host.LocalHit;

        foreach (var n in new[] { a, b })
        {
            n.Invoke((h, now) => h.Register(relay.Host.LocalHit, [RegistrationType.RelayUdpHip, RegistrationType.RelayUdpEsp], TimeSpan.FromMinutes(10), now));
        }

        static int Granted(HipSimNode n) => n.Events.Count(e => e is RegistrationGranted);
        if (!sim.RunUntil(() => Granted(a) >= 2 && Granted(b) >= 2, TimeSpan.FromSeconds(10)))
        {
            throw new InvalidOperationException($"registration failed: A {Granted(a)}, B {Granted(b)} grants");
        }

        // Let registration traffic settle so that the exchange starts on a quiet network, at a round time.
        sim.Run(TimeSpan.FromSeconds(Math.Ceiling(sim.Now.TotalSeconds) + 1));
        sim.ClearTrace();

        long RelayForwarded() => relay.Host.Counters.Relayed + relay.Host.Counters.EspRelayed;
        long? relayAtDirect = null;
        long? relayAtGrace = null;
        bool aDirect = false, bDirect = false;
        void Watch(HipSimNode node, HipEvent e)
        {
            switch (e)
            {
                case AssociationEstablished est when ReferenceEquals(node, a) && est.Peer == peerB:
                    o.BexAt ??= e.At;
                    break;
                case AssociationStateChanged { To: Core.Association.AssociationState.R2Sent } when ReferenceEquals(node, b) && e.Peer == peerA:
                    o.ResponderEstablishedAt ??= e.At;
                    break;
                case IceCompleted ic when ReferenceEquals(node, a) && ic.Peer == peerB:
                    o.Selections++;
                    o.SelectedAt = ic.At;
                    o.ChecksAtSelection = a.Host.Counters.IceChecksSent + b.Host.Counters.IceChecksSent;
                    if (o.FirstSelectedAt is null)
                    {
                        o.FirstSelectedAt = ic.At;
                        o.FirstRelayed = ic.Relayed;
                    }

                    if (!ic.Relayed)
                    {
                        o.FirstDirectAt ??= ic.At;
                    }

                    break;
                case AssociationFailed af when ReferenceEquals(node, a) && af.Peer == peerB:
                    o.AssociationFailure ??= af.Reason;
                    break;
                case IceChecksFailed when ReferenceEquals(node, a) || ReferenceEquals(node, b):
                    o.ChecksFailed = true;
                    break;
                case ActivePathChanged apc:
                    if (ReferenceEquals(node, a) && apc.Peer == peerB)
                    {
                        aDirect = apc.Direct;
                    }
                    else if (ReferenceEquals(node, b) && apc.Peer == peerA)
                    {
                        bDirect = apc.Direct;
                    }

                    if (aDirect && bDirect)
                    {
                        if (relayAtDirect is null)
                        {
                            relayAtDirect = RelayForwarded();
                            o.BothDirectAt = e.At;
                            var at = e.At;
                            sim.Schedule(at + TimeSpan.FromSeconds(1), () =>
                            {
                                if (o.BothDirectAt == at)
                                {
                                    relayAtGrace = RelayForwarded();
                                }
                            });
                        }
                    }
                    else
                    {
                        relayAtDirect = null;
                        relayAtGrace = null;
                        o.BothDirectAt = null;
                    }

                    break;
            }
        }

        a.OnEvent = Watch;
        b.OnEvent = Watch;
        a.Host.AddPeerLocator(peerB, TransportAddress.Udp(RelayAddress, TransportAddress.DefaultHipPort));
        o.I1At = sim.Now;
        a.Invoke((h, now) => h.Connect(peerB, now));

        var end = o.I1At + window;
        bool Selected() => a.Host.GetIceSession(peerB) is { Concluded: true, Selected: not null } && b.Host.GetIceSession(peerA)?.Selected is not null;
        if (stopWhenSelected)
        {
            sim.RunUntil(() => Selected() || o.ChecksFailed, window);
            sim.Run(sim.Now + settle < end ? sim.Now + settle : end);
        }
        else
        {
            sim.Run(end);
        }

        o.PairA = a.Host.GetIceSession(peerB)?.Selected;
        o.IceStartedA = a.Host.GetIceSession(peerB)?.StartedAt;
        o.IceStartedB = b.Host.GetIceSession(peerA)?.StartedAt;
        o.SelectedAtB = b.Host.GetIceSession(peerA)?.SelectedAt;
        o.PairB = b.Host.GetIceSession(peerA)?.Selected;
        o.ChecksTotal = a.Host.Counters.IceChecksSent + b.Host.Counters.IceChecksSent;
        o.DirectRetriesA = a.Host.Counters.IceDirectRetries;
        o.DirectRetriesB = b.Host.Counters.IceDirectRetries;
        o.PortCollisions = sim.Nats.Sum(n => n.Statistics.PortCollisions);
        if (relayAtDirect is { } at)
        {
            o.RelayPacketsAfterDirect = RelayForwarded() - at;
        }

        if (relayAtGrace is { } g)
        {
            o.RelayPacketsAfterDirectGrace = RelayForwarded() - g;
        }

        foreach (var r in sim.Trace)
        {
            if (r is { Kind: TraceKind.Dropped, Reason: Simulator.DropReason.Filtered, Where: "natA" } && r.Source.Address.Equals(RelayAddress)
                && r.Source.Port is >= 40000 and <= 49999 && (o.BexAt is null || r.Time < o.BexAt))
            {
                o.FilteredFromRelayedPortBeforeBex++;
            }
        }

        if (trace)
        {
            o.Trace = sim.TraceText();
        }

        return o;
    }
}
