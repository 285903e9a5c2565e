using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using System.Text.Json;
using Hipnat.Runtime;
using Hipnat.Runtime.Configuration;
using Hipnat.Runtime.Service;
using Hipnat.Wire;
using Hipnat.Wire.Parameters;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Hipnat.Cli;

/// <summary>
/// The options <c>hipnat run</c> and <c>hipnat relay</c> share, turning flags plus the config file into
/// <see cref="DaemonSettings"/> (flags win), and running the daemon until SIGINT/SIGTERM.
/// </summary>
internal sealed class DaemonCommandLine
{
    public Option<string?> Key { get; } = new("--key", "-k") { Description = "Host identity key file (create with `hipnat keygen`)", HelpName = "FILE" };

    public Option<string[]> Listen { get; } = new("--listen", "-l")
    {
        Description = "Address to listen on, repeatable (default 0.0.0.0:10500 and [::]:10500; with --raw an address, port ignored)",
        HelpName = "ADDR:PORT",
        Arity = ArgumentArity.ZeroOrMore,
    };

    public Option<string?> Control { get; } = CliOptions.Control();

    public Option<string?> ControlGroup { get; } = new("--control-group")
    {
        Description = "Members of this group (name or gid) may use the control socket too; by default only root and the daemon's user",
        HelpName = "GROUP",
    };

    public Option<string?> Config { get; } = new("--config", "-c") { Description = "JSON config file (see docs/config.md); flags override it", HelpName = "FILE" };

    public Option<string?> LogLevel { get; } = new("--log-level")
    {
        Description = "trace, debug, information (default), warning, error, critical or none",
        HelpName = "LEVEL",
    };

    public Option<string?> LogFormat { get; } = new("--log-format")
    {
        Description = "simple (default: one text line per entry) or json (one JSON object per line)",
        HelpName = "FORMAT",
    };

    public Option<string?> Metrics { get; } = new("--metrics")
    {
        Description = "Serve Prometheus metrics at http://ADDR:PORT/metrics (PORT alone: loopback)",
        HelpName = "ADDR:PORT",
    };

    public Option<string?> KeepaliveInterval { get; } = new("--keepalive-interval")
    {
        Description = "Seconds between NAT keepalives to peers and relays: 0 (off) or 15-3600 (default 20; RFC 9028 forbids less than 15)",
        HelpName = "S",
    };

    public Option<string?> PeerTimeout { get; } = new("--peer-timeout")
    {
        Description = "Seconds of silence after which a peer or relay counts as unreachable (default 60; 0 never)",
        HelpName = "S",
    };

    public void AddTo(Command command)
    {
        command.Add(Key);
        command.Add(Listen);
        command.Add(Control);
        command.Add(ControlGroup);
        command.Add(Config);
        command.Add(LogLevel);
        command.Add(LogFormat);
        command.Add(Metrics);
        command.Add(KeepaliveInterval);
        command.Add(PeerTimeout);
    }

    /// <summary>The shared flags of <paramref name="parse"/>; the command adds its own with <c>with</c>.</summary>
    public DaemonFlags Read(ParseResult parse) => new()
    {
        ConfigFile = parse.GetValue(Config),
        Key = parse.GetValue(Key),
        Listen = parse.GetValue(Listen) ?? [],
        Control = parse.GetValue(Control),
        ControlGroup = parse.GetValue(ControlGroup),
        LogLevel = parse.GetValue(LogLevel),
        LogFormat = parse.GetValue(LogFormat),
        Metrics = parse.GetValue(Metrics),
        KeepaliveInterval = parse.GetValue(KeepaliveInterval),
        PeerTimeout = parse.GetValue(PeerTimeout),
    };

