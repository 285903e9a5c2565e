using System.Net;
using System.Text;

namespace Hipnat.Simulator;

/// <summary>
/// A deterministic discrete-event network simulator. Virtual time advances only by running queued events; events at
/// the same time run in the order they were queued. All randomness comes from seeded <see cref="SimRandom"/>
/// streams, so the same seed and scenario give the same trace on every machine.
/// </summary>
public sealed class Simulation
{
    /// <summary>Largest payload a node may send.</summary>
    public const int MaxDatagramSize = 65535;

    /// <summary>Most NAT traversals a packet may make before it is dropped as looping.</summary>
    public const int MaxHops = 32;

    private readonly PriorityQueue<SimEvent, EventKey> _queue = new();
    private readonly PayloadPool _pool = new();
    private readonly List<SimHost> _hosts = [];
    private readonly List<Realm> _realms = [];
    private readonly List<NatBox> _nats = [];
    private List<TraceRecord>? _trace;
    private TextWriter? _traceWriter;
    private long _sequence;
    private long _packetIds;
    private TimeSpan _now;
    private bool _running;

    public Simulation(long seed = 1)
    {
        Seed = seed;
        Random = new SimRandom(seed, 0);
    }

    public long Seed { get; }

    /// <summary>Virtual time since simulation start.</summary>
    public TimeSpan Now => _now;

    /// <summary>The network's random stream (loss, jitter, duplication, reordering).</summary>
    public SimRandom Random { get; }

    public SimStatistics Statistics { get; } = new();

    public IReadOnlyList<SimHost> Hosts => _hosts;

    public IReadOnlyList<Realm> Realms => _realms;

    public IReadOnlyList<NatBox> Nats => _nats;

    /// <summary>Events waiting in the queue.</summary>
    public int PendingEvents => _queue.Count;

    /// <summary>Payload buffers of the simulator's pool rented and not returned: packets in flight (a leak check).</summary>
    public long PooledBuffersOutstanding => _pool.Outstanding;

    /// <summary>Octets the payload pool keeps for reuse (it keeps the peak of packets in flight).</summary>
    public long PooledBytesRetained => _pool.RetainedBytes;

    /// <summary>Whether packet events are recorded in <see cref="Trace"/> (off by default for speed).</summary>
    public bool TraceEnabled
    {
        get => _trace is not null;
        set
        {
            if (value)
            {
                _trace ??= [];
            }
            else
            {
                _trace = null;
            }

            Tracing = _trace is not null || _traceWriter is not null;
        }
    }

    /// <summary>When set, every packet event is also written to it as one line.</summary>
    public TextWriter? TraceWriter
    {
        get => _traceWriter;
        set
        {
            _traceWriter = value;
            Tracing = _trace is not null || _traceWriter is not null;
        }
    }

    /// <summary>The recorded packet events (empty unless <see cref="TraceEnabled"/>).</summary>
    public IReadOnlyList<TraceRecord> Trace => (IReadOnlyList<TraceRecord>?)_trace ?? [];

    internal bool Tracing { get; private set; }

    /// <summary>The recorded trace, one <see cref="TraceRecord.ToString"/> line per event.</summary>
    public string TraceText()
    {
        var sb = new StringBuilder();
        foreach (var record in Trace)
        {
            sb.Append(record.ToString()).Append('\n');
        }

        return sb.ToString();
    }

    public void ClearTrace() => _trace?.Clear();

    // ---------------------------------------------------------------- topology

    /// <summary>Adds an address space. <paramref name="prefix"/> (e.g. "10.0.0.0/8") enables <see cref="Realm.AllocateAddress"/>.</summary>
    public Realm AddRealm(string name, string? prefix = null, LinkProfile? defaultProfile = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        var realm = new Realm(this, name, prefix is null ? null : IPNetwork.Parse(prefix), defaultProfile);
        _realms.Add(realm);
        return realm;
    }

