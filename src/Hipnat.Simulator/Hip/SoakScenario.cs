using System.Diagnostics;
using System.Net;
using Hipnat.Core.Association;
using Hipnat.Core.Host;
using Hipnat.Core.Registration;
using Hipnat.Core.Transport;
using Hipnat.Crypto;
using Hipnat.Wire;
using Hipnat.Wire.Parameters;

namespace Hipnat.Simulator.Hip;

/// <summary>
/// A long run of many hosts that keep moving and failing: <c>hosts</c> hosts at sites behind RFC 4787 NATs (full
/// cone, restricted cone, port-restricted cone, symmetric, in turn), all registered with one relay, in pairs with
/// one association each. Every simulated minute a share of them moves to another site (a new address and NAT), loses
/// its uplink for a while, or crashes (loses all state) and restarts. At the end every association is closed and
/// the run checks that associations, timers, pooled buffers, NAT mappings and address pairings, registrations, the
/// hosts' other tables (<see cref="HipHost.TableEntries"/>) and managed memory are back where they were before the
/// first association.
/// </summary>
public static class SoakScenario
{
    private const ushort Port = TransportAddress.DefaultHipPort;

    private static readonly NatBehavior[] Models = [NatBehavior.FullCone, NatBehavior.RestrictedCone, NatBehavior.PortRestrictedCone, NatBehavior.Symmetric];

    public sealed record Options(int Hosts, TimeSpan Duration, long Seed = 1)
    {
        /// <summary>How often a report line is produced.</summary>
        public TimeSpan ReportEvery { get; init; } = TimeSpan.FromHours(1);

        /// <summary>Share of the hosts disrupted each minute (at least one host).</summary>
        public double DisruptedPerMinute { get; init; } = 0.02;

        /// <summary>How long after a disruption ended its pair must be associated again to count as recovered.</summary>
        public TimeSpan RecoveryDeadline { get; init; } = TimeSpan.FromMinutes(3);

        /// <summary>Receives the report lines as they are produced.</summary>
        public Action<string>? Log { get; init; }
    }

    /// <summary>What is counted at one moment; the leak checks compare the end with the baseline.</summary>
    public sealed record Snapshot(
        TimeSpan At,
        TimeSpan Wall,
        int Associations,
        int EstablishedPairs,
        int HostTimers,
        int SimEvents,
        int ArmedHosts,
        long SimBuffers,
        long CoreBuffers,
        long ManagedBytes,
        long PoolRetainedBytes,
        int NatMappings,
        int NatPairings,
        IReadOnlyDictionary<string, long> HostTables,
        int RelayRegistrations,
        int Disrupted,
        long Recovered,
        long NotRecovered,
        long AssociationsFailed)
    {
        public override string ToString() =>
            $"t={At.TotalHours:F2}h wall={Wall.TotalSeconds:F0}s associations={Associations} established-pairs={EstablishedPairs} " +
            $"host-timers={HostTimers} sim-events={SimEvents} (hosts with a timer {ArmedHosts}) sim-buffers={SimBuffers} core-buffers={CoreBuffers} " +
            $"managed={ManagedBytes / 1024.0 / 1024:F1}MiB (pool {PoolRetainedBytes / 1024.0 / 1024:F1}MiB) nat-mappings={NatMappings} nat-pairings={NatPairings} " +
            $"host-tables=[{string.Join(", ", HostTables.Where(t => t.Value != 0).Select(t => $"{t.Key} {t.Value}"))}] " +
            $"registrations={RelayRegistrations} disrupted={Disrupted} recovered={Recovered} not-recovered={NotRecovered} failed-events={AssociationsFailed}";
    }