    /// <summary>
    /// Runs the daemon in the foreground until SIGINT/SIGTERM (a second signal terminates at once). SIGHUP reads the
    /// configuration again with <paramref name="reload"/> (the config file and the flags given at start) and applies
    /// its peers and relays.
    /// </summary>
    public static async Task<int> RunAsync(DaemonSettings settings, CancellationToken cancellationToken, Func<DaemonSettings>? reload = null)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        var reloads = reload is null ? null : new ReloadRequests(reload);
        using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            // Without a way to reload, SIGHUP is ignored rather than ending the daemon.
            context.Cancel = true;
            reloads?.Request();
        });
        using var loggerFactory = CreateLoggerFactory(settings.LogLevel, settings.LogFormat);
        await DaemonRunner.RunAsync(settings, loggerFactory, stop.Token, reloads);
        return ExitCodes.Ok;

        void Stop(PosixSignalContext context)
        {
            // The first signal shuts down cleanly (CLOSE the associations, remove the control socket);
            // a second one while that is under way terminates the process at once.
            context.Cancel = !stop.IsCancellationRequested;
            stop.Cancel();
        }
    }

    /// <summary>The config file (if any) with the flags applied on top. Throws <see cref="ConfigException"/> naming the flag.</summary>
    public static DaemonSettings BuildSettings(DaemonFlags f)
    {
        ArgumentNullException.ThrowIfNull(f);

        // Check the flags first: they are what the user just typed.
        var listenAddresses = new List<Hipnat.Core.Transport.TransportAddress>();
        foreach (var text in f.Listen)
        {
            if (!SettingParsers.TryParseAddress(text, out var address, out var error))
            {
                throw new ConfigException($"--listen {error}");
            }

            listenAddresses.Add(address);
        }

        var peerEntries = new List<(Hit Hit, List<Hipnat.Core.Transport.TransportAddress> Locators)>();
        var peerNames = new List<string>();
        foreach (var text in f.Peers)
        {
            if (!text.Contains('=', StringComparison.Ordinal) && Hipnat.Wire.Dns.DnsName.LooksLikeName(text)
                && Hipnat.Wire.Dns.DnsName.TryNormalize(text, out var peerName, out _))
            {
                // --peer NAME: resolved by the daemon (names file, then the HIP record in DNS).
                peerNames.Add(peerName);
                continue;
            }

            if (!SettingParsers.TryParsePeer(text, out var hit, out var locators, out var error))
            {
                throw new ConfigException($"--peer '{text}': {error}");
            }

            peerEntries.Add((hit, locators));
        }

        Microsoft.Extensions.Logging.LogLevel? level = null;
        if (f.LogLevel is not null)
        {
            if (!SettingParsers.TryParseLogLevel(f.LogLevel, out var l))
            {
                throw new ConfigException($"--log-level '{f.LogLevel}': unknown level; use one of {SettingParsers.LogLevels}");
            }

            level = l;
        }

        Hipnat.Runtime.Configuration.LogFormat? format = null;
        if (f.LogFormat is not null)
        {
            if (!SettingParsers.TryParseLogFormat(f.LogFormat, out var lf))
            {
                throw new ConfigException($"--log-format '{f.LogFormat}': unknown format; use simple (one text line per entry) or json (one JSON object per line)");
            }

            format = lf;
        }

        IPEndPoint? metrics = null;
        if (f.Metrics is not null && !SettingParsers.TryParseMetricsEndpoint(f.Metrics, out metrics, out var metricsError))
        {
            throw new ConfigException($"--metrics '{f.Metrics}': {metricsError}");
        }

        TimeSpan? keepalive = null;
        if (f.KeepaliveInterval is not null)
        {
            double s = Number(f.KeepaliveInterval, "--keepalive-interval", "0 (off) or 15-3600");
            if (SettingParsers.CheckKeepalive(s) is { } problem)
            {
                throw new ConfigException($"--keepalive-interval '{f.KeepaliveInterval}': {problem}");
            }

            keepalive = TimeSpan.FromSeconds(s);
        }

        TimeSpan? peerTimeout = null;
        if (f.PeerTimeout is not null)
        {
            peerTimeout = TimeSpan.FromSeconds(Number(f.PeerTimeout, "--peer-timeout", "0 (never) to 86400", 0, 86400));
        }

        if (f.Key is not null && string.IsNullOrWhiteSpace(f.Key))
        {
            throw new ConfigException("--key '': empty path; give the key file, e.g. --key /etc/hipnat/host.pem");
        }

        if (f.Control is not null && string.IsNullOrWhiteSpace(f.Control))
        {
            throw new ConfigException("--control '': empty path; give a socket path, e.g. --control /run/hipnat/hipnat.sock");
        }

        if (f.ControlGroup is not null && SettingParsers.CheckGroupName(f.ControlGroup) is { } groupProblem)
        {
            throw new ConfigException($"--control-group '{f.ControlGroup}': {groupProblem}; give a group name such as hipnat or a gid");
        }

        var relays = new List<RelayServerSettings>();
        foreach (var text in f.Relays)
        {
            if (!SettingParsers.TryParseRelay(text, out var hit, out var address, out var error))
            {
                throw new ConfigException($"--relay '{text}': {error}");
            }

            relays.Add(new RelayServerSettings(hit, address));
        }

        TimeSpan? lifetime = null;
        if (f.RegistrationLifetime is not null)
        {
            lifetime = TimeSpan.FromSeconds(Number(f.RegistrationLifetime, "--registration-lifetime", "seconds, 10-604800 (default 600)",
                RelayServerSettings.MinLifetimeSeconds, RelayServerSettings.MaxLifetimeSeconds));
        }

        var settings = f.ConfigFile is null ? new DaemonSettings() : DaemonConfigFile.Load(f.ConfigFile);
        if (f.Key is not null)
        {
            settings.KeyFile = f.Key;
        }

        if (listenAddresses.Count > 0)
        {
            settings.Listen.Clear();
            settings.Listen.AddRange(listenAddresses);
        }

        foreach (var (hit, locators) in peerEntries)
        {
            foreach (var l in locators)
            {
                settings.AddPeer(hit, l);
            }
        }

        foreach (var name in peerNames)
        {
            settings.AddPeerName(name);
        }

        if (f.Raw)
        {
            settings.Transport = TransportMode.Raw;
        }

        if (f.Control is not null)
        {
            settings.ControlSocket = f.Control;
        }

        if (f.ControlGroup is not null)
        {
            settings.ControlGroup = f.ControlGroup;
        }

        if (level is { } lv)
        {
            settings.LogLevel = lv;
        }

        if (format is { } fm)
        {
            settings.LogFormat = fm;
        }

        if (metrics is not null)
        {
            settings.Metrics = metrics;
        }

        if (keepalive is { } k)
        {
            settings.Protocol.KeepaliveInterval = k;
        }

        if (peerTimeout is { } pt)
        {
            settings.Protocol.PeerTimeout = pt;
        }

        foreach (var r in relays)
        {
            settings.AddRelay(r);
        }

        if (f.RelayEsp && f.NoRelayEsp)
        {
            throw new ConfigException("--relay-esp and --no-relay-esp contradict each other; give one");
        }

        if ((f.RelayEsp || lifetime is not null) && settings.Relays.Count == 0)
        {
            throw new ConfigException(
                $"{(f.RelayEsp ? "--relay-esp" : "--registration-lifetime")}: there is no relay to register with; add --relay RELAYHIT=ADDR:PORT (or config \"relays\")");
        }

        foreach (var r in settings.Relays)
        {
            if (f.RelayEsp)
            {
                if (!r.Services.Contains(RegistrationType.RelayUdpHip))
                {
                    r.Services.Add(RegistrationType.RelayUdpHip);
                }

                if (!r.Services.Contains(RegistrationType.RelayUdpEsp))
                {
                    r.Services.Add(RegistrationType.RelayUdpEsp);
                }
            }

            if (f.NoRelayEsp)
            {
                r.RelayEspIfOffered = false;
                r.Services.Remove(RegistrationType.RelayUdpEsp);
            }

            if (lifetime is { } lt)
            {
                r.Lifetime = lt;
            }
        }

        if (f.Registrar)
        {
            ApplyRegistrarFlags(f, settings.Registrar ??= new RegistrarSettings());
        }

        ApplyIceFlags(f, settings);
        if (f.Multihoming is not null)
        {
            if (!MultihomingSettings.TryParsePolicy(f.Multihoming, out var policy))
            {
                throw new ConfigException($"--multihoming '{f.Multihoming}': not a multihoming policy; use one of {MultihomingSettings.PolicyNames}");
            }

            settings.Multihoming.Policy = policy;
        }

        return settings;
    }

    /// <summary>--nat-modes, --ice-*, --stun: replace (or, for interfaces and STUN servers, add to) the config's values.</summary>
    private static void ApplyIceFlags(DaemonFlags f, DaemonSettings settings)
    {
        if (f.NatModes is not null)
        {
            if (!IceSettings.TryParseModes(f.NatModes, out var modes, out var error))
            {
                throw new ConfigException($"--nat-modes '{f.NatModes}': {error}");
            }

            settings.Protocol.NatTraversalModes = modes;
        }

        var ice = settings.Ice;
        if (f.IceCandidates is not null)
        {
            if (!IceSettings.TryParseCandidates(f.IceCandidates, out var kinds, out var error))
            {
                throw new ConfigException($"--ice-candidates '{f.IceCandidates}': {error}");
            }

            ice.Candidates = kinds;
        }

        foreach (var (names, flag, list) in new[] { (f.IceInterfaces, "--ice-interface", ice.Interfaces), (f.IceIgnoreInterfaces, "--ice-ignore-interface", ice.IgnoreInterfaces) })
        {
            foreach (var name in names)
            {
                if (!IceSettings.IsInterfaceName(name))
                {
                    throw new ConfigException($"--{flag.TrimStart('-')} '{name}': not an interface name; give a name as `ip link` shows it, 1-15 characters, e.g. eth0");
                }

                if (!list.Contains(name))
                {
                    list.Add(name);
                }
            }
        }

        if (ice.Interfaces.FirstOrDefault(ice.IgnoreInterfaces.Contains) is { } both)
        {
            throw new ConfigException($"--ice-interface / --ice-ignore-interface (config ice.interfaces / ice.ignoreInterfaces): {both} is both asked for and ignored; list it in one of them only");
        }

        if (f.IcePacing is not null)
        {
            ice.Pacing = TimeSpan.FromMilliseconds(Number(f.IcePacing, "--ice-pacing",
                "milliseconds between connectivity checks, 5-10000 (default 50; RFC 9028 §4.4 forbids less than 5 ms)", IceSettings.MinPacingMs, IceSettings.MaxPacingMs, whole: true));
        }

        if (f.IceDirectRetry is not null)
        {
            ice.DirectRetry = TimeSpan.FromMilliseconds(Number(f.IceDirectRetry, "--ice-direct-retry", "milliseconds, 0 (off) or up to 3600000 (default 35000)", 0, 3600000, whole: true));
        }

        if (f.IceRelayFallback is not null)
        {
            ice.RelayFallback = TimeSpan.FromMilliseconds(Number(f.IceRelayFallback, "--ice-relay-fallback", "milliseconds, 0-600000 (default 2000)", 0, 600000, whole: true));
        }

        if (f.IceNominationWait is not null)
        {
            ice.NominationWait = TimeSpan.FromMilliseconds(Number(f.IceNominationWait, "--ice-nomination-wait", "milliseconds, 0-60000 (default 150)", 0, 60000, whole: true));
        }

        if (f.IceAggressive)
        {
            ice.Aggressive = true;
        }

        foreach (var text in f.StunServers)
        {
            if (!SettingParsers.TryParseUdpAddress(text, out var address, out var error, SettingParsers.StunPort))
            {
                throw new ConfigException($"--stun {error}");
            }

            if (!settings.StunServers.Contains(address))
            {
                settings.StunServers.Add(address);
            }
        }
    }

    private static void ApplyRegistrarFlags(DaemonFlags f, RegistrarSettings r)
    {
        if (f.Services is not null)
        {
            if (!SettingParsers.TryParseServices(f.Services, out var services, out var error))
            {
                throw new ConfigException($"--services '{f.Services}': {error}");
            }

            r.Services = services;
        }

        foreach (var text in f.Allow)
        {
            if (!SettingParsers.TryParseHit(text, out var hit, out var error))
            {
                throw new ConfigException($"--allow {error}");
            }

            r.Allow.Add(hit);
        }

        if (f.AllowAny)
        {
            r.AllowAny = true;
        }

        if (f.RelayAddress is not null)
        {
            if (!IPAddress.TryParse(f.RelayAddress.Trim(), out var ip) || ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any))
            {
                throw new ConfigException(
                    $"--relay-address '{f.RelayAddress}': not a concrete IP address; give one of this host's addresses (no port), e.g. --relay-address 192.0.2.1");
            }

            r.RelayAddress = ip;
        }

        if (f.RelayPorts is not null)
        {
            if (!SettingParsers.TryParsePortRange(f.RelayPorts, out int min, out int max, out var error))
            {
                throw new ConfigException($"--relay-ports {error}");
            }

            (r.RelayPortMin, r.RelayPortMax) = (min, max);
        }

        if (f.MaxClients is not null)
        {
            r.MaxClients = (int)Number(f.MaxClients, "--max-clients", "a whole number 1-10000000 (default 100000)", 1, 10_000_000, whole: true);
        }

        if (f.LifetimeMin is not null)
        {
            r.LifetimeMin = TimeSpan.FromSeconds(Number(f.LifetimeMin, "--lifetime-min", "seconds, 1-604800 (default 10)", 1, 604800));
        }

        if (f.LifetimeMax is not null)
        {
            r.LifetimeMax = TimeSpan.FromSeconds(Number(f.LifetimeMax, "--lifetime-max", "seconds, 1-604800 (default 3600)", 1, 604800));
        }

        if (r.LifetimeMin > r.LifetimeMax)
        {
            throw new ConfigException(
                $"--lifetime-max {r.LifetimeMax.TotalSeconds.ToString(CultureInfo.InvariantCulture)} is below --lifetime-min {r.LifetimeMin.TotalSeconds.ToString(CultureInfo.InvariantCulture)} (flags or config registrar.lifetimeMinSeconds/lifetimeMaxSeconds); make the maximum at least the minimum");
        }
    }

    private static double Number(string text, string flag, string expected, double min = 0, double max = 3600, bool whole = false)
    {
        if (!double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || double.IsNaN(v) || double.IsInfinity(v))
        {
            throw new ConfigException($"{flag} '{text}': not a number; use {expected}");
        }

        if (whole && v != Math.Floor(v))
        {
            throw new ConfigException($"{flag} '{text}': not a whole number; use {expected}");
        }

        if (v < min || v > max)
        {
            throw new ConfigException($"{flag} '{text}': out of range; use {expected}");
        }

        return v;
    }

    private static ILoggerFactory CreateLoggerFactory(Microsoft.Extensions.Logging.LogLevel level, Hipnat.Runtime.Configuration.LogFormat format) =>
        LoggerFactory.Create(b =>
        {
            b.SetMinimumLevel(level);
            if (format == Hipnat.Runtime.Configuration.LogFormat.Json)
            {
                b.AddJsonConsole(o =>
                {
                    o.IncludeScopes = false;
                    o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                    o.UseUtcTimestamp = true;
                    o.JsonWriterOptions = new JsonWriterOptions { Indented = false };
                });
            }
            else
            {
                b.AddSimpleConsole(o =>
                {
                    o.SingleLine = true;
                    o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fff ";
                    o.ColorBehavior = LoggerColorBehavior.Disabled;
                });
            }
        });
}
