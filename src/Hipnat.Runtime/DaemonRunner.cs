using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Hipnat.Core.Host;
using Hipnat.Core.Transport;
using Hipnat.Runtime.Configuration;
using Hipnat.Runtime.Control;
using Hipnat.Runtime.Metrics;
using Hipnat.Runtime.Netlink;
using Hipnat.Runtime.Service;
using Hipnat.Runtime.Transports;
using Hipnat.Wire.Parameters;
using Microsoft.Extensions.Logging;

namespace Hipnat.Runtime;

/// <summary>
/// Puts a daemon together from <see cref="DaemonSettings"/>: loads the key, opens the transports, creates the
/// core, binds the control socket, and runs until cancelled. Configuration problems throw
/// <see cref="ConfigException"/>; sockets that cannot be opened throw <see cref="TransportException"/>, and a
/// control socket that cannot be created <see cref="ControlSocketException"/>.
/// </summary>
public static class DaemonRunner
{
    /// <summary>How long CLOSE gets to be acknowledged when the daemon stops.</summary>
    public static readonly TimeSpan GracefulClose = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Runs the daemon until <paramref name="cancellationToken"/> is cancelled. With <paramref name="reload"/>, each
    /// request applies the peers and relays of a newly read configuration (<see cref="HipDaemon.ReloadAsync"/>); a
    /// service manager listening on <c>$NOTIFY_SOCKET</c> hears READY=1 once the control socket is up, RELOADING=1
    /// around each reload, and STOPPING=1 (docs/service.md).
    /// </summary>
    public static async Task RunAsync(DaemonSettings settings, ILoggerFactory loggerFactory, CancellationToken cancellationToken, ReloadRequests? reload = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        var logger = loggerFactory.CreateLogger("hipnat");
        settings.Validate();
        var controlAccess = ControlAccessPolicy.ForThisProcess(settings.ControlGroup);
        if (string.IsNullOrWhiteSpace(settings.KeyFile))
        {
            throw new ConfigException("no host identity key: pass --key FILE or set \"keyFile\" in the config file (create a key with `hipnat keygen --out FILE`)");
        }

        using var identity = HostIdentityFile.Load(settings.KeyFile);
        if (HostIdentityFile.HitChangeNotice(identity, settings.KeyFile) is { } notice)
        {
            // The HIT of an ECDSA key changed when HOST_ID started to carry 0x04 | x | y (RFC 7401 §5.2.9, §3.2).
            logger.LogInformation("key {File}: {Notice}", settings.KeyFile, notice);
        }

        if (HostIdentityFile.IsExposed(settings.KeyFile))
        {
            logger.LogWarning("key file {File} is readable by other users; run: chmod 600 {File}", settings.KeyFile, settings.KeyFile);
        }

        using var notifier = SystemdNotifier.FromEnvironment();
        var transports = OpenTransports(settings, logger);
        AddressMonitor? monitor = null;
        HipDaemon? daemon = null;
        ControlServer? control = null;
        MetricsServer? metricsServer = null;
        PrometheusExporter? exporter = null;
        Names.DnsResponder? responder = null;
        try
        {
            // A wildcard listener's locators are the interfaces' addresses: watch them (rtnetlink) and follow changes.
            monitor = ListensOnWildcard(transports) ? OpenAddressMonitor(settings.Mobility, logger) : null;
            var locals = LocalLocators(transports, settings.Ice, settings.Tun.Name, logger, monitor?.Snapshot);
            var registrar = settings.Registrar is { } r ? r.ToOptions(ResolveRelayAddress(r, transports, locals)) : null;
            if (settings.Transport == TransportMode.Raw && settings.Protocol.NatTraversalModes is null)
            {
                // ICE candidates are UDP transport addresses (RFC 9028 §4.2): over raw HIP there is nothing to check.
                settings.Protocol.NatTraversalModes = [NatTraversalMode.UdpEncapsulation];
            }

            var options = settings.Protocol.ToHostOptions(
                identity,
                locals,
                settings.Transport == TransportMode.Raw ? TransportKind.RawHip : TransportKind.Udp,
                registrar,
                settings.Ice,
                settings.Mobility,
                settings.Multihoming);
            var host = new HipHost(options);
            if (logger.IsEnabled(LogLevel.Debug))
            {
                host.DebugLog = message => logger.LogDebug("core: {Message}", message);
            }

            daemon = new HipDaemon(host, transports, logger, identity.Kind.ToString());
            var turnRelays = new Turn.TurnRelayTable();
            if (DataPlane.DataPlaneService.Create(settings.Tun, host, transports, registrar is not null, logger,
                settings.TurnServers.Count > 0 && settings.Transport == TransportMode.Udp ? turnRelays : null) is { } dataPlane)
            {
                daemon.AttachDataPlane(dataPlane);
            }

            daemon.ConfigureIce(settings.Ice, options.EffectiveNatTraversalModes,
                settings.Transport == TransportMode.Udp ? settings.StunServers : [], locals, InterfaceAddresses(monitor?.Snapshot));
            daemon.ConfigureTurn(settings.Transport == TransportMode.Udp ? settings.TurnServers : [], turnRelays);
            foreach (var (peer, locators) in settings.Peers)
            {
                foreach (var locator in locators)
                {
                    daemon.AddPeerLocator(peer, settings.Transport == TransportMode.Raw ? TransportAddress.Raw(locator.Address) : locator);
                }
            }

            foreach (var relay in settings.Relays)
            {
                daemon.AddRelay(relay);
            }

            // The local DNS responder forwards what it does not answer; the daemon's own lookups go there too, never
            // through /etc/resolv.conf, which may name the responder itself once it is the host's resolver.
            var dnsSettings = settings.Dns;
            IReadOnlyList<IPEndPoint>? upstream = null;
            if (settings.DnsResponder.Enabled)
            {
                if (!daemon.HasDataPlane)
                {
                    throw new ConfigException(
                        "--dns-responder / config dnsResponder: the DNS responder answers with HITs and LSIs, which need the ESP data plane, and this daemon has none (see the data plane line above); run as root with /dev/net/tun, or turn the responder off");
                }

                upstream = settings.DnsResponder.ChooseUpstream(settings.Dns, Names.ResolvConf.ReadNameServers(), out var upstreamSource);
                logger.LogDebug("DNS responder: upstream servers {Upstream} from {Source}", string.Join(", ", upstream), upstreamSource);
                if (settings.Dns.Servers.Count == 0)
                {
                    dnsSettings = settings.Dns.WithServers(upstream);
                }
            }

            // Peer names (RFC 8005): the names file first, then the DNS; looked up off the driver thread.
            var clockDaemon = daemon;
            var names = new Names.NameResolver(new Names.DnsClientLookup(dnsSettings), settings.NamesFile ?? Names.NamesFile.DefaultPath,
                namesFileRequired: settings.NamesFile is not null, () => clockDaemon.Now);
            names.LoadNamesFile();
            daemon.AttachNameResolver(names);
            foreach (var name in settings.PeerNames)
            {
                daemon.AddPeerName(name);
            }

            if (settings.Relays.Count > 0 && options.KeepaliveInterval <= TimeSpan.Zero)
            {
                logger.LogWarning("NAT keepalives are off (keepaliveIntervalSeconds 0) while registered with relays: a NAT in front of this host may forget the mapping to the relay; use 15-3600 s");
            }

            var controlPath = ControlSocketPath.Resolve(settings.ControlSocket);
            if (string.IsNullOrWhiteSpace(settings.ControlSocket))
            {
                // The default directory is the daemon's own: create it, or check that nobody else can write to it.
                ControlSocketPath.PrepareDirectory(ControlSocketPath.DefaultDirectory(), ControlSocketPath.DefaultDirectoryMode());
            }

            var metrics = daemon.Metrics;
            control = new ControlServer(controlPath, daemon, logger, new ControlServerOptions { Access = controlAccess, Refused = metrics.ControlRefused });
            if (settings.Metrics is { } endpoint)
            {
                exporter = new PrometheusExporter(daemon.Metrics.Meter);
                var daemonForMetrics = daemon;
                var exporterForMetrics = exporter;
                metricsServer = new MetricsServer(
                    endpoint,
                    async ct =>
                    {
                        await daemonForMetrics.RefreshMetricsAsync(TimeSpan.FromSeconds(2), ct);
                        return exporterForMetrics.Collect();
                    },
                    logger);
                daemon.MetricsUrl = metricsServer.Url;
            }

            daemon.Start();
            if (upstream is not null)
            {
                responder = new Names.DnsResponder(settings.DnsResponder.EffectiveListen, upstream, settings.DnsResponder.Timeout, daemon, logger, () => clockDaemon.Now);
                responder.Start();
                daemon.DnsResponder = responder;
            }

            if (monitor is not null)
            {
                FollowAddresses(daemon, monitor, transports, settings);
            }

            control.Start();
            logger.LogInformation("control socket {Path} (mode {Mode}); allowed: {Allowed}",
                control.Path, Convert.ToString(control.Mode, 8), controlAccess.Describe());
            if (metricsServer is not null)
            {
                metricsServer.Start();
                logger.LogInformation("metrics at {Url}", metricsServer.Url);
            }

            if (registrar is not null)
            {
                logger.LogInformation(
                    "registrar: offering {Services} to {Who}; relayed ports {Address}:{Min}-{Max}, at most {MaxClients} clients, lifetimes {MinLifetime:0}-{MaxLifetime:0} s",
                    string.Join(",", registrar.Services.Select(SettingParsers.ServiceName)),
                    registrar.AllowAnyone ? "anyone (--allow-any)" : $"{registrar.AllowedForAll.Count + registrar.Allowed.Values.Sum(v => v.Count)} allowed HIT(s)",
                    registrar.DataRelayAddress?.ToString() ?? "-", registrar.DataRelayPortMin, registrar.DataRelayPortMax, registrar.MaxClients,
                    registrar.MinLifetime.TotalSeconds, registrar.MaxLifetime.TotalSeconds);
                if (settings.Registrar!.IsClosed)
                {
                    logger.LogWarning("registration is closed: no HIT is allowed; pass --allow HIT (repeatable) or --allow-any, or set registrar.allow / registrar.allowAny");
                }
            }

            if (settings.StunServers.Count > 0 || settings.TurnServers.Count > 0)
            {
                logger.LogDebug("STUN servers {Stun}; TURN servers {Turn}",
                    string.Join(", ", settings.StunServers), string.Join(", ", settings.TurnServers));
            }

            notifier.Ready($"running as {daemon.LocalHit}");
            if (notifier.LastError is { } notifyError)
            {
                logger.LogWarning("cannot notify the service manager at $NOTIFY_SOCKET: {Error}", notifyError);
            }

            using var stopReloads = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var reloads = reload is null ? Task.CompletedTask : ServeReloadsAsync(reload, daemon, notifier, logger, stopReloads.Token);
            var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (cancellationToken.Register(() => stopped.TrySetResult()))
            {
                await Task.WhenAny(stopped.Task, daemon.Completion);
            }

            stopReloads.Cancel();
            await reloads;
            notifier.Stopping();
            logger.LogInformation("stopping");
        }
        finally
        {
            monitor?.Dispose();
            responder?.Dispose();
            metricsServer?.Dispose();
            exporter?.Dispose();
            control?.Dispose();
            if (daemon is not null)
            {
                daemon.Stop(GracefulClose);
                daemon.Dispose();
            }
            else
            {
                foreach (var t in transports)
                {
                    t.Dispose();
                }
            }
        }

        if (daemon.Completion.IsFaulted)
        {
            await daemon.Completion;
        }
    }