    public sealed record Result(Snapshot Baseline, IReadOnlyList<Snapshot> Reports, Snapshot Steady, Snapshot End,
        long Moves, long Outages, long Crashes, IReadOnlyList<string> NotRecoveredDetails)
    {
        /// <summary>Managed memory allowed above the baseline after teardown: what the payload pool keeps for reuse
        /// (its peak of packets in flight) plus 5 % of the baseline and 1 MiB for collection capacities that do not shrink.</summary>
        public long MemorySlack => Math.Max(0, End.PoolRetainedBytes - Baseline.PoolRetainedBytes) + (Baseline.ManagedBytes / 20) + (1 << 20);

        public IReadOnlyList<(string Check, bool Passed, string Detail)> Checks =>
        [
            ("associations", End.Associations == Baseline.Associations, $"{End.Associations} (baseline {Baseline.Associations})"),
            ("host timers", End.HostTimers == Baseline.HostTimers, $"{End.HostTimers} (baseline {Baseline.HostTimers})"),
            // Each host keeps at most its one timer queued (R1 rotation, puzzle decay); nothing else may be pending.
            ("simulator events", End.SimEvents == End.ArmedHosts && End.ArmedHosts <= Baseline.ArmedHosts,
                $"{End.SimEvents} for {End.ArmedHosts} hosts with a timer (baseline {Baseline.SimEvents} for {Baseline.ArmedHosts})"),
            ("simulator buffers", End.SimBuffers == Baseline.SimBuffers, $"{End.SimBuffers} (baseline {Baseline.SimBuffers})"),
            ("core buffers", End.CoreBuffers == Baseline.CoreBuffers, $"{End.CoreBuffers} (baseline {Baseline.CoreBuffers})"),
            ("NAT mappings", End.NatMappings == Baseline.NatMappings, $"{End.NatMappings} (baseline {Baseline.NatMappings})"),
            ("NAT address pairings", End.NatPairings == Baseline.NatPairings, $"{End.NatPairings} (baseline {Baseline.NatPairings})"),
            ("host tables", TablesChanged.Count == 0,
                TablesChanged.Count == 0 ? $"{End.HostTables.Count} tables at their baseline" : string.Join(", ", TablesChanged)),
            ("relay registrations", End.RelayRegistrations == Baseline.RelayRegistrations, $"{End.RelayRegistrations} (baseline {Baseline.RelayRegistrations})"),
            ("managed memory", End.ManagedBytes <= Baseline.ManagedBytes + MemorySlack,
                $"{End.ManagedBytes / 1024.0 / 1024:F2} MiB (baseline {Baseline.ManagedBytes / 1024.0 / 1024:F2} MiB, allowed +{MemorySlack / 1024.0 / 1024:F2} MiB)"),
        ];

        /// <summary>The hosts' tables (<see cref="HipHost.TableEntries"/>, summed over the hosts and the relay) whose
        /// entries differ from the baseline.</summary>
        public IReadOnlyList<string> TablesChanged =>
            [.. End.HostTables.Where(t => t.Value != Baseline.HostTables.GetValueOrDefault(t.Key))
                .Select(t => $"{t.Key}: {t.Value} (baseline {Baseline.HostTables.GetValueOrDefault(t.Key)})")];

        public bool Passed => Checks.All(c => c.Passed);
    }

    public static Result Run(Options options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new Soak(options).Execute();
    }

    private sealed class Soak
    {
        private readonly Options _o;
        private readonly Simulation _sim;
        private readonly Random _random;
        private readonly Stopwatch _wall = new();
        private readonly Realm[] _sites;
        private readonly int[] _nextAddress;
        private readonly HipSimNode _relay;
        private readonly HipSimNode[] _nodes;
        private readonly SimHost[] _simHosts;
        private readonly int[] _siteOf;
        private readonly bool[] _disrupted;
        private readonly bool[] _down;
        private readonly List<Snapshot> _reports = [];
        private readonly List<string> _notRecoveredDetails = [];
        private readonly TransportAddress _relayLocator;
        private bool _tearingDown;
        private long _recovered, _notRecovered, _failed, _moves, _outages, _crashes;

