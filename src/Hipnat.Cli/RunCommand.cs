using System.CommandLine;
using System.Runtime.InteropServices;
using Hipnat.Runtime;
using Hipnat.Runtime.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Hipnat.Cli;

/// <summary><c>hipnat run</c>: the daemon, in the foreground, until SIGINT/SIGTERM.</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var key = new Option<string?>("--key", "-k") { Description = "Host identity key file (create with `hipnat keygen`)", HelpName = "FILE" };
        var listen = new Option<string[]>("--listen", "-l")
        {
            Description = "Address to listen on, repeatable (default 0.0.0.0:10500 and [::]:10500; with --raw an address, port ignored)",
            HelpName = "ADDR:PORT",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var peer = new Option<string[]>("--peer", "-p")
        {
            Description = "A peer's HIT and locator, repeatable, e.g. 2001:20::1=192.0.2.1:10500",
            HelpName = "HIT=ADDR:PORT",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var raw = new Option<bool>("--raw") { Description = "Carry HIP directly over IP protocol 139 instead of UDP (needs root)" };
        var control = CliOptions.Control();
        var config = new Option<string?>("--config", "-c") { Description = "JSON config file (see docs/config.md); flags override it", HelpName = "FILE" };
        var logLevel = new Option<string?>("--log-level")
        {
            Description = "trace, debug, information (default), warning, error, critical or none",
            HelpName = "LEVEL",
        };
        var command = new Command("run", "Run the HIP daemon in the foreground") { key, listen, peer, raw, control, config, logLevel };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = BuildSettings(
                parse.GetValue(config),
                parse.GetValue(key),
                parse.GetValue(listen) ?? [],
                parse.GetValue(peer) ?? [],
                parse.GetValue(raw),
                parse.GetValue(control),
                parse.GetValue(logLevel));
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
            using var loggerFactory = CreateLoggerFactory(settings.LogLevel);
            await DaemonRunner.RunAsync(settings, loggerFactory, stop.Token);
            return ExitCodes.Ok;

            void Stop(PosixSignalContext context)
            {
                // The first signal shuts down cleanly (CLOSE the associations, remove the control socket);
                // a second one while that is under way terminates the process at once.
                context.Cancel = !stop.IsCancellationRequested;
                stop.Cancel();
            }
        });
        return command;
    }

    /// <summary>The config file (if any) with the flags applied on top. Throws <see cref="ConfigException"/> naming the flag.</summary>
    internal static DaemonSettings BuildSettings(
        string? configFile, string? key, string[] listen, string[] peers, bool raw, string? control, string? logLevel)
    {
        // Check the flags first: they are what the user just typed.
        var listenAddresses = new List<Hipnat.Core.Transport.TransportAddress>();
        foreach (var text in listen)
        {
            if (!SettingParsers.TryParseAddress(text, out var address, out var error))
            {
                throw new ConfigException($"--listen {error}");
            }

            listenAddresses.Add(address);
        }

        var peerEntries = new List<(Hipnat.Wire.Hit Hit, List<Hipnat.Core.Transport.TransportAddress> Locators)>();
        foreach (var text in peers)
        {
            if (!SettingParsers.TryParsePeer(text, out var hit, out var locators, out var error))
            {
                throw new ConfigException($"--peer '{text}': {error}");
            }

            peerEntries.Add((hit, locators));
        }

        Microsoft.Extensions.Logging.LogLevel? level = null;
        if (logLevel is not null)
        {
            if (!SettingParsers.TryParseLogLevel(logLevel, out var l))
            {
                throw new ConfigException($"--log-level '{logLevel}': unknown level; use one of {SettingParsers.LogLevels}");
            }

            level = l;
        }

        if (key is not null && string.IsNullOrWhiteSpace(key))
        {
            throw new ConfigException("--key '': empty path; give the key file, e.g. --key /etc/hipnat/host.pem");
        }

        if (control is not null && string.IsNullOrWhiteSpace(control))
        {
            throw new ConfigException("--control '': empty path; give a socket path, e.g. --control /tmp/hipnat.sock");
        }

        var settings = configFile is null ? new DaemonSettings() : DaemonConfigFile.Load(configFile);
        if (key is not null)
        {
            settings.KeyFile = key;
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

        if (raw)
        {
            settings.Transport = TransportMode.Raw;
        }

        if (control is not null)
        {
            settings.ControlSocket = control;
        }

        if (level is { } lv)
        {
            settings.LogLevel = lv;
        }

        return settings;
    }

    private static ILoggerFactory CreateLoggerFactory(Microsoft.Extensions.Logging.LogLevel level) =>
        LoggerFactory.Create(b => b
            .SetMinimumLevel(level)
            .AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fff ";
                o.ColorBehavior = LoggerColorBehavior.Disabled;
            }));
}