    private static async Task ServeReloadsAsync(ReloadRequests requests, HipDaemon daemon, SystemdNotifier notifier, ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            while (await requests.Reader.WaitToReadAsync(cancellationToken))
            {
                requests.Reader.TryRead(out _);
                notifier.Reloading();
                try
                {
                    var next = requests.Load();
                    var summary = await daemon.ReloadAsync(next).WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
                    logger.LogInformation("configuration reloaded: {Summary}", summary);
                    notifier.Ready($"running as {daemon.LocalHit}; reloaded: {summary}");
                }
                catch (ConfigException e)
                {
                    // A bad file changes nothing: the running configuration stays.
                    logger.LogError("configuration reload failed, nothing changed: {Error}", e.Message);
                    notifier.Ready($"running as {daemon.LocalHit}; last reload failed: {e.Message}");
                }
                catch (TimeoutException)
                {
                    logger.LogError("configuration reload: the daemon did not apply it within 10 s");
                    notifier.Ready($"running as {daemon.LocalHit}; last reload timed out");
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    /// <summary>
    /// The address relayed ports are opened on: the configured one, else the first concrete listen address, else the
    /// first interface address of a wildcard listener. Null when the data relay is not offered. Throws
    /// <see cref="ConfigException"/> when RELAY_UDP_ESP is offered and no usable address exists.
    /// </summary>
    public static IPAddress? ResolveRelayAddress(RegistrarSettings registrar, IReadOnlyList<IHipTransport> transports, IReadOnlyList<TransportAddress> locals)
    {
        ArgumentNullException.ThrowIfNull(registrar);
        ArgumentNullException.ThrowIfNull(transports);
        ArgumentNullException.ThrowIfNull(locals);
        if (!registrar.Services.Contains(RegistrationType.RelayUdpEsp))
        {
            return registrar.RelayAddress;
        }

        static bool Concrete(TransportAddress a) =>
            a.Kind == TransportKind.Udp && !a.Address.Equals(IPAddress.Any) && !a.Address.Equals(IPAddress.IPv6Any);

        var address = registrar.RelayAddress
            ?? transports.SelectMany(t => t.LocalAddresses).Where(Concrete).Select(a => a.Address).FirstOrDefault()
            ?? locals.Where(Concrete).Select(a => a.Address).FirstOrDefault();
        if (address is null)
        {
            throw new ConfigException(
                "the data relay (relay-esp) needs an address for relayed ports and this host has none besides the wildcard listen address; pass --relay-address ADDR (config registrar.relayAddress)");
        }

        try
        {
            using var probe = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            probe.Bind(new IPEndPoint(address, 0));
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressNotAvailable)
        {
            throw new ConfigException(
                $"--relay-address {address} (config registrar.relayAddress) is not an address of this host; give one of its addresses, where the relayed ports can be bound");
        }
        catch (SocketException e)
        {
            throw new ConfigException($"--relay-address {address}: cannot bind UDP sockets on it ({e.SocketErrorCode}); give another address of this host");
        }

        return address;
    }

    /// <summary>
    /// The core's local locators: every bound address, then, for each wildcard bind, this host's unicast addresses
    /// of that family with the bound port, so LOCATOR_SET announces real addresses and ICE has a host candidate on
    /// every interface (RFC 8445 §5.1.1.1). Interface addresses are read now, from rtnetlink.
    /// </summary>
    public static IReadOnlyList<TransportAddress> LocalLocators(IReadOnlyList<IHipTransport> transports) =>
        LocalLocators(transports, null, null, null);

    /// <summary>
    /// As <see cref="LocalLocators(IReadOnlyList{IHipTransport})"/>, with the ICE interface policy: only the
    /// interfaces of <see cref="IceSettings.Interfaces"/> (in that order, which is the order of preference) when it
    /// is set, never those of <see cref="IceSettings.IgnoreInterfaces"/> nor the data plane's TUN interface
    /// (<paramref name="tunName"/>: its HIT and LSI are no locators). Loopback, link-local, IPv6 site-local and
    /// multicast addresses and HITs (ORCHID) are left out; IPv4, global IPv6 and ULAs are kept. The interfaces are
    /// read from rtnetlink (<see cref="AddressMonitor.ReadSnapshot"/>), or from the system's interface list when
    /// rtnetlink cannot be opened.
    /// </summary>
    public static IReadOnlyList<TransportAddress> LocalLocators(IReadOnlyList<IHipTransport> transports, IceSettings? ice, string? tunName, ILogger? logger) =>
        LocalLocators(transports, ice, tunName, logger, null);

    /// <summary>
    /// As <see cref="LocalLocators(IReadOnlyList{IHipTransport}, IceSettings?, string?, ILogger?)"/> with the
    /// interfaces of <paramref name="snapshot"/> (usable links and addresses only); null reads them now. The daemon
    /// computes its start-up locators and every later change (an <see cref="AddressMonitor"/> report) this way.
    /// </summary>
    public static IReadOnlyList<TransportAddress> LocalLocators(
        IReadOnlyList<IHipTransport> transports, IceSettings? ice, string? tunName, ILogger? logger, InterfaceSnapshot? snapshot)
    {
        ArgumentNullException.ThrowIfNull(transports);
        var bound = transports.SelectMany(t => t.LocalAddresses).ToList();
        if (!bound.Any(l => IsWildcard(l.Address)))
        {
            return bound;
        }

        var interfaces = snapshot?.UsableInterfaces() ?? ReadInterfaces(logger);
        return interfaces is null ? bound : LocatorsFor(bound, interfaces, ice, tunName, logger);
    }

    /// <summary>
    /// The locator policy itself: <paramref name="bound"/> (the listen addresses) in order, then for each wildcard
    /// among them the <see cref="HostCandidateAddresses"/> of <paramref name="interfaces"/> of its family, with its
    /// port and kind.
    /// </summary>
    public static List<TransportAddress> LocatorsFor(
        IReadOnlyList<TransportAddress> bound,
        IReadOnlyList<(string Name, IReadOnlyList<IPAddress> Addresses)> interfaces,
        IceSettings? ice,
        string? tunName,
        ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(bound);
        ArgumentNullException.ThrowIfNull(interfaces);
        var list = bound.ToList();
        var wildcards = list.Where(l => IsWildcard(l.Address)).ToList();
        if (wildcards.Count == 0)
        {
            return list;
        }

        var addresses = HostCandidateAddresses(interfaces, ice, tunName, logger);
        foreach (var w in wildcards)
        {
            foreach (var a in addresses.Where(a => a.AddressFamily == w.Address.AddressFamily))
            {
                var locator = new TransportAddress(a, w.Port, w.Kind);
                if (!list.Contains(locator))
                {
                    list.Add(locator);
                }
            }
        }

        return list;
    }

    /// <summary>True when a transport is bound to 0.0.0.0 or :: (then the daemon follows the interfaces).</summary>
    public static bool ListensOnWildcard(IReadOnlyList<IHipTransport> transports)
    {
        ArgumentNullException.ThrowIfNull(transports);
        return transports.SelectMany(t => t.LocalAddresses).Any(l => IsWildcard(l.Address));
    }

    /// <summary>
    /// Opens the rtnetlink <see cref="AddressMonitor"/> with the configured debounce (not started). Null, with a
    /// warning, when rtnetlink cannot be opened: the daemon then keeps the addresses it found at start-up.
    /// </summary>
    public static AddressMonitor? OpenAddressMonitor(MobilitySettings mobility, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(mobility);
        try
        {
            return new AddressMonitor(mobility.AddressDebounce, logger: logger);
        }
        catch (IOException e)
        {
            logger.LogWarning("cannot watch interface addresses ({Message}); using the interface list read at start-up and not following address changes", e.Message);
            return null;
        }
    }

    /// <summary>Starts following <paramref name="monitor"/>: each change becomes a new locator set for the core (same policy as start-up).</summary>
    private static void FollowAddresses(HipDaemon daemon, AddressMonitor monitor, IReadOnlyList<IHipTransport> transports, DaemonSettings settings)
    {
        daemon.FollowAddresses(monitor, snapshot => LocalLocators(transports, settings.Ice, settings.Tun.Name, null, snapshot));
        monitor.Start();
    }

    /// <summary>Up interfaces and their addresses from rtnetlink, else (with a warning) from <see cref="NetworkInterface"/>; null if neither works.</summary>
    private static List<(string Name, IReadOnlyList<IPAddress> Addresses)>? ReadInterfaces(ILogger? logger)
    {
        try
        {
            return AddressMonitor.ReadSnapshot().UsableInterfaces();
        }
        catch (IOException e)
        {
            logger?.LogWarning("cannot read interface addresses through rtnetlink ({Message}); using the system's interface list", e.Message);
        }

        try
        {
            return NetworkInterface.GetAllNetworkInterfaces()
                .Where(n => n.OperationalStatus is OperationalStatus.Up or OperationalStatus.Unknown)
                .Select(n => (n.Name, (IReadOnlyList<IPAddress>)n.GetIPProperties().UnicastAddresses.Select(u => u.Address).ToList()))
                .ToList();
        }
        catch (NetworkInformationException)
        {
            return null;
        }
    }

    private static bool IsWildcard(IPAddress a) => a.Equals(IPAddress.Any) || a.Equals(IPAddress.IPv6Any);

    /// <summary>
    /// The addresses of <paramref name="interfaces"/> (name and addresses, in the system's order) that make host
    /// candidates under the ICE interface policy, in order of preference.
    /// </summary>
    public static List<IPAddress> HostCandidateAddresses(
        IReadOnlyList<(string Name, IReadOnlyList<IPAddress> Addresses)> interfaces, IceSettings? ice, string? tunName, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(interfaces);
        IEnumerable<(string Name, IReadOnlyList<IPAddress> Addresses)> chosen = interfaces;
        if (ice is { Interfaces.Count: > 0 })
        {
            foreach (var missing in ice.Interfaces.Where(n => !interfaces.Any(i => i.Name == n)))
            {
                logger?.LogWarning("ice.interfaces: no interface {Interface} is up; it gives no host candidates", missing);
            }

            chosen = ice.Interfaces.SelectMany(n => interfaces.Where(i => i.Name == n));
        }

        var result = new List<IPAddress>();
        foreach (var (name, addresses) in chosen)
        {
            if ((tunName is not null && name == tunName) || (ice is not null && ice.IgnoreInterfaces.Contains(name)))
            {
                continue;
            }

            foreach (var a in addresses)
            {
                if (IsHostCandidateAddress(a) && !result.Contains(a))
                {
                    result.Add(a);
                }
            }
        }

        return result;
    }

    /// <summary>
    /// Which interface each local address belongs to (for status: the source of host candidates), from
    /// <paramref name="snapshot"/>, else read now from rtnetlink, else from the system's interface list.
    /// </summary>
    public static Dictionary<IPAddress, string> InterfaceAddresses(InterfaceSnapshot? snapshot = null)
    {
        if (snapshot is not null)
        {
            return snapshot.InterfaceOf();
        }

        try
        {
            return AddressMonitor.ReadSnapshot().InterfaceOf();
        }
        catch (IOException)
        {
            // Fall back to the system's list below.
        }

        var map = new Dictionary<IPAddress, string>();
        try
        {
            foreach (var n in NetworkInterface.GetAllNetworkInterfaces())
            {
                foreach (var u in n.GetIPProperties().UnicastAddresses)
                {
                    map.TryAdd(u.Address, n.Name);
                }
            }
        }
        catch (NetworkInformationException)
        {
            // Cosmetic: status then shows "listen address" as the source.
        }

        return map;
    }

    /// <summary>IPv4 other than loopback, 0.0.0.0 and link-local 169.254/16; IPv6 global or ULA, not a HIT.</summary>
    public static bool IsHostCandidateAddress(IPAddress a)
    {
        ArgumentNullException.ThrowIfNull(a);
        if (IPAddress.IsLoopback(a) || a.Equals(IPAddress.Any) || a.Equals(IPAddress.IPv6Any))
        {
            return false;
        }

        if (a.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = a.GetAddressBytes();
            return !(b[0] == 169 && b[1] == 254) && b[0] < 224;
        }

        if (a.AddressFamily != AddressFamily.InterNetworkV6 || a.IsIPv6LinkLocal || a.IsIPv6SiteLocal || a.IsIPv6Multicast || a.IsIPv4MappedToIPv6)
        {
            return false;
        }

        // ORCHIDv1 (2001:10::/28) and ORCHIDv2 (2001:20::/28) are HITs, never locators (RFC 7343).
        var v6 = a.GetAddressBytes();
        bool orchid = v6[0] == 0x20 && v6[1] == 0x01 && v6[2] == 0x00 && (v6[3] & 0xF0) is 0x10 or 0x20;
        return !orchid;
    }

    /// <summary>Opens the UDP and/or raw transports the settings ask for.</summary>
    public static List<IHipTransport> OpenTransports(DaemonSettings settings, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var udp = new List<TransportAddress>();
        var raw = new List<IPAddress>();
        var optionalUdp = new HashSet<TransportAddress>();
        var optionalRaw = new HashSet<IPAddress>();
        if (settings.Listen.Count == 0)
        {
            bool v6 = Socket.OSSupportsIPv6;
            if (settings.Transport == TransportMode.Raw)
            {
                raw.Add(IPAddress.Any);
                if (v6)
                {
                    raw.Add(IPAddress.IPv6Any);
                    optionalRaw.Add(IPAddress.IPv6Any);
                }
            }
            else
            {
                udp.Add(TransportAddress.Udp(IPAddress.Any, TransportAddress.DefaultHipPort));
                if (v6)
                {
                    var any6 = TransportAddress.Udp(IPAddress.IPv6Any, TransportAddress.DefaultHipPort);
                    udp.Add(any6);
                    optionalUdp.Add(any6);
                }
            }
        }
        else
        {
            foreach (var l in settings.Listen)
            {
                if (settings.Transport == TransportMode.Raw || l.Kind == TransportKind.RawHip)
                {
                    if (!raw.Contains(l.Address))
                    {
                        raw.Add(l.Address);
                    }
                }
                else if (!udp.Contains(l))
                {
                    udp.Add(l);
                }
            }
        }

        var transports = new List<IHipTransport>();
        try
        {
            if (raw.Count > 0)
            {
                transports.Add(new RawHipTransport(raw, logger, optionalRaw));
            }

            if (udp.Count > 0)
            {
                transports.Add(new UdpTransport(udp, logger, optionalUdp));
            }
        }
        catch
        {
            foreach (var t in transports)
            {
                t.Dispose();
            }

            throw;
        }

        return transports;
    }
}
