using System.Net;

namespace Hipnat.Simulator;

/// <summary>
/// A NAT joining an inside realm to an outside realm through one or more public addresses, with the RFC 4787
/// behaviour given by <see cref="Behavior"/>. Mappings expire lazily: a mapping idle for the timeout is treated as
/// gone the next time anything looks at it. With <see cref="NatBehavior.KeepsUnsolicitedState"/> it also remembers
/// unsolicited inbound flows and moves an outbound flow that would collide with one to another port.
/// </summary>
public sealed class NatBox
{
    private const int MinPurgeThreshold = 1024;
    private const int RandomPortAttempts = 64;

    private readonly Simulation _sim;
    private IPAddress[] _publicAddresses;
    private readonly Dictionary<NatMappingKey, NatMapping> _byKey = [];
    private readonly Dictionary<SimEndpoint, NatMapping> _byExternal = [];

    // Paired address pooling (RFC 4787 REQ-2): inside address -> its public address and the number of mappings that
    // use it. The pairing only binds while the inside address has mappings, so it goes with the last one; a NAT that
    // kept one entry per inside address it ever saw would grow with every host that came and went.
    private readonly Dictionary<IPAddress, Pairing> _pairing = [];

    // Unsolicited inbound entries (remote endpoint, public endpoint) -> last packet seen (KeepsUnsolicitedState).
    private readonly Dictionary<(SimEndpoint Remote, SimEndpoint Public), TimeSpan> _unsolicited = [];
    private readonly SimRandom _random;
    private int _nextPublic;
    private int _nextPort;
    private long _nextMappingId;
    private int _purgeThreshold = MinPurgeThreshold;
    private int _unsolicitedPurgeThreshold = MinPurgeThreshold;

    internal NatBox(Simulation sim, int index, string name, Realm inside, Realm outside, NatBehavior behavior, IPAddress[] publicAddresses)
    {
        _sim = sim;
        Index = index;
        Name = name;
        Inside = inside;
        Outside = outside;
        Behavior = behavior;
        _publicAddresses = publicAddresses;
        _random = new SimRandom(sim.Seed, 0x2_0000_0000UL + (ulong)index);
        _nextPort = behavior.PortRangeStart;
        Statistics = new NatStatistics(this);
    }

    /// <summary>Dense index of the NAT in its simulation, starting at 0.</summary>
    public int Index { get; }

    public string Name { get; }

    /// <summary>The private realm whose gateway this NAT is.</summary>
    public Realm Inside { get; }

    /// <summary>The realm its public addresses live in.</summary>
    public Realm Outside { get; }

    public NatBehavior Behavior { get; }

    public IReadOnlyList<IPAddress> PublicAddresses => _publicAddresses;

    /// <summary>The link a packet crosses when the NAT forwards it (either direction).</summary>
    public LinkProfile Profile
    {
        get;
        set => field = value ?? throw new ArgumentNullException(nameof(value));
    } = LinkProfile.Ideal;

    public NatStatistics Statistics { get; }

    /// <summary>Number of live mappings.</summary>
    public int ActiveMappingCount
    {
        get
        {
            Purge();
            return _byExternal.Count;
        }
    }

    /// <summary>A snapshot of the live mappings, oldest first.</summary>
    public IReadOnlyList<NatMapping> Mappings
    {
        get
        {
            Purge();
            var list = new List<NatMapping>(_byExternal.Values);
            list.Sort(static (a, b) => a.Id.CompareTo(b.Id));
            return list;
        }
    }

    /// <summary>Number of inside addresses paired with a public address (RFC 4787 REQ-2), at most one per inside
    /// address that has a mapping; expired mappings are purged first.</summary>
    public int PairedAddressCount
    {
        get
        {
            Purge();
            return _pairing.Count;
        }
    }

    /// <summary>Whether <paramref name="address"/> is one of this NAT's public addresses.</summary>
    public bool IsPublicAddress(IPAddress address) => Array.IndexOf(_publicAddresses, address) >= 0;

