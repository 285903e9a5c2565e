using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Hipnat.Core.Host;
using Hipnat.Core.Transport;
using Hipnat.Runtime.Configuration;
using Hipnat.Runtime.Control;
using Hipnat.Runtime.Metrics;
using Hipnat.Runtime.Transports;
using Hipnat.Wire.Parameters;
using Microsoft.Extensions.Logging;

namespace Hipnat.Runtime;

/// <summary>
/// Puts a daemon together from <see cref="DaemonSettings"/>: loads the key, opens the transports, creates the
/// core, binds the control socket, and runs until cancelled. Configuration problems throw
/// <see cref="ConfigException"/>; sockets that cannot be opened throw <see cref="TransportException"/>.
/// </summary>
public static class DaemonRunner
{
    /// <summary>How long CLOSE gets to be acknowledged when the daemon stops.</summary>
    public static readonly TimeSpan GracefulClose = TimeSpan.FromSeconds(1);

    public static async Task RunAsync(DaemonSettings settings, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        var logger = loggerFactory.CreateLogger("hipnat");
        settings.Validate();
        if (string.IsNullOrWhiteSpace(settings.KeyFile))
        {
            throw new ConfigException("no host identity key: pass --key FILE or set \"keyFile\" in the config file (create a key with `hipnat keygen --out FILE`)");
        }

        using var identity = HostIdentityFile.Load(settings.KeyFile);
        if (HostIdentityFile.IsExposed(settings.KeyFile))
        {
            logger.LogWarning("key file {File} is readable by other users; run: chmod 600 {File}", settings.KeyFile, settings.KeyFile);
        }

        var transports = OpenTransports(settings, logger);
        HipDaemon? daemon = null;
        ControlServer? control = null;
        MetricsServer? metricsServer = null;
        PrometheusExporter? exporter = null;
        try
        {
            var locals = LocalLocators(transports);
            var registrar = settings.Registrar is { } r ? r.ToOptions(ResolveRelayAddress(r, transports, locals)) : null;
            var options = settings.Protocol.ToHostOptions(
                identity,
                locals,
                settings.Transport == TransportMode.Raw ? TransportKind.RawHip : TransportKind.Udp,
                registrar);
            var host = new HipHost(options);
            if (logger.IsEnabled(LogLevel.Debug))
            {
                host.DebugLog = message => logger.LogDebug("core: {Message}", message);
            }

            daemon = new HipDaemon(host, transports, logger, identity.Kind.ToString());
            if (DataPlane.DataPlaneService.Create(settings.Tun, host, transports, registrar is not null, logger) is { } dataPlane)
            {
                daemon.AttachDataPlane(dataPlane);
            }

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

            if (settings.Relays.Count > 0 && options.KeepaliveInterval <= TimeSpan.Zero)
            {
                logger.LogWarning("NAT keepalives are off (keepaliveIntervalSeconds 0) while registered with relays: a NAT in front of this host may forget the mapping to the relay; use 15-3600 s");
            }

            var controlPath = ControlSocketPath.Resolve(settings.ControlSocket);
            control = new ControlServer(controlPath, daemon, logger);
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
            control.Start();
            logger.LogInformation("control socket {Path}", controlPath);
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

            var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (cancellationToken.Register(() => stopped.TrySetResult()))
            {
                await Task.WhenAny(stopped.Task, daemon.Completion);
            }

            logger.LogInformation("stopping");
        }
        finally
        {
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
    /// of that family with the bound port (loopback and link-local excluded), so LOCATOR_SET announces real
    /// addresses. Interface addresses are read once, at start-up.
    /// </summary>
    public static IReadOnlyList<TransportAddress> LocalLocators(IReadOnlyList<IHipTransport> transports)
    {
        ArgumentNullException.ThrowIfNull(transports);
        var list = transports.SelectMany(t => t.LocalAddresses).ToList();
        var wildcards = list.Where(l => l.Address.Equals(IPAddress.Any) || l.Address.Equals(IPAddress.IPv6Any)).ToList();
        if (wildcards.Count == 0)
        {
            return list;
        }

        List<IPAddress> addresses;
        try
        {
            addresses = NetworkInterface.GetAllNetworkInterfaces()
                .Where(n => n.OperationalStatus == OperationalStatus.Up)
                .SelectMany(n => n.GetIPProperties().UnicastAddresses.Select(u => u.Address))
                .Where(a => !IPAddress.IsLoopback(a) && !a.IsIPv6LinkLocal && !a.IsIPv6Multicast)
                .Distinct()
                .ToList();
        }
        catch (NetworkInformationException)
        {
            return list;
        }

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
