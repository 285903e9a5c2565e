using System.Net;
using Hipnat.Core.Association;
using Hipnat.Core.Host;
using Hipnat.Core.Transport;
using Hipnat.DataPlane.Beet;
using Hipnat.DataPlane.Tun;
using Hipnat.Runtime.Control;
using Hipnat.Runtime.Transports;
using Hipnat.Wire;
using Microsoft.Extensions.Logging;

namespace Hipnat.Runtime.DataPlane;

/// <summary>
/// Puts the data plane into the daemon: creates and configures the TUN interface (HIT/28, LSI, MTU), runs the TUN
/// reader thread, hands ESP from the UDP sockets — and, with the raw HIP transport, from raw IP protocol 50 sockets
/// (<see cref="RawEspTransport"/>) — to the <see cref="DataPlaneEngine"/>, and turns the core's events
/// into SA installs, route changes and removals. The <c>On*</c> methods run on the daemon's driver thread, which
/// owns the <see cref="HipHost"/>.
/// </summary>
public sealed class DataPlaneService : IDisposable
{
    /// <summary>How often ESP activity reaches the core: the grain of its path liveness (HipHostOptions.PathSilenceTimeout).</summary>
    private static readonly TimeSpan TickInterval = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan RouteRefreshInterval = TimeSpan.FromSeconds(1);

    /// <summary>How often the multihoming lanes' weights are recomputed from RTT and loss (docs/multihoming.md).</summary>
    private static readonly TimeSpan LaneRefreshInterval = TimeSpan.FromMilliseconds(250);

    private readonly HipHost _host;
    private readonly ILogger _logger;
    private readonly TunDevice[] _queues;
    private readonly IEspTransport? _espTransport;
    private readonly RawEspTransport? _rawEsp;
    private readonly WarningThrottle _noLocator = new(TimeSpan.FromSeconds(5));
    private Action<Action>? _post;
    private Func<TimeSpan> _clock = () => TimeSpan.Zero;
    private readonly List<Thread> _readers = [];
    private readonly HashSet<uint> _rekeyRequested = [];
    private TimeSpan? _lastTick;
    private TimeSpan? _lastRouteRefresh;
    private TimeSpan? _lastLaneRefresh;
    private int _disposed;