    /// <summary>Number of live unsolicited inbound entries (<see cref="NatBehavior.KeepsUnsolicitedState"/>).</summary>
    public int ActiveUnsolicitedCount
    {
        get
        {
            PurgeUnsolicited();
            return _unsolicited.Count;
        }
    }

    /// <summary>Whether an unsolicited inbound entry from <paramref name="remote"/> to the public endpoint
    /// <paramref name="external"/> is alive (<see cref="NatBehavior.KeepsUnsolicitedState"/>).</summary>
    public bool HasUnsolicitedEntry(SimEndpoint remote, SimEndpoint external) => IsUnsolicited(remote, external);

    /// <summary>The live mapping that an inside packet from <paramref name="inside"/> to <paramref name="remote"/> would use.</summary>
    public NatMapping? FindMapping(SimEndpoint inside, SimEndpoint remote)
    {
        if (Behavior.KeepsUnsolicitedState && _byKey.TryGetValue(FlowKey(inside, remote), out var flow) && flow.IsSingleFlow && !flow.IsExpired(_sim.Now))
        {
            return flow;
        }

        var key = NatMappingKey.For(Behavior.Mapping, inside, remote);
        return _byKey.TryGetValue(key, out var m) && !m.IsExpired(_sim.Now) ? m : null;
    }

    /// <summary>The live mapping using external endpoint <paramref name="external"/>.</summary>
    public NatMapping? FindByExternal(SimEndpoint external) =>
        _byExternal.TryGetValue(external, out var m) && !m.IsExpired(_sim.Now) ? m : null;

    /// <summary>Forgets every mapping at once, as a NAT reboot would.</summary>
    public void ClearMappings()
    {
        _byKey.Clear();
        _byExternal.Clear();
        _pairing.Clear();
        _unsolicited.Clear();
    }

    /// <summary>
    /// Gives the NAT new public addresses and forgets every mapping, as an ISP renumbering the NAT's uplink (or a
    /// carrier NAT moving a subscriber to another pool) would: the inside hosts see no change of their own, and
    /// their next packets leave from the new address.
    /// </summary>
    public void Renumber(params IPAddress[] publicAddresses)
    {
        ArgumentNullException.ThrowIfNull(publicAddresses);
        if (publicAddresses.Length == 0)
        {
            throw new ArgumentException("A NAT needs at least one public address.", nameof(publicAddresses));
        }

        foreach (var address in publicAddresses)
        {
            if (Outside.NatAddresses.TryGetValue(address, out var owner) && owner != this)
            {
                throw new InvalidOperationException($"Public address {address} belongs to NAT '{owner.Name}'.");
            }
        }

        foreach (var address in _publicAddresses)
        {
            Outside.NatAddresses.Remove(address);
        }

        foreach (var address in publicAddresses)
        {
            Outside.CheckFree(address);
            Outside.NatAddresses.Add(address, this);
        }

        _publicAddresses = (IPAddress[])publicAddresses.Clone();
        _nextPublic = 0;
        ClearMappings();
    }

    public override string ToString() => Name;