        public Soak(Options o)
        {
            _o = o;
            _sim = new Simulation(o.Seed);
            _random = new Random(unchecked((int)o.Seed));
            var pub = _sim.AddRealm("public", "100.64.0.0/10", LinkProfile.WithDelay(TimeSpan.FromMilliseconds(10)));
            int siteCount = Math.Clamp((o.Hosts + 3) / 4, 1, 250);
            _sites = new Realm[siteCount];
            _nextAddress = new int[siteCount];
            for (int s = 0; s < siteCount; s++)
            {
                _sites[s] = _sim.AddRealm($"site{s}", $"10.{s}.0.0/16", LinkProfile.WithDelay(TimeSpan.FromMilliseconds(1)));
                _sim.AddNat($"nat{s}", _sites[s], pub, Models[s % Models.Length], new IPAddress([100, (byte)(65 + (s / 256)), (byte)(s % 256), 1]));
                _nextAddress[s] = 10;
            }

            var relayAddress = IPAddress.Parse("100.64.0.1");
            _relayLocator = TransportAddress.Udp(relayAddress, Port);
            _relay = new HipSimNode(new HipHost(new HipHostOptions
            {
                Identity = HostIdentity.Generate(HostIdentityKind.EcdsaP256),
                RandomSeed = 0,
                Registrar = new RegistrarOptions { AllowAnyone = true, Services = [RegistrationType.RelayUdpHip], MaxClients = o.Hosts + 16 },
                NatTraversalModes = [NatTraversalMode.UdpEncapsulation],
            }));
            _relay.Attach(_sim.AddHost("relay", _relay, pub, relayAddress));

            _nodes = new HipSimNode[o.Hosts];
            _simHosts = new SimHost[o.Hosts];
            _siteOf = new int[o.Hosts];
            _disrupted = new bool[o.Hosts];
            _down = new bool[o.Hosts];
            for (int i = 0; i < o.Hosts; i++)
            {
                int site = i % siteCount;
                var address = NewAddress(site);
                var node = new HipSimNode(new HipHost(new HipHostOptions
                {
                    Identity = HostIdentity.Generate(HostIdentityKind.EcdsaP256),
                    RandomSeed = i + 1,
                    LocalLocators = [TransportAddress.Udp(address, Port)],
                }));
                _nodes[i] = node;
                _siteOf[i] = site;
                _simHosts[i] = _sim.AddHost($"h{i}", node, _sites[site], address);
                node.Attach(_simHosts[i]);
                node.Host.AddPeerLocator(_relay.Host.LocalHit, _relayLocator);
                int index = i;
                node.OnEvent = (_, e) => OnHostEvent(index, e);
            }

            for (int i = 0; i + 1 < o.Hosts; i += 2)
            {
                // The initiator reaches its partner through the relay (RFC 9028 §4.5); ICE finds the direct path.
                _nodes[i].Host.AddPeerLocator(_nodes[i + 1].Host.LocalHit, _relayLocator);
            }
        }

        public Result Execute()
        {
            _wall.Start();
            _sim.RunFor(TimeSpan.FromSeconds(1));
            _o.Log?.Invoke($"cold {Measure()}");

            // Warm-up: every host registers and associates once and everything is closed again, so that what a host
            // builds once and keeps (precomputed R1s, pools, table capacities) is in the baseline, not in the leak.
            StartAll();
            _sim.RunFor(TimeSpan.FromMinutes(5));
            TearDown();
            var baseline = Measure();
            _o.Log?.Invoke($"baseline {baseline}");
            _tearingDown = false;
            StartAll();
            _sim.RunFor(TimeSpan.FromMinutes(5));
            var steady = Measure();
            _o.Log?.Invoke($"steady {steady}");

            var start = _sim.Now;
            var end = start + _o.Duration;
            var nextReport = start + _o.ReportEvery;
            for (var minute = start; minute < end; minute += TimeSpan.FromMinutes(1))
            {
                ForgetEvents();
                Disrupt();
                _sim.Run(minute + TimeSpan.FromMinutes(1));
                if (_sim.Now >= nextReport)
                {
                    var s = Measure();
                    _reports.Add(s);
                    _o.Log?.Invoke(s.ToString());
                    nextReport += _o.ReportEvery;
                }
            }

            // Let the last disruptions end and be judged, then tear down.
            _sim.RunFor(TimeSpan.FromMinutes(6));
            TearDown();
            var final = Measure();
            _o.Log?.Invoke($"end {final}");
            return new Result(baseline, _reports, steady, final, _moves, _outages, _crashes, _notRecoveredDetails);
        }

        /// <summary>The adapter records every event for tests; the soak reads them as they come (OnEvent) and lets
        /// the record go, or it would grow for as long as the run.</summary>
        private void ForgetEvents()
        {
            _relay.Events.Clear();
            foreach (var n in _nodes)
            {
                n.Events.Clear();
            }
        }