    /// <summary>A service around an existing engine; <paramref name="tun"/> may be null (tests without a device).</summary>
    /// <param name="rawEsp">ESP over IP protocol 50 for raw HIP associations; owned (started and disposed) by the service.</param>
    public DataPlaneService(
        DataPlaneEngine engine, HipHost host, TunDevice? tun, string device, int mtu, ILogger logger, IEspTransport? espTransport = null, RawEspTransport? rawEsp = null,
        TunDevice[]? moreQueues = null)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(host);
        Engine = engine;
        _host = host;
        _queues = tun is null ? [] : [tun, .. moreQueues ?? []];
        Device = device;
        Mtu = mtu;
        _logger = logger;
        _espTransport = espTransport;
        _rawEsp = rawEsp;
        engine.ConnectRequested = OnConnectRequested;
        engine.NewSourceNoted = OnNewSourceNoted;
    }

    public DataPlaneEngine Engine { get; }

    /// <summary>TURN allocations whose ChannelData the UDP receive threads unwrap before the engine (null: none).</summary>
    public Turn.TurnRelayTable? TurnRelays { get; init; }

    public string Device { get; }

    public int Mtu { get; }

    /// <summary>
    /// Creates the data plane the settings ask for, or returns null when it is off. When it was merely on by default
    /// (root) and cannot be set up, logs a warning and returns null; when the user asked for it, throws
    /// <see cref="TransportException"/>.
    /// </summary>
    /// <param name="turn">The daemon's TURN allocations: ESP on routes from a relayed address goes through the TURN server as ChannelData, and ChannelData from it is unwrapped; null without TURN servers.</param>
    public static DataPlaneService? Create(DataPlaneSettings settings, HipHost host, IReadOnlyList<IHipTransport> transports, bool registrar, ILogger logger, Turn.TurnRelayTable? turn = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(transports);
        if (!settings.IsEnabled)
        {
            return null;
        }

        if (registrar && settings.Enabled is null)
        {
            // A relay's ESP is other hosts' traffic; its own tunnel only on request.
            logger.LogInformation("data plane off on a registrar (set \"tun\": {{ \"enabled\": true }} to reach peers by HIT from this host)");
            return null;
        }

        var esp = transports.OfType<IEspTransport>().FirstOrDefault();
        var rawHip = transports.OfType<RawHipTransport>().FirstOrDefault();
        if (esp is null && rawHip is null)
        {
            return Unavailable(settings, logger, "no transport can carry ESP");
        }

        if (!TunDevice.IsSupported)
        {
            return Unavailable(settings, logger, "creating a TUN device needs root (CAP_NET_ADMIN) and /dev/net/tun");
        }

        // Raw HIP associations carry ESP straight over IP (protocol 50), from the addresses raw HIP listens on.
        RawEspTransport? rawEsp = null;
        if (rawHip is not null)
        {
            try
            {
                rawEsp = new RawEspTransport(rawHip.LocalAddresses.Select(a => a.Address).ToArray(), logger);
            }
            catch (TransportException e) when (esp is not null)
            {
                logger.LogWarning("data plane: raw HIP associations carry no ESP: {Error}", e.Message);
            }
            catch (TransportException e)
            {
                return Unavailable(settings, logger, $"ESP over IP protocol 50: {e.Message}");
            }
        }

        var network = ChooseLsiNetwork(settings, logger);
        LsiAllocator lsis;
        try
        {
            lsis = new LsiAllocator(network, settings.LocalLsi);
        }
        catch (ArgumentException e)
        {
            rawEsp?.Dispose();
            throw new TransportException($"tun: {e.Message}", e);
        }

        TunDevice? tun = null;
        var moreQueues = new List<TunDevice>();
        try
        {
            var offloads = settings.Offload ? TunDevice.AllOffloads : TunOffloads.None;
            tun = TunDevice.Create(settings.Name, multiQueue: settings.Queues > 1, offloads: offloads);
            for (int i = 1; i < settings.Queues; i++)
            {
                // Every queue is opened with the first one's flags (the kernel refuses a queue without IFF_VNET_HDR
                // beside one with it).
                moreQueues.Add(TunDevice.Create(tun.Name, multiQueue: true, offloads: tun.VnetHeaderLength > 0 ? offloads : TunOffloads.None));
            }

            EnableIpv6(tun.Name);
            new TunConfigurator().ConfigureHipInterface(tun.Name, host.LocalHit, BeetPacket.FromLsi(lsis.LocalLsi), settings.Mtu, network);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or UnauthorizedAccessException or System.ComponentModel.Win32Exception)
        {
            moreQueues.ForEach(q => q.Dispose());
            tun?.Dispose();
            rawEsp?.Dispose();
            return Unavailable(settings, logger, $"cannot set up TUN interface {settings.Name}{(settings.Queues > 1 ? $" with {settings.Queues} queues" : string.Empty)}: {e.Message}");
        }

        var options = new DataPlaneOptions
        {
            GcmKeyBits = host.Options.EspGcmKeyBits,
            Mtu = settings.Mtu,
            ReplayWindowSize = settings.ReplayWindow,
            SaPacketLimit = settings.RekeyAfterPackets,
            SaByteLimit = settings.RekeyAfterBytes,
            SaLifetime = settings.RekeyAfter,

            // NULL encryption (suite 7) only when the configuration lists it (RFC 7402 §3.3.5: never by default).
            AllowNullEncryption = host.Options.EspSuites.Contains((ushort)7),
        };
        IEspSender sender = new SocketEspSender(esp, rawEsp);
        if (turn is not null)
        {
            sender = new Turn.TurnEspSender(sender, turn);
        }

        var engine = new DataPlaneEngine(host.LocalHit, lsis, sender, options, logger)
        {
            PassUnknownSpiToCore = registrar,
        };
        var service = new DataPlaneService(engine, host, tun, tun.Name, settings.Mtu, logger, esp, rawEsp, [.. moreQueues]) { TurnRelays = turn };
        logger.LogInformation(
            "data plane: {Device} up, HIT {Hit}/28, LSI {Lsi} in {Network}, MTU {Mtu}, {Queues} queue(s), offloads {Offloads}{Raw}",
            tun.Name, host.LocalHit, LsiAllocator.Format(lsis.LocalLsi), network, settings.Mtu, settings.Queues,
            !settings.Offload ? "off" : tun.VnetHeaderLength == 0 ? "refused by the kernel (plain TUN)" : tun.Offloads.ToString(),
            rawEsp is null ? string.Empty : $"; ESP over IP protocol 50 on {string.Join(", ", rawEsp.LocalAddresses)}");
        return service;
    }

    /// <summary>
    /// Connects the engine to the daemon: <paramref name="postToDriver"/> runs work on the driver thread,
    /// <paramref name="clock"/> is the daemon's clock (the core's time). Starts the TUN reader and takes ESP from the sockets.
    /// </summary>
    public void Start(Action<Action> postToDriver, Func<TimeSpan> clock)
    {
        ArgumentNullException.ThrowIfNull(clock);
        _post = postToDriver;
        _clock = clock;
        if (_queues.Length > 0)
        {
            var adapters = _queues.Select(q => new TunAdapter(q)).ToArray();
            Engine.AttachWriter(adapters.Length == 1 ? adapters[0] : new MultiQueueWriter(adapters));

            // Each queue's reader seals what the kernel steers to it. With several, a batch is kept small: packets
            // of one SA sealed on different queues leave out of sequence order by up to a batch each, well inside
            // the peer's replay window (RFC 4303 §3.4.3).
            int maxBatch = adapters.Length == 1 ? DataPlaneEngine.MaxBatchDatagrams : MultiQueueBatch;
            for (int i = 0; i < adapters.Length; i++)
            {
                var queue = adapters[i];
                int sealer = adapters.Length == 1 ? -1 : i;
                var reader = new Thread(() => Engine.RunReader(queue, maxDatagrams: maxBatch, sealer: sealer))
                {
                    IsBackground = true,
                    Name = adapters.Length == 1 ? $"hipnat-tun {Device}" : $"hipnat-tun/{i}", // the kernel keeps 15 octets of a name
                };
                _readers.Add(reader);
                reader.Start();
            }
        }

        _espTransport?.SetEspReceiver(TurnRelays is null ? Engine : new Turn.TurnEspReceiver(Engine, TurnRelays));
        _rawEsp?.SetEspReceiver(Engine);
        _rawEsp?.Start();
    }

    /// <summary>Driver thread: a peer became known (config, <c>peers add</c>); it gets its LSI now, so it can be reached by LSI before any association.</summary>
    public void OnPeerAdded(Hit peer) => Engine.EnsurePeer(peer);

    /// <summary>Driver thread: reacts to a core event.</summary>
    public void OnEvent(HipEvent ev)
    {
        switch (ev)
        {
            case EspSaReady e:
                RefreshRoute(e.Peer);
                Engine.InstallSa(e.Peer, e.Sa, e.Replaces);
                RefreshLanes(e.Peer);
                break;
            case AssociationEstablished e:
                RefreshRoute(e.Peer);
                break;
            case ActivePathChanged e:
                RefreshRoute(e.Peer);
                RefreshLanes(e.Peer);
                break;
            case PairVerified e:
                Engine.AddAlternateRoute(e.Peer, e.Local, e.Remote);
                break;
            case IceChecksFailed e:
                RefreshRoute(e.Peer);
                break;
            case AssociationClosed e:
                Engine.RemovePeer(e.Peer);
                break;
            case AssociationFailed e:
                Engine.RemovePeer(e.Peer);
                Engine.FailPending(e.Peer);
                break;
        }
    }

    /// <summary>When the driver should run <see cref="OnTurn"/> next, so ESP activity reaches the core every tick.</summary>
    public TimeSpan? TickDue => _lastTick is { } last ? last + TickInterval : null;

    /// <summary>Driver thread, every turn: periodic engine work (rate-limited here) and route refreshes.</summary>
    public void OnTurn(TimeSpan now)
    {
        if (_lastTick is { } last && now - last < TickInterval)
        {
            return;
        }

        _lastTick = now;
        Engine.Tick((peer, sent) => _host.NoteTraffic(peer, now, sent), (peer, local, from) => _host.NotePeerAddress(peer, local, from, now));
        if (_lastLaneRefresh is not { } lanesRefreshed || now - lanesRefreshed >= LaneRefreshInterval)
        {
            _lastLaneRefresh = now;
            foreach (var peer in Engine.Sad.GetAllPairs().Select(p => p.PeerHit).Distinct())
            {
                if (Engine.Sad.GetPairs(peer).Length > 1)
                {
                    RefreshLanes(peer); // several SA pairs: a multihoming lane (or a rekey's old pair, which makes none)
                }
            }
        }

        if (_lastRouteRefresh is not { } refreshed || now - refreshed >= RouteRefreshInterval)
        {
            _lastRouteRefresh = now;
            var pairs = Engine.Sad.GetAllPairs();
            foreach (var peer in pairs.Select(p => p.PeerHit).Distinct())
            {
                RefreshRoute(peer);
            }

            // RFC 7402 §6.8: rekey before a sequence number cycles (or a local SA limit is reached).
            foreach (var pair in pairs)
            {
                if ((pair.Outbound.NeedsRekey || pair.Inbound.NeedsRekey) && Engine.Sad.TryGetActivePair(pair.PeerHit, out var active)
                    && ReferenceEquals(active, pair) && !_rekeyRequested.Contains(pair.Inbound.Spi))
                {
                    if (_host.Rekey(pair.PeerHit, now))
                    {
                        _rekeyRequested.Add(pair.Inbound.Spi);
                        _logger.LogInformation("data plane: SA 0x{Spi:x8} with {Peer} is near its limit; rekeying", pair.Inbound.Spi, pair.PeerHit);
                    }
                    else
                    {
                        _logger.LogDebug("data plane: SA 0x{Spi:x8} with {Peer} is near its limit; rekey not possible yet", pair.Inbound.Spi, pair.PeerHit);
                    }
                }
            }

            _rekeyRequested.RemoveWhere(spi => !Engine.Sad.TryGetInbound(spi, out Hipnat.DataPlane.Esp.EspSaPair _));
        }
    }

    /// <summary>Driver thread: the status section.</summary>
    public DataPlaneReport BuildReport()
    {
        var report = Engine.BuildReport(Device, Mtu);
        report.Queues = _queues.Length;
        report.Offloads = _queues.Length == 0 ? "none" : _queues[0].VnetHeaderLength == 0 ? "none" : _queues[0].Offloads.ToString();
        return report;
    }

    /// <summary>Most datagrams a reader seals before sending when the device has several queues.</summary>
    private const int MultiQueueBatch = 128;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _espTransport?.SetEspReceiver(null);
        _rawEsp?.SetEspReceiver(null);
        _rawEsp?.Dispose();
        foreach (var q in _queues)
        {
            q.Shutdown();
        }

        foreach (var r in _readers)
        {
            r.Join(TimeSpan.FromSeconds(2));
        }

        Engine.Dispose();
        foreach (var q in _queues)
        {
            q.Dispose();
        }
    }

    private static DataPlaneService? Unavailable(DataPlaneSettings settings, ILogger logger, string why)
    {
        if (settings.IsRequired || settings.NameExplicit)
        {
            throw new TransportException($"the data plane (--tun / config \"tun\") cannot start: {why}; or run with --tun off");
        }

        logger.LogWarning("data plane off: {Why} (set \"tun\": {{ \"enabled\": false }} or --tun off to silence this)", why);
        return null;
    }

    /// <summary>
    /// The LSI network: the configured one, or the default unless a local interface already uses addresses in it
    /// (LSIs there would not be routed to the TUN interface); then the other half of the RFC 2544 block, 198.19.0.0/16.
    /// </summary>
    internal static IPNetwork ChooseLsiNetwork(DataPlaneSettings settings, ILogger logger, IReadOnlyList<IPNetwork>? local = null)
    {
        local ??= LocalIpv4Networks();
        var network = settings.LsiNetwork;
        if (FindOverlap(network, local) is not { } clash)
        {
            return network;
        }

        if (!settings.LsiNetworkExplicit && settings.LocalLsi is null)
        {
            var alternative = IPNetwork.Parse("198.19.0.0/16");
            if (FindOverlap(alternative, local) is null)
            {
                logger.LogInformation("data plane: LSI network {Network} overlaps local network {Local}; using {Alternative}", network, clash, alternative);
                return alternative;
            }
        }

        logger.LogWarning(
            "data plane: LSI network {Network} overlaps local network {Local}: LSIs there are not reachable; set \"tun\": {{ \"lsiNetwork\": ... }} to a free IPv4 prefix",
            network, clash);
        return network;
    }

    private static IPNetwork? FindOverlap(IPNetwork network, IReadOnlyList<IPNetwork> local)
    {
        foreach (var l in local)
        {
            if (network.Contains(l.BaseAddress) || l.Contains(network.BaseAddress))
            {
                return l;
            }
        }

        return null;
    }

    private static List<IPNetwork> LocalIpv4Networks()
    {
        var list = new List<IPNetwork>();
        try
        {
            foreach (var nic in System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces())
            {
                foreach (var u in nic.GetIPProperties().UnicastAddresses)
                {
                    if (u.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && !IPAddress.IsLoopback(u.Address))
                    {
                        list.Add(new IPNetwork(Mask(u.Address, u.PrefixLength), u.PrefixLength));
                    }
                }
            }
        }
        catch (System.Net.NetworkInformation.NetworkInformationException)
        {
        }

        return list;
    }

    private static IPAddress Mask(IPAddress address, int prefix)
    {
        uint a = BeetPacket.ToLsi(address);
        uint mask = prefix == 0 ? 0 : uint.MaxValue << (32 - prefix);
        return BeetPacket.FromLsi(a & mask);
    }

    /// <summary>
    /// HITs are IPv6 addresses: IPv6 must be on for the interface even where it is off by default. No link-local
    /// address (addr_gen_mode 1): the interface is point-to-point to HITs only, and without one the kernel sends no
    /// router solicitations or MLD reports into it.
    /// </summary>
    private static void EnableIpv6(string device)
    {
        var conf = $"/proc/sys/net/ipv6/conf/{device}/";
        try
        {
            if (File.Exists(conf + "addr_gen_mode"))
            {
                File.WriteAllText(conf + "addr_gen_mode", "1");
            }
        }
        catch (IOException)
        {
            // Cosmetic; older kernels lack the knob.
        }

        if (File.Exists(conf + "disable_ipv6") && File.ReadAllText(conf + "disable_ipv6").Trim() != "0")
        {
            File.WriteAllText(conf + "disable_ipv6", "0");
        }
    }

    /// <summary>The association's active locator pair (the one towards its peer address).</summary>
    private static LocatorPairInfo? ActivePairOf(AssociationInfo info, TransportAddress remote) =>
        info.Pairs.FirstOrDefault(p => p.State == LocatorPairState.Active && p.Peer == remote && p.Local == info.LocalAddress)
        ?? info.Pairs.FirstOrDefault(p => p.State == LocatorPairState.Active && p.Peer == remote)
        ?? info.Pairs.FirstOrDefault(p => p.Peer == remote);

    /// <summary>ICE is choosing a path (the first time or after a handover) and control runs through a control
    /// relay meanwhile: ESP waits in the queue.</summary>
    private bool WaitsForIce(Hit peer, AssociationInfo? info = null)
    {
        info ??= _host.GetAssociation(peer);
        if (info?.PeerAddress is not { } remote || _host.GetIceSession(peer) is not { Failed: false } ice)
        {
            return false;
        }

        var active = ActivePairOf(info, remote);
        bool controlRelay = active is { ViaDataRelay: false } && (active.RelayedTo is not null || active.ThroughRelay);
        return ice.Selected is null ? controlRelay || active is null : controlRelay;
    }

    private void RefreshRoute(Hit peer)
    {
        var info = _host.GetAssociation(peer);
        if (info?.PeerAddress is not { } remote)
        {
            return;
        }

        var active = ActivePairOf(info, remote);
        bool relayed = active is not null && (active.RelayedTo is not null || active.ThroughRelay || active.ViaDataRelay);

        // While ICE is still looking for a path (first checks, or new ones after a handover), a control relay is no
        // path for ESP (RFC 9028 §4.6: its address is not a data plane destination): hold the packets in the
        // per-peer queue until a pair is selected.
        if (WaitsForIce(peer, info))
        {
            Engine.SetRoute(peer, null, null, false);
            return;
        }

        // A pair from a TURN relayed address goes through the TURN server.
        relayed |= info.LocalAddress is { } local && TurnRelays?.Find(local) is not null;
        Engine.SetRoute(peer, info.LocalAddress, remote, relayed, creditLimited: active is { CreditLimited: true });
    }

    /// <summary>
    /// The association's SA pairs as lanes for the engine (simultaneous multihoming, RFC 8047 §4.2.4): the primary pair
    /// on the active path, each bound pair on its locator pair, usable unless the core reports that path failed or
    /// withdrawn, with the path's measured RTT (the locator pair's, else ICE's check of it).
    /// </summary>
    private void RefreshLanes(Hit peer)
    {
        var info = _host.GetAssociation(peer);
        if (info is null || info.SaPairs.Count < 2 || !info.SaPairs.Any(s => s.BoundLocal is not null))
        {
            if (info is null || info.SaPairs.Count < 2)
            {
                Engine.SetLanes(peer, [], false);
            }

            return;
        }

        var ice = _host.GetIceSession(peer);
        var specs = new List<LaneSpec>(info.SaPairs.Count);
        var primary = info.SaPairs.FirstOrDefault(s => s.BoundLocal is null);
        if (primary is not null && info.PeerAddress is { } remote)
        {
            var active = ActivePairOf(info, remote);
            specs.Add(new LaneSpec(primary.InboundSpi, true, info.LocalAddress ?? default, remote, active?.Rtt ?? TimeSpan.Zero, active is { CreditLimited: false }));
        }

        foreach (var sa in info.SaPairs)
        {
            if (sa.BoundLocal is not { } local || sa.BoundPeer is not { } peerAddress)
            {
                continue;
            }

            var known = info.Pairs.FirstOrDefault(p => p.Local == local && p.Peer == peerAddress);
            var rtt = known is { Rtt.Ticks: > 0 } ? known.Rtt : ice?.CheckList.Find(local, peerAddress)?.Rtt ?? TimeSpan.Zero;
            bool usable = sa.BoundState is not (LocatorPairState.Failed or LocatorPairState.Deprecated or LocatorPairState.Unverified);
            specs.Add(new LaneSpec(sa.InboundSpi, false, local, peerAddress, rtt, usable));
        }

        Engine.SetLanes(peer, specs, _host.MultihomingPolicy == MultihomingPolicy.LoadBalance);
    }

    /// <summary>TUN reader thread: the first packet to a peer without SA was queued; start a base exchange on the driver.</summary>
    /// <summary>Receive thread: a peer's ESP comes from a new address; the core hears of it on the driver at once
    /// (draft §3.3), so a path it has checked already is taken within a packet or two.</summary>
    private void OnNewSourceNoted(Hit peer) => _post?.Invoke(() =>
    {
        if (Engine.TakeNewSource(peer) is { } note)
        {
            _host.NotePeerAddress(peer, note.Local, note.From, _clock());
        }
    });

    private void OnConnectRequested(Hit peer)
    {
        var post = _post;
        if (post is null)
        {
            Engine.FailPending(peer);
            return;
        }

        post(() => ConnectOnDemand(peer));
    }

    private void ConnectOnDemand(Hit peer)
    {
        var now = _clock();
        var state = _host.GetState(peer);
        switch (state)
        {
            case AssociationState.Established or AssociationState.R2Sent:
                RefreshRoute(peer);
                if (Engine.IsReady(peer))
                {
                    Engine.FlushPending(peer);
                }
                else if (WaitsForIce(peer))
                {
                    // ICE is still choosing the path (or choosing again after a handover): the packets wait in the
                    // queue for ActivePathChanged.
                }
                else
                {
                    _noLocator.Warn(_logger, "data plane: the association with {Peer} has no usable ESP SA or locator pair; packets to it are dropped", peer);
                    Engine.FailPending(peer);
                }

                return;
            case AssociationState.I1Sent or AssociationState.I2Sent:
                return; // the exchange is under way; EspSaReady flushes the queue
        }

        if (peer == _host.LocalHit)
        {
            Engine.FailPending(peer);
            return;
        }

        if (_host.GetPeerLocators(peer).Count == 0)
        {
            _noLocator.Warn(_logger, "data plane: packets to {Peer} dropped: no locator known for it; add one with `hipnat peers add {Peer} ADDR:PORT` or --peer", peer, peer);
            Engine.FailPending(peer);
            return;
        }

        try
        {
            _host.Connect(peer, now);
            Engine.CountOnDemandConnect();
            _logger.LogInformation("data plane: connecting to {Peer} at {Locators} for a queued packet", peer, string.Join(", ", _host.GetPeerLocators(peer)));
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            _logger.LogWarning("data plane: cannot connect to {Peer} for queued packets: {Error}", peer, e.Message);
            Engine.FailPending(peer);
        }
    }

    private sealed class TunAdapter(TunDevice tun) : IPacketWriter, ITunReader
    {
        public bool TryWrite(ReadOnlySpan<byte> packet) => tun.TryWrite(packet);

        public bool TryRead(Span<byte> buffer, out int length) => tun.TryRead(buffer, out length);

        public bool TryReadNow(Span<byte> buffer, out int length) => tun.TryReadNow(buffer, out length);

        public int VnetHeaderLength => tun.VnetHeaderLength;
    }
}