    internal void HandleOutbound(in SimEvent ev)
    {
        byte[] buffer = ev.Buffer!;
        if (ev.Hops >= Simulation.MaxHops)
        {
            _sim.DropPacket(Name, ev.Id, ev.Source, ev.Destination, buffer, ev.Length, DropReason.HopLimit);
            return;
        }

        SimEndpoint source = ev.Source;
        SimEndpoint destination = ev.Destination;
        bool hairpin = IsPublicAddress(destination.Address);
        if (hairpin && !Behavior.Hairpinning)
        {
            Statistics.DroppedHairpin++;
            _sim.DropPacket(Name, ev.Id, source, destination, buffer, ev.Length, DropReason.HairpinDisabled);
            return;
        }

        var mapping = GetOrCreate(source, destination);
        if (mapping is not null && Behavior.KeepsUnsolicitedState && !hairpin)
        {
            mapping = AvoidUnsolicitedCollision(mapping, source, destination);
        }

        if (mapping is null)
        {
            Statistics.DroppedPortExhausted++;
            _sim.DropPacket(Name, ev.Id, source, destination, buffer, ev.Length, DropReason.PortExhausted);
            return;
        }

        mapping.Permit(Behavior.Filtering, destination);
        mapping.LastRefreshed = _sim.Now;
        mapping.PacketsOut++;
        if (hairpin)
        {
            Inbound(source, mapping.External, destination, buffer, ev.Length, ev.Id, ev.Hops, hairpin: true);
            return;
        }

        Statistics.OutboundTranslated++;
        _sim.Statistics.Translated++;
        if (_sim.Tracing)
        {
            _sim.Record(TraceKind.Translated, ev.Id, Name, source, destination, ev.Length, DropReason.None, mapping.External, destination);
        }

        _sim.Forward(Outside, mapping.External, destination, buffer, ev.Length, ev.Id, ev.Hops + 1, Profile, Name);
    }

    internal void HandleInbound(in SimEvent ev)
    {
        if (ev.Hops >= Simulation.MaxHops)
        {
            _sim.DropPacket(Name, ev.Id, ev.Source, ev.Destination, ev.Buffer!, ev.Length, DropReason.HopLimit);
            return;
        }

        Inbound(ev.Source, ev.Source, ev.Destination, ev.Buffer!, ev.Length, ev.Id, ev.Hops, hairpin: false);
    }

    /// <summary>Translates a packet addressed to a public endpoint towards the inside. <paramref name="originalSource"/> differs from <paramref name="source"/> for hairpinned packets.</summary>
    private void Inbound(SimEndpoint originalSource, SimEndpoint source, SimEndpoint destination, byte[] buffer, int length, long id, int hops, bool hairpin)
    {
        if (!_byExternal.TryGetValue(destination, out var mapping) || mapping.IsExpired(_sim.Now))
        {
            if (mapping is not null)
            {
                Expire(mapping);
            }

            Statistics.DroppedNoMapping++;
            RecordUnsolicited(source, destination, hairpin);
            _sim.DropPacket(Name, id, originalSource, destination, buffer, length, DropReason.NoMapping);
            return;
        }

        if (!mapping.Allows(Behavior.Filtering, source))
        {
            Statistics.DroppedFiltered++;
            RecordUnsolicited(source, destination, hairpin);
            _sim.DropPacket(Name, id, originalSource, destination, buffer, length, DropReason.Filtered);
            return;
        }

        if (Behavior.InboundRefresh)
        {
            mapping.LastRefreshed = _sim.Now;
        }

        mapping.PacketsIn++;
        mapping.Replied = true;
        _sim.Statistics.Translated++;
        if (hairpin)
        {
            Statistics.Hairpinned++;
            _sim.Statistics.Hairpinned++;
        }
        else
        {
            Statistics.InboundTranslated++;
        }

        if (_sim.Tracing)
        {
            _sim.Record(hairpin ? TraceKind.Hairpinned : TraceKind.Translated, id, Name, originalSource, destination, length, DropReason.None, source, mapping.Internal);
        }

        _sim.Forward(Inside, source, mapping.Internal, buffer, length, id, hops + 1, Profile, Name);
    }

