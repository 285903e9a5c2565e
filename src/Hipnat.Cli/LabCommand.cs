using System.CommandLine;
using System.Runtime.InteropServices;
using Hipnat.Lab.Demo;

namespace Hipnat.Cli;

/// <summary>
/// <c>hipnat lab demo</c>: builds a namespace lab (a relay and two hosts behind NATs), runs the real daemons in it,
/// and prints the captured HIP packets as a time line with a summary (<c>--scenario base</c>, needs tshark); or moves
/// alice between two NATs while a ping runs over hip0 and prints the handover time line, the gaps and an SVG plot
/// (<c>--scenario handover</c>). Needs root, iproute2 and iptables.
/// </summary>
internal static class LabCommand
{
    private const int DefaultMoves = 4;
    private const int MaxMoves = 50;

    public static Command Create()
    {
        var nat = new Option<string[]>("--nat")
        {
            Description = $"NAT behaviour: once for all NATs, or twice (alice's — with --scenario handover nat1 and nat3 —, then bob's): {DemoNat.Names}. Default eim",
            HelpName = "KIND",
            Arity = ArgumentArity.ZeroOrMore,
            AllowMultipleArgumentsPerToken = true,
        };
        var keep = new Option<bool>("--keep")
        {
            Description = "Keep the lab and its daemons running after the summary until Ctrl-C, and keep the captures and keys",
        };
        var scenario = new Option<string>("--scenario")
        {
            Description = "base: the HIP packets of registration, base exchange and direct path (default); handover: alice moves between two NATs while a ping runs over hip0; failover: alice has two uplinks and the one in use fails (its NAT drops everything) while a ping runs",
            HelpName = "base|handover",
        };
        var moves = new Option<int?>("--moves")
        {
            Description = $"handover: how many times alice moves (nat1 -> nat3 -> nat1 ...); failover: how many times her uplink in use fails; 1-{MaxMoves}. Default 4",
            HelpName = "N",
        };
        var plot = new Option<string>("--plot")
        {
            Description = "handover, failover: where the SVG of replies per 100 ms goes. Default handover.svg (failover.svg) in the current directory",
            HelpName = "FILE",
        };
        var demo = new Command("demo",
            "Relay on a public network, alice and bob behind NATs: bob registers, alice reaches bob through the relay; prints the HIP packets as a time line and a summary (needs root and tshark). " +
            "--scenario handover: alice moves between two NATs while ping runs over hip0; prints the handover time line, the gaps and writes an SVG plot (needs root). " +
            "--scenario failover: alice has two uplinks and the NAT of the one in use starts dropping everything; the same time line, gaps and plot")
        {
            nat,
            keep,
            scenario,
            moves,
            plot,
        };
        demo.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var kinds = (parse.GetValue(nat) ?? []).SelectMany(n => n.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray();
            if (kinds.Length > 2)
            {
                error.WriteLine($"hipnat lab demo: --nat takes one kind (both NATs) or two (alice's, bob's); got {kinds.Length}");
                return ExitCodes.Usage;
            }

            var nats = new List<DemoNat>();
            foreach (var k in kinds)
            {
                if (!DemoNat.TryParse(k, out var n))
                {
                    error.WriteLine($"hipnat lab demo: --nat '{k}' is not a NAT kind; use one of {DemoNat.Names}");
                    return ExitCodes.Usage;
                }

                nats.Add(n);
            }

            var scenarioName = parse.GetValue(scenario) ?? "base";
            if (scenarioName is not ("base" or "handover" or "failover"))
            {
                error.WriteLine($"hipnat lab demo: --scenario '{scenarioName}' is not a scenario; use base, handover or failover");
                return ExitCodes.Usage;
            }

            bool failover = scenarioName == "failover";
            bool handover = scenarioName == "handover" || failover;
            var moveCount = parse.GetValue(moves);
            var plotFile = parse.GetValue(plot);
            if (!handover && (moveCount is not null || plotFile is not null))
            {
                error.WriteLine("hipnat lab demo: --moves and --plot are for --scenario handover or failover");
                return ExitCodes.Usage;
            }

            if (handover && parse.GetValue(keep))
            {
                error.WriteLine("hipnat lab demo: --keep is for --scenario base");
                return ExitCodes.Usage;
            }

            if (moveCount is < 1 or > MaxMoves)
            {
                error.WriteLine($"hipnat lab demo: --moves {moveCount}: out of range; use 1-{MaxMoves}");
                return ExitCodes.Usage;
            }

            var plotPath = Path.GetFullPath(string.IsNullOrWhiteSpace(plotFile) ? (failover ? "failover.svg" : "handover.svg") : plotFile);
            if (handover && (Directory.Exists(plotPath) || !Directory.Exists(Path.GetDirectoryName(plotPath))))
            {
                error.WriteLine($"hipnat lab demo: --plot {plotFile}: {(Directory.Exists(plotPath) ? "is a directory" : "its directory does not exist")}; give a file name");
                return ExitCodes.Usage;
            }

            var dll = Path.Combine(AppContext.BaseDirectory, "hipnat.dll");
            if (!File.Exists(dll))
            {
                error.WriteLine($"hipnat lab demo: {dll} not found; run the demo from the built hipnat (dotnet src/Hipnat.Cli/bin/CONFIG/net10.0/hipnat.dll)");
                return ExitCodes.Environment;
            }

            // Ctrl-C / SIGTERM end the demo (or a kept lab) cleanly: the lab is torn down, then the summary's exit code.
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
            if (handover)
            {
                var handoverResult = await HandoverDemo.RunAsync(
                    new HandoverDemoOptions
                    {
                        HipnatDll = dll,
                        AliceNat = nats.Count > 0 ? nats[0] : DemoNat.Eim,
                        BobNat = nats.Count > 1 ? nats[1] : nats.Count > 0 ? nats[0] : DemoNat.Eim,
                        Moves = moveCount ?? DefaultMoves,
                        Failover = failover,
                        PlotPath = plotPath,
                        Output = output,
                    },
                    stop.Token);
                if (!handoverResult.Success)
                {
                    error.WriteLine($"hipnat lab demo: {string.Join("; ", handoverResult.Failures.Select(f => f.Split('\n')[0]))}");
                    return ExitCodes.Failed;
                }

                return ExitCodes.Ok;
            }

            var options = new LabDemoOptions
            {
                HipnatDll = dll,
                AliceNat = nats.Count > 0 ? nats[0] : DemoNat.Eim,
                BobNat = nats.Count > 1 ? nats[1] : nats.Count > 0 ? nats[0] : DemoNat.Eim,
                Keep = parse.GetValue(keep),
                Output = output,
            };

            var result = await LabDemo.RunAsync(options, stop.Token);
            if (!result.Success)
            {
                error.WriteLine($"hipnat lab demo: {string.Join("; ", result.Failures.Select(f => f.Split('\n')[0]))}");
                return ExitCodes.Failed;
            }

            return ExitCodes.Ok;

            void Stop(PosixSignalContext context)
            {
                context.Cancel = !stop.IsCancellationRequested;
                stop.Cancel();
            }
        });
        return new Command("lab", "Network-namespace lab runs of hipnat (root)") { demo };
    }
}
