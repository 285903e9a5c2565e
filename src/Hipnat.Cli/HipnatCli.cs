using System.CommandLine;
using Hipnat.Runtime.Configuration;
using Hipnat.Runtime.Control;
using Hipnat.Runtime.Transports;

namespace Hipnat.Cli;

/// <summary>
/// The <c>hipnat</c> command line. Every failure is one line on stderr that names the bad input and the fix,
/// and a documented exit code (<see cref="ExitCodes"/>); stack traces are never printed.
/// </summary>
public static class HipnatCli
{
    public static RootCommand Build()
    {
        var root = new RootCommand(
            "hipnat: Host Identity Protocol (HIPv2, RFC 7401) with NAT traversal.\n" +
            "Exit codes: 0 ok, 1 operation failed, 2 bad arguments/config/key, 3 daemon not reachable, 4 cannot open sockets.")
        {
            KeygenCommand.Create(),
            HitCommand.Create(),
            RunCommand.Create(),
            RelayCommand.Create(),
            ConnectCommand.Create(),
            CloseCommand.Create(),
            StatusCommand.Create(),
            PingCommand.Create(),
            PeersCommand.Create(),
            DnsRecordCommand.Create(),
            NetcheckCommand.Create(),
            LabCommand.Create(),
        };
        return root;
    }

    public static async Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? error = null, CancellationToken cancellationToken = default)
    {
        output ??= Console.Out;
        error ??= Console.Error;
        var root = Build();
        var parse = root.Parse(args);
        string name = CommandPath(parse);
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors)
            {
                error.WriteLine($"{name}: {e.Message}");
            }

            error.WriteLine($"Run '{name} --help' for usage.");
            return ExitCodes.Usage;
        }

        var config = new InvocationConfiguration
        {
            Output = output,
            Error = error,
            EnableDefaultExceptionHandler = false,
            ProcessTerminationTimeout = null, // `run` handles SIGINT/SIGTERM itself
        };
        try
        {
            return await parse.InvokeAsync(config, cancellationToken);
        }
        catch (ConfigException e)
        {
            error.WriteLine($"{name}: {e.Message}");
            return ExitCodes.Usage;
        }
        catch (TransportException e)
        {
            error.WriteLine($"{name}: {e.Message}");
            return ExitCodes.Environment;
        }
        catch (ControlSocketException e)
        {
            error.WriteLine($"{name}: {e.Message}");
            return ExitCodes.Environment;
        }
        catch (ControlUnavailableException e)
        {
            error.WriteLine($"{name}: {e.Message}");
            return ExitCodes.DaemonUnavailable;
        }
        catch (TimeoutException e)
        {
            error.WriteLine($"{name}: {e.Message}");
            return ExitCodes.DaemonUnavailable;
        }
        catch (OperationCanceledException)
        {
            error.WriteLine($"{name}: interrupted");
            return ExitCodes.Failed;
        }
        catch (Exception e)
        {
            error.WriteLine($"{name}: unexpected error ({e.GetType().Name}): {e.Message}");
            if (Environment.GetEnvironmentVariable("HIPNAT_DEBUG") == "1")
            {
                error.WriteLine(e);
            }

            return ExitCodes.Failed;
        }
    }

    private static string CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (var r = parse.CommandResult; r is not null; r = r.Parent as System.CommandLine.Parsing.CommandResult)
        {
            names.Add(r.Command is RootCommand ? "hipnat" : r.Command.Name);
        }

        names.Reverse();
        return string.Join(' ', names);
    }
}