    private NatMapping? GetOrCreate(SimEndpoint inside, SimEndpoint remote)
    {
        var key = NatMappingKey.For(Behavior.Mapping, inside, remote);
        if (_byKey.TryGetValue(key, out var existing))
        {
            if (!existing.IsExpired(_sim.Now))
            {
                return existing;
            }

            Expire(existing);
        }

        if (_byExternal.Count >= _purgeThreshold)
        {
            Purge();
            _purgeThreshold = Math.Max(MinPurgeThreshold, _byExternal.Count * 2);
        }

        // A per-destination mapping avoids an unsolicited entry's port up front; a shared one is split per flow later.
        SimEndpoint? avoid = Behavior.KeepsUnsolicitedState && Behavior.Mapping == MappingBehavior.AddressAndPortDependent ? remote : null;
        if (!TryAllocate(inside, avoid, out var external))
        {
            return null;
        }

        var mapping = new NatMapping(++_nextMappingId, key, external, _sim.Now, Behavior.MappingTimeout, UnrepliedTimeout);
        _byKey.Add(key, mapping);
        _byExternal.Add(external, mapping);
        Pair(inside.Address, external.Address);
        Statistics.MappingsCreated++;
        if (_sim.Tracing)
        {
            _sim.Record(TraceKind.MappingCreated, 0, Name, inside, external, 0, DropReason.None, default, default);
        }

        return mapping;
    }

    private TimeSpan? UnrepliedTimeout => Behavior.KeepsUnsolicitedState
        ? (Behavior.UnsolicitedTimeout < Behavior.MappingTimeout ? Behavior.UnsolicitedTimeout : Behavior.MappingTimeout)
        : null;

    private static NatMappingKey FlowKey(SimEndpoint inside, SimEndpoint remote) => new(inside, remote.Address, remote.Port);

    /// <summary>
    /// Linux conntrack (nf_nat_used_tuple): the flow inside → remote through <paramref name="mapping"/> would have the
    /// reply tuple remote → mapping.External; if an unsolicited entry already holds that tuple, the flow is given
    /// another port, for this remote endpoint only.
    /// </summary>
    private NatMapping? AvoidUnsolicitedCollision(NatMapping mapping, SimEndpoint inside, SimEndpoint remote)
    {
        if (Behavior.Mapping == MappingBehavior.AddressAndPortDependent)
        {
            return mapping; // Already one mapping per remote endpoint, allocated around the entries.
        }

        var key = FlowKey(inside, remote);
        if (_byKey.TryGetValue(key, out var flow))
        {
            if (!flow.IsExpired(_sim.Now))
            {
                return flow;
            }

            Expire(flow);
        }

        if (!IsUnsolicited(remote, mapping.External))
        {
            return mapping;
        }

        if (!TryAllocate(inside, remote, out var external))
        {
            return null;
        }

        flow = new NatMapping(++_nextMappingId, key, external, _sim.Now, Behavior.MappingTimeout, UnrepliedTimeout, singleFlow: true);
        _byKey.Add(key, flow);
        _byExternal.Add(external, flow);
        Pair(inside.Address, external.Address);
        Statistics.MappingsCreated++;
        Statistics.PortCollisions++;
        if (_sim.Tracing)
        {
            _sim.Record(TraceKind.MappingCreated, 0, Name, inside, external, 0, DropReason.None, default, default);
        }

        return flow;
    }

    private void RecordUnsolicited(SimEndpoint remote, SimEndpoint external, bool hairpin)
    {
        if (!Behavior.KeepsUnsolicitedState || hairpin)
        {
            return;
        }

        if (!IsUnsolicited(remote, external))
        {
            Statistics.UnsolicitedEntries++;
            if (_unsolicited.Count >= _unsolicitedPurgeThreshold)
            {
                PurgeUnsolicited();
                _unsolicitedPurgeThreshold = Math.Max(MinPurgeThreshold, _unsolicited.Count * 2);
            }
        }

        _unsolicited[(remote, external)] = _sim.Now;
    }

    private bool IsUnsolicited(SimEndpoint remote, SimEndpoint external)
    {
        if (!_unsolicited.TryGetValue((remote, external), out var seen))
        {
            return false;
        }

        if (_sim.Now < seen + Behavior.UnsolicitedTimeout)
        {
            return true;
        }

        _unsolicited.Remove((remote, external));
        return false;
    }