        /// <summary>Registrations over one minute, then the pairs' base exchanges over the next.</summary>
        private void StartAll()
        {
            for (int i = 0; i < _nodes.Length; i++)
            {
                int index = i;
                _sim.ScheduleAfter(TimeSpan.FromMilliseconds(60_000.0 * i / _nodes.Length), () => Register(index));
                if (IsInitiator(i))
                {
                    _sim.ScheduleAfter(TimeSpan.FromMilliseconds(60_000 + (60_000.0 * i / _nodes.Length)), () => Connect(index));
                }
            }
        }

        private void TearDown()
        {
            _tearingDown = true;
            for (int i = 0; i < _nodes.Length; i++)
            {
                _simHosts[i].Interfaces[0].IsUp = true;
                _down[i] = false;
            }

            // Close every pair's association, then every registration's association with the relay (RFC 7401 §5.3.7).
            for (int i = 0; i + 1 < _nodes.Length; i += 2)
            {
                var partner = _nodes[i + 1].Host.LocalHit;
                _nodes[i].Invoke((h, now) => h.Close(partner, now));
            }

            _sim.RunFor(TimeSpan.FromMinutes(1));
            foreach (var node in _nodes)
            {
                node.Invoke((h, now) => h.Close(_relay.Host.LocalHit, now));
            }

            // CLOSE retransmissions, the CLOSED linger (UAL + 2 MSL), NAT mapping timeouts (120 s) and an R1 rotation.
            _sim.RunFor(TimeSpan.FromMinutes(10));
        }

        private void Disrupt()
        {
            int count = Math.Max(1, (int)Math.Round(_nodes.Length * _o.DisruptedPerMinute));
            for (int n = 0; n < count; n++)
            {
                int i = _random.Next(_nodes.Length);
                if (_disrupted[i])
                {
                    continue;
                }

                _disrupted[i] = true;
                double kind = _random.NextDouble();
                if (kind < 0.4)
                {
                    Move(i);
                    JudgeLater(i, "move");
                }
                else if (kind < 0.8)
                {
                    _outages++;
                    var iface = _simHosts[i].Interfaces[0];
                    iface.IsUp = false;
                    _down[i] = true;
                    _sim.ScheduleAfter(TimeSpan.FromSeconds(_random.Next(30, 181)), () =>
                    {
                        iface.IsUp = true;
                        _down[i] = false;
                        JudgeLater(i, "outage");
                    });
                }
                else
                {
                    _crashes++;
                    var iface = _simHosts[i].Interfaces[0];
                    iface.IsUp = false;
                    _down[i] = true;
                    _nodes[i].Invoke((h, _) => h.DropAllState());
                    _sim.ScheduleAfter(TimeSpan.FromSeconds(_random.Next(20, 121)), () =>
                    {
                        iface.IsUp = true;
                        _down[i] = false;
                        Register(i);
                        if (IsInitiator(i))
                        {
                            Connect(i);
                        }

                        JudgeLater(i, "crash");
                    });
                }
            }
        }

        /// <summary>The host takes an address at another site, behind another NAT (break-before-make).</summary>
        private void Move(int i)
        {
            _moves++;
            int site = _siteOf[i];
            int to = _sites.Length == 1 ? site : (site + 1 + _random.Next(_sites.Length - 1)) % _sites.Length;
            var address = NewAddress(to);
            _sim.MoveAddress(_simHosts[i], _simHosts[i].Address, _sites[to], address);
            _siteOf[i] = to;
            _nodes[i].Invoke((h, now) => h.SetLocalLocators([TransportAddress.Udp(address, Port)], now));
        }

        private void JudgeLater(int i, string what)
        {
            var since = _sim.Now;
            _sim.ScheduleAfter(_o.RecoveryDeadline, () =>
            {
                _disrupted[i] = false;
                if (_tearingDown)
                {
                    return;
                }

                int a = i - (i % 2), b = a + 1;
                if (b >= _nodes.Length)
                {
                    return;
                }

                var stateAb = _nodes[a].Host.GetState(_nodes[b].Host.LocalHit);
                var stateBa = _nodes[b].Host.GetState(_nodes[a].Host.LocalHit);
                if (stateAb == AssociationState.Established && stateBa == AssociationState.Established)
                {
                    _recovered++;
                }
                else
                {
                    _notRecovered++;
                    if (_notRecoveredDetails.Count < 20)
                    {
                        _notRecoveredDetails.Add($"h{i} {what} ended at {since.TotalMinutes:F1} min: h{a}->h{b} {stateAb}, h{b}->h{a} {stateBa} after {_o.RecoveryDeadline.TotalMinutes} min");
                    }
                }
            });
        }