    /// <summary>
    /// Adds a NAT that becomes the gateway of <paramref name="inside"/> and owns <paramref name="publicAddresses"/>
    /// in <paramref name="outside"/>. The outside may itself be behind another NAT.
    /// </summary>
    public NatBox AddNat(string name, Realm inside, Realm outside, NatBehavior behavior, params IPAddress[] publicAddresses)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(inside);
        ArgumentNullException.ThrowIfNull(outside);
        ArgumentNullException.ThrowIfNull(behavior);
        ArgumentNullException.ThrowIfNull(publicAddresses);
        CheckOwned(inside);
        CheckOwned(outside);
        if (publicAddresses.Length == 0)
        {
            throw new ArgumentException("A NAT needs at least one public address.", nameof(publicAddresses));
        }

        if (behavior.PortRangeEnd < behavior.PortRangeStart)
        {
            throw new ArgumentException("The NAT's port range is empty.", nameof(behavior));
        }

        if (inside.Gateway is not null)
        {
            throw new InvalidOperationException($"Realm '{inside.Name}' already has gateway '{inside.Gateway.Name}'.");
        }

        for (Realm? r = outside; r is not null; r = r.Gateway?.Outside)
        {
            if (r == inside)
            {
                throw new InvalidOperationException($"NAT '{name}' would make realm '{inside.Name}' its own upstream.");
            }
        }

        var addresses = (IPAddress[])publicAddresses.Clone();
        var distinct = new HashSet<IPAddress>();
        foreach (var address in addresses)
        {
            outside.CheckFree(address);
            if (!distinct.Add(address))
            {
                throw new ArgumentException($"Public address {address} is listed twice.", nameof(publicAddresses));
            }
        }

        var nat = new NatBox(this, _nats.Count, name, inside, outside, behavior, addresses);
        foreach (var address in addresses)
        {
            outside.NatAddresses.Add(address, nat);
        }

