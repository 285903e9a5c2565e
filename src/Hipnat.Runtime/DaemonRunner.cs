using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Hipnat.Core.Host;
using Hipnat.Core.Transport;
using Hipnat.Runtime.Configuration;
using Hipnat.Runtime.Control;
using Hipnat.Runtime.Transports;
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
        try
        {
            var locals = LocalLocators(transports);
            var options = settings.Protocol.ToHostOptions(
                identity,
                locals,
                settings.Transport == TransportMode.Raw ? TransportKind.RawHip : TransportKind.Udp);
            var host = new HipHost(options);
            if (logger.IsEnabled(LogLevel.Debug))
            {
                host.DebugLog = message => logger.LogDebug("core: {Message}", message);
            }

            daemon = new HipDaemon(host, transports, logger, identity.Kind.ToString());
            foreach (var (peer, locators) in settings.Peers)
            {
                foreach (var locator in locators)
                {
                    daemon.AddPeerLocator(peer, settings.Transport == TransportMode.Raw ? TransportAddress.Raw(locator.Address) : locator);
                }
            }

            var controlPath = ControlSocketPath.Resolve(settings.ControlSocket);
            control = new ControlServer(controlPath, daemon, logger);
            daemon.Start();
            control.Start();
            logger.LogInformation("control socket {Path}", controlPath);

            var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (cancellationToken.Register(() => stopped.TrySetResult()))
            {
                await Task.WhenAny(stopped.Task, daemon.Completion);
            }

            logger.LogInformation("stopping");
        }
        finally
        {
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