        private void OnHostEvent(int i, HipEvent e)
        {
            if (e is AssociationFailed)
            {
                _failed++;
            }

            if (_tearingDown || e is not (AssociationFailed or AssociationClosed))
            {
                return;
            }

            // The application: an initiator whose pair association ended opens it again; any host whose relay
            // association ended registers again.
            if (e.Peer == _relay.Host.LocalHit)
            {
                _sim.ScheduleAfter(TimeSpan.FromSeconds(5), () => Register(i));
            }
            else if (IsInitiator(i))
            {
                _sim.ScheduleAfter(TimeSpan.FromSeconds(5), () => Connect(i));
            }
        }

        private void Register(int i)
        {
            if (!_tearingDown && _down[i])
            {
                _sim.ScheduleAfter(TimeSpan.FromSeconds(10), () => Register(i));
                return;
            }

            if (_tearingDown || _nodes[i].Host.GetState(_relay.Host.LocalHit) is AssociationState.I1Sent or AssociationState.I2Sent or AssociationState.R2Sent or AssociationState.Established)
            {
                return;
            }

            _nodes[i].Invoke((h, now) => h.Register(_relay.Host.LocalHit, [RegistrationType.RelayUdpHip], TimeSpan.FromMinutes(10), now));
        }

        private void Connect(int i)
        {
            if (_tearingDown)
            {
                return;
            }

            var partner = _nodes[i + 1].Host.LocalHit;
            if (_down[i])
            {
                _sim.ScheduleAfter(TimeSpan.FromSeconds(10), () => Connect(i));
                return;
            }

            _nodes[i].Invoke((h, now) => h.Connect(partner, now)); // (nothing while an exchange runs or it is established)
        }

        private bool IsInitiator(int i) => i % 2 == 0 && i + 1 < _nodes.Length;

        private IPAddress NewAddress(int site)
        {
            int k = _nextAddress[site]++;
            return new IPAddress([10, (byte)site, (byte)(k >> 8), (byte)k]);
        }

        private Snapshot Measure()
        {
            ForgetEvents();
            int associations = _relay.Host.AssociationCount, timers = _relay.Host.PendingTimers, established = 0;
            int armed = _relay.Host.NextTimeout is null ? 0 : 1;
            foreach (var n in _nodes)
            {
                associations += n.Host.AssociationCount;
                armed += n.Host.NextTimeout is null ? 0 : 1; // (also drops superseded timer entries at the head, as each event does)
                timers += n.Host.PendingTimers;
            }

            for (int i = 0; i + 1 < _nodes.Length; i += 2)
            {
                if (_nodes[i].Host.GetState(_nodes[i + 1].Host.LocalHit) == AssociationState.Established
                    && _nodes[i + 1].Host.GetState(_nodes[i].Host.LocalHit) == AssociationState.Established)
                {
                    established++;
                }
            }

            int mappings = _sim.Nats.Sum(n => n.ActiveMappingCount);
            int pairings = _sim.Nats.Sum(n => n.PairedAddressCount);
            var tables = new SortedDictionary<string, long>(StringComparer.Ordinal);
            foreach (var host in _nodes.Select(n => n.Host).Append(_relay.Host))
            {
                foreach (var (table, entries) in host.TableEntries)
                {
                    tables[table] = tables.GetValueOrDefault(table) + entries;
                }
            }

            long managed = GC.GetTotalMemory(forceFullCollection: true);
            return new Snapshot(_sim.Now, _wall.Elapsed, associations, established, timers, _sim.PendingEvents, armed, _sim.PooledBuffersOutstanding,
                PacketBuffers.Outstanding, managed, _sim.PooledBytesRetained, mappings, pairings, tables, _relay.Host.RegisteredClients.Count,
                _disrupted.Count(d => d), _recovered, _notRecovered, _failed);
        }
    }
}