    private void PurgeUnsolicited()
    {
        TimeSpan now = _sim.Now;
        List<(SimEndpoint, SimEndpoint)>? expired = null;
        foreach (var (key, seen) in _unsolicited)
        {
            if (now >= seen + Behavior.UnsolicitedTimeout)
            {
                (expired ??= []).Add(key);
            }
        }

        foreach (var key in expired ?? [])
        {
            _unsolicited.Remove(key);
        }
    }

    /// <param name="remote">When set, ports whose tuple with this remote endpoint an unsolicited entry holds are skipped.</param>
    private bool TryAllocate(SimEndpoint inside, SimEndpoint? remote, out SimEndpoint external)
    {
        // Paired address pooling (RFC 4787 REQ-2): an internal address always uses the same public address.
        IPAddress address;
        if (_pairing.TryGetValue(inside.Address, out var pairing))
        {
            address = pairing.Public;
        }
        else
        {
            address = _publicAddresses[_nextPublic];
            _nextPublic = (_nextPublic + 1) % _publicAddresses.Length;
        }

        if (Behavior.PortPreservation && inside.Port > 0 && Usable(external = new SimEndpoint(address, inside.Port), remote))
        {
            return true;
        }

        int start = Behavior.PortRangeStart;
        int size = Behavior.PortRangeEnd - start + 1;
        if (size <= 0)
        {
            external = default;
            return false;
        }

        if (Behavior.PortAllocation == PortAllocation.Random)
        {
            for (int i = 0; i < RandomPortAttempts; i++)
            {
                external = new SimEndpoint(address, start + (int)_random.NextInt64(size));
                if (Usable(external, remote))
                {
                    return true;
                }
            }
        }

        int offset = Math.Clamp(_nextPort - start, 0, size - 1);
        for (int i = 0; i < size; i++)
        {
            int port = start + ((offset + i) % size);
            external = new SimEndpoint(address, port);
            if (Usable(external, remote))
            {
                _nextPort = port == Behavior.PortRangeEnd ? start : port + 1;
                return true;
            }
        }

        external = default;
        return false;
    }

    private bool Usable(SimEndpoint external, SimEndpoint? remote) => IsFree(external) && (remote is not { } r || !IsUnsolicited(r, external));

    private bool IsFree(SimEndpoint external)
    {
        if (!_byExternal.TryGetValue(external, out var mapping))
        {
            return true;
        }

        if (mapping.IsExpired(_sim.Now))
        {
            Expire(mapping);
            return true;
        }

        return false;
    }

    /// <summary>A new mapping of <paramref name="inside"/> on <paramref name="external"/>: the pairing holds while it lives.</summary>
    private void Pair(IPAddress inside, IPAddress external)
    {
        if (_pairing.TryGetValue(inside, out var pairing))
        {
            pairing.Mappings++;
        }
        else
        {
            _pairing.Add(inside, new Pairing(external) { Mappings = 1 });
        }
    }

    private void Expire(NatMapping mapping)
    {
        _byKey.Remove(mapping.Key);
        _byExternal.Remove(mapping.External);
        if (_pairing.TryGetValue(mapping.Internal.Address, out var pairing) && --pairing.Mappings == 0)
        {
            _pairing.Remove(mapping.Internal.Address);
        }

        Statistics.MappingsExpired++;
        if (_sim.Tracing)
        {
            _sim.Record(TraceKind.MappingExpired, 0, Name, mapping.Internal, mapping.External, 0, DropReason.None, default, default);
        }
    }

    private void Purge()
    {
        TimeSpan now = _sim.Now;
        List<NatMapping>? expired = null;
        foreach (var mapping in _byExternal.Values)
        {
            if (mapping.IsExpired(now))
            {
                (expired ??= []).Add(mapping);
            }
        }

        if (expired is null)
        {
            return;
        }

        expired.Sort(static (a, b) => a.Id.CompareTo(b.Id));
        foreach (var mapping in expired)
        {
            Expire(mapping);
        }
    }

    private sealed class Pairing(IPAddress publicAddress)
    {
        public IPAddress Public { get; } = publicAddress;

        public int Mappings { get; set; }
    }
}