        inside.Gateway = nat;
        _nats.Add(nat);
        return nat;
    }

    /// <summary>Attaches a node with zero or more addresses in <paramref name="realm"/>; more can be added later in any realm.</summary>
    public SimHost AddHost(string name, ISimNode node, Realm realm, params IPAddress[] addresses)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(realm);
        ArgumentNullException.ThrowIfNull(addresses);
        CheckOwned(realm);
        for (int i = 0; i < addresses.Length; i++)
        {
            realm.CheckFree(addresses[i]);
            for (int j = 0; j < i; j++)
            {
                if (addresses[i].Equals(addresses[j]))
                {
                    throw new ArgumentException($"Address {addresses[i]} is listed twice.", nameof(addresses));
                }
            }
        }

        var host = new SimHost(this, _hosts.Count, name, node);
        _hosts.Add(host);
        foreach (var address in addresses)
        {
            Attach(host, realm, address, null);
        }

        return host;
    }

    /// <summary>Gives a host another address, in any realm.</summary>
    public SimInterface AddAddress(SimHost host, Realm realm, IPAddress address, LinkProfile? profile = null)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(realm);
        CheckOwned(host);
        CheckOwned(realm);
        realm.CheckFree(address);
        if (host.IsRemoved)
        {
            throw new InvalidOperationException($"Host '{host.Name}' was removed.");
        }

        return Attach(host, realm, address, profile);
    }

    /// <summary>Takes an address away from a host; packets still in flight to it are dropped on arrival. Returns false if the host did not have it.</summary>
    public bool RemoveAddress(SimHost host, IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(address);
        CheckOwned(host);
        var iface = host.FindInterface(address);
        if (iface is null)
        {
            return false;
        }

        Detach(iface);
        return true;
    }

    /// <summary>Replaces one of a host's addresses by another, possibly in another realm, keeping its link settings.</summary>
    public SimInterface MoveAddress(SimHost host, IPAddress oldAddress, Realm newRealm, IPAddress newAddress)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(oldAddress);
        ArgumentNullException.ThrowIfNull(newRealm);
        CheckOwned(host);
        CheckOwned(newRealm);
        var old = host.FindInterface(oldAddress)
            ?? throw new InvalidOperationException($"Host '{host.Name}' has no address {oldAddress}.");
        if (!(old.Realm == newRealm && oldAddress.Equals(newAddress)))
        {
            newRealm.CheckFree(newAddress);
        }

        Detach(old);
        var moved = Attach(host, newRealm, newAddress, old.Profile);
        moved.IsUp = old.IsUp;
        return moved;
    }

    /// <summary>Replaces one of a host's addresses by another in the same realm.</summary>
    public SimInterface MoveAddress(SimHost host, IPAddress oldAddress, IPAddress newAddress)
    {
        ArgumentNullException.ThrowIfNull(host);
        var old = host.FindInterface(oldAddress)
            ?? throw new InvalidOperationException($"Host '{host.Name}' has no address {oldAddress}.");
        return MoveAddress(host, oldAddress, old.Realm, newAddress);
    }

    /// <summary>Detaches a host for good: its addresses go, its timer is cancelled, and its node is never called again.</summary>
    public void RemoveHost(SimHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        CheckOwned(host);
        while (host.MutableInterfaces.Count > 0)
        {
            Detach(host.MutableInterfaces[^1]);
        }

        host.TimerDue = null;
        host.IsRemoved = true;
    }

    // ---------------------------------------------------------------- running

    /// <summary>Runs <paramref name="action"/> at virtual time <paramref name="at"/> (a past time runs as soon as possible).</summary>
    public void Schedule(TimeSpan at, Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        Enqueue(at < _now ? _now : at, new SimEvent { Kind = SimEventKind.Action, Target = action });
    }

    /// <summary>Runs <paramref name="action"/> <paramref name="delay"/> from now.</summary>
    public void ScheduleAfter(TimeSpan delay, Action action) => Schedule(_now + delay, action);

    /// <summary>Runs the next event, if any. Returns false when the queue is empty.</summary>
    public bool Step()
    {
        EnterRun();
        try
        {
            if (!_queue.TryDequeue(out var ev, out var key))
            {
                return false;
            }

            _now = new TimeSpan(key.Ticks);
            Dispatch(ev);
            return true;
        }
        finally
        {
            _running = false;
        }
    }

    /// <summary>Runs every event due at or before <paramref name="until"/>, then sets the clock to it. Returns the number of events run.</summary>
    public long Run(TimeSpan until)
    {
        EnterRun();
        try
        {
            long count = 0;
            while (_queue.TryPeek(out _, out var key) && key.Ticks <= until.Ticks)
            {
                var ev = _queue.Dequeue();
                _now = new TimeSpan(key.Ticks);
                Dispatch(ev);
                count++;
            }

            if (until > _now)
            {
                _now = until;
            }

            return count;
        }
        finally
        {
            _running = false;
        }
    }

    /// <summary>Runs for <paramref name="duration"/> of virtual time.</summary>
    public long RunFor(TimeSpan duration)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(duration, TimeSpan.Zero);
        return Run(_now + duration);
    }

    /// <summary>
    /// Runs events until <paramref name="condition"/> holds (checked before and after each event) or
    /// <paramref name="timeout"/> of virtual time has passed. Returns whether the condition holds; on timeout the clock
    /// is at the deadline.
    /// </summary>
    public bool RunUntil(Func<bool> condition, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentOutOfRangeException.ThrowIfLessThan(timeout, TimeSpan.Zero);
        TimeSpan deadline = _now + timeout;
        if (condition())
        {
            return true;
        }

        EnterRun();
        try
        {
            while (_queue.TryPeek(out _, out var key) && key.Ticks <= deadline.Ticks)
            {
                var ev = _queue.Dequeue();
                _now = new TimeSpan(key.Ticks);
                Dispatch(ev);
                if (condition())
                {
                    return true;
                }
            }

            _now = deadline;
        }
        finally
        {
            _running = false;
        }

        return condition();
    }

    // ---------------------------------------------------------------- internals

    internal void SendFromHost(SimHost host, SimEndpoint from, SimEndpoint to, ReadOnlySpan<byte> payload)
    {
        if (from.Address is null || to.Address is null)
        {
            throw new ArgumentException("Endpoints must have an address.");
        }

        if (payload.Length > MaxDatagramSize)
        {
            throw new ArgumentException($"Datagram of {payload.Length} bytes exceeds {MaxDatagramSize}.", nameof(payload));
        }

        long id = ++_packetIds;
        Statistics.Sent++;
        Statistics.BytesSent += payload.Length;
        if (Tracing)
        {
            Record(TraceKind.Sent, id, host.Name, from, to, payload.Length, DropReason.None, default, default);
        }

        var iface = host.IsRemoved ? null : host.FindInterface(from.Address);
        if (iface is null)
        {
            Discard(host.Name, id, from, to, payload.Length, DropReason.SourceNotOwned);
            return;
        }

        if (!iface.IsUp)
        {
            Discard(host.Name, id, from, to, payload.Length, DropReason.LinkDown);
            return;
        }

        byte[] buffer = _pool.Rent(payload.Length);
        payload.CopyTo(buffer);
        Forward(iface.Realm, new SimEndpoint(iface.Address, from.Port), to, buffer, payload.Length, id, 0, iface.EffectiveProfile, host.Name);
    }

    /// <summary>
    /// Routes a packet within <paramref name="realm"/> and queues its arrival at the next hop, after crossing the
    /// <paramref name="egress"/> link and the receiving attachment's link. Takes ownership of <paramref name="buffer"/>.
    /// </summary>
    internal void Forward(Realm realm, SimEndpoint source, SimEndpoint destination, byte[] buffer, int length, long id, int hops, LinkProfile egress, string where)
    {
        SimEventKind kind;
        object target;
        LinkProfile? ingress = null;
        if (realm.Interfaces.TryGetValue(destination.Address, out var iface))
        {
            kind = SimEventKind.Deliver;
            target = iface;
            ingress = iface.EffectiveProfile;
        }
        else if (realm.NatAddresses.TryGetValue(destination.Address, out var nat))
        {
            kind = SimEventKind.NatInbound;
            target = nat;
        }
        else if (realm.Gateway is { } gateway)
        {
            kind = SimEventKind.NatOutbound;
            target = gateway;
        }
        else
        {
            DropPacket(where, id, source, destination, buffer, length, DropReason.NoRoute);
            return;
        }

        TimeSpan delay = TimeSpan.Zero;
        bool duplicate = false;
        if (!egress.IsIdeal)
        {
            if (Random.Chance(egress.Loss))
            {
                DropPacket(where, id, source, destination, buffer, length, DropReason.Loss);
                return;
            }

            delay += egress.SampleDelay(Random);
            duplicate = Random.Chance(egress.Duplication);
        }

        if (ingress is not null && !ingress.IsIdeal)
        {
            if (Random.Chance(ingress.Loss))
            {
                DropPacket(where, id, source, destination, buffer, length, DropReason.Loss);
                return;
            }

            delay += ingress.SampleDelay(Random);
            duplicate |= Random.Chance(ingress.Duplication);
        }

        var ev = new SimEvent
        {
            Kind = kind,
            Hops = hops,
            Length = length,
            Target = target,
            Source = source,
            Destination = destination,
            Buffer = buffer,
            Id = id,
        };
        Enqueue(_now + delay, ev);

        if (duplicate)
        {
            Statistics.Duplicated++;
            if (Tracing)
            {
                Record(TraceKind.Duplicated, id, where, source, destination, length, DropReason.None, default, default);
            }

            byte[] copy = _pool.Rent(length);
            buffer.AsSpan(0, length).CopyTo(copy);
            ev.Buffer = copy;
            TimeSpan copyDelay = egress.SampleDelay(Random) + (ingress?.SampleDelay(Random) ?? TimeSpan.Zero);
            Enqueue(_now + copyDelay, ev);
        }
    }

    /// <summary>Counts and traces a dropped packet and returns its buffer to the pool.</summary>
    internal void DropPacket(string where, long id, SimEndpoint source, SimEndpoint destination, byte[] buffer, int length, DropReason reason)
    {
        _pool.Return(buffer);
        Discard(where, id, source, destination, length, reason);
    }

    internal void Record(TraceKind kind, long id, string where, SimEndpoint source, SimEndpoint destination, int length, DropReason reason, SimEndpoint newSource, SimEndpoint newDestination)
    {
        var record = new TraceRecord(_now, kind, id, where, source, destination, length, reason, newSource, newDestination);
        _trace?.Add(record);
        _traceWriter?.WriteLine(record.ToString());
    }

    internal void SetTimer(SimHost host, TimeSpan at)
    {
        if (host.IsRemoved)
        {
            return;
        }

        if (at < _now)
        {
            at = _now;
        }

        host.TimerDue = at;
        if (host.TimerQueuedAt is { } queued && queued <= at)
        {
            return; // the queued entry comes first and will re-queue itself for the later time
        }

        EnqueueTimer(host, at);
    }

    private void EnqueueTimer(SimHost host, TimeSpan at)
    {
        host.TimerGeneration++;
        host.TimerQueuedAt = at;
        Enqueue(at, new SimEvent { Kind = SimEventKind.Timer, Target = host, Id = host.TimerGeneration });
    }

    private void Discard(string where, long id, SimEndpoint source, SimEndpoint destination, int length, DropReason reason)
    {
        Statistics.CountDrop(reason);
        if (Tracing)
        {
            Record(TraceKind.Dropped, id, where, source, destination, length, reason, default, default);
        }
    }

    private void Enqueue(TimeSpan at, in SimEvent ev) => _queue.Enqueue(ev, new EventKey(at.Ticks, _sequence++));

    private void Dispatch(in SimEvent ev)
    {
        Statistics.EventsProcessed++;
        switch (ev.Kind)
        {
            case SimEventKind.Deliver:
                Deliver(ev);
                break;
            case SimEventKind.NatOutbound:
                ((NatBox)ev.Target!).HandleOutbound(ev);
                break;
            case SimEventKind.NatInbound:
                ((NatBox)ev.Target!).HandleInbound(ev);
                break;
            case SimEventKind.Timer:
                FireTimer((SimHost)ev.Target!, ev.Id);
                break;
            case SimEventKind.Action:
                ((Action)ev.Target!)();
                break;
        }
    }

    private void Deliver(in SimEvent ev)
    {
        var iface = (SimInterface)ev.Target!;
        var host = iface.Host;
        byte[] buffer = ev.Buffer!;
        if (!iface.IsAttached || host.IsRemoved)
        {
            DropPacket(host.Name, ev.Id, ev.Source, ev.Destination, buffer, ev.Length, DropReason.AddressGone);
            return;
        }

        if (!iface.IsUp)
        {
            DropPacket(host.Name, ev.Id, ev.Source, ev.Destination, buffer, ev.Length, DropReason.LinkDown);
            return;
        }

        Statistics.Delivered++;
        Statistics.BytesDelivered += ev.Length;
        if (Tracing)
        {
            Record(TraceKind.Delivered, ev.Id, host.Name, ev.Source, ev.Destination, ev.Length, DropReason.None, default, default);
        }

        try
        {
            host.Node.OnDatagram(host.Context, new SimEndpoint(iface.Address, ev.Destination.Port), ev.Source, buffer.AsSpan(0, ev.Length));
        }
        finally
        {
            _pool.Return(buffer);
        }
    }

    private void FireTimer(SimHost host, long generation)
    {
        if (host.IsRemoved || generation != host.TimerGeneration)
        {
            return;
        }

        host.TimerQueuedAt = null;
        if (host.TimerDue is not { } due)
        {
            return;
        }

        if (due > _now)
        {
            EnqueueTimer(host, due);
            return;
        }

        host.TimerDue = null;
        Statistics.TimersFired++;
        host.Node.OnTimer(host.Context);
    }

    private SimInterface Attach(SimHost host, Realm realm, IPAddress address, LinkProfile? profile)
    {
        var iface = new SimInterface(host, realm, address, profile);
        realm.Interfaces.Add(address, iface);
        host.MutableInterfaces.Add(iface);
        return iface;
    }

    private static void Detach(SimInterface iface)
    {
        iface.IsAttached = false;
        iface.Realm.Interfaces.Remove(iface.Address);
        iface.Host.MutableInterfaces.Remove(iface);
    }

    private void EnterRun()
    {
        if (_running)
        {
            throw new InvalidOperationException("The simulation is already running (Run was called from inside an event).");
        }

        _running = true;
    }

    private void CheckOwned(Realm realm)
    {
        if (realm.Simulation != this)
        {
            throw new ArgumentException($"Realm '{realm.Name}' belongs to another simulation.", nameof(realm));
        }
    }

    private void CheckOwned(SimHost host)
    {
        if (host.Simulation != this)
        {
            throw new ArgumentException($"Host '{host.Name}' belongs to another simulation.", nameof(host));
        }
    }
}
