using System.CommandLine;
using System.Runtime.InteropServices;
using Hipnat.Lab.Demo;

namespace Hipnat.Cli;

/// <summary>
/// <c>hipnat lab demo</c>: builds a namespace lab (a relay and two hosts behind NATs), runs the real daemons in it,
/// and prints the captured HIP packets as a time line with a summary. Needs root, iproute2, iptables and tshark.
/// </summary>
internal static class LabCommand
{
    public static Command Create()
    {
        var nat = new Option<string[]>("--nat")
        {
            Description = $"NAT behaviour: once for both NATs, or twice (alice's, then bob's): {DemoNat.Names}. Default eim",
            HelpName = "KIND",
            Arity = ArgumentArity.ZeroOrMore,
            AllowMultipleArgumentsPerToken = true,
        };
        var keep = new Option<bool>("--keep")
        {
            Description = "Keep the lab and its daemons running after the summary until Ctrl-C, and keep the captures and keys",
        };
        var demo = new Command("demo",
            "Relay on a public network, alice and bob behind NATs: bob registers, alice reaches bob through the relay; prints the HIP packets as a time line and a summary (needs root and tshark)")
        {
            nat,
            keep,
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

            var dll = Path.Combine(AppContext.BaseDirectory, "hipnat.dll");
            if (!File.Exists(dll))
            {
                error.WriteLine($"hipnat lab demo: {dll} not found; run the demo from the built hipnat (dotnet src/Hipnat.Cli/bin/CONFIG/net10.0/hipnat.dll)");
                return ExitCodes.Environment;
            }

            var options = new LabDemoOptions
            {
                HipnatDll = dll,
                AliceNat = nats.Count > 0 ? nats[0] : DemoNat.Eim,
                BobNat = nats.Count > 1 ? nats[1] : nats.Count > 0 ? nats[0] : DemoNat.Eim,
                Keep = parse.GetValue(keep),
                Output = output,
            };

            // Ctrl-C / SIGTERM end the demo (or a kept lab) cleanly: the lab is torn down, then the summary's exit code.
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
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
