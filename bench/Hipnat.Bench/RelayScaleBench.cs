using Hipnat.Simulator.Hip;

namespace Hipnat.Bench;

/// <summary>A relay with 10,000 registered clients in the simulator: time and relay memory per client.</summary>
internal static class RelayScaleBench
{
    public static int Run(string[] args)
    {
        int clients = ScaleBench.Arg(args, "--clients", 10_000);
        var r = RelayScaleScenario.Run(clients);
        Console.WriteLine($"registered clients   {r.Registered} of {r.Clients}");
        Console.WriteLine($"wall time            {r.WallTime.TotalSeconds:F2} s");
        Console.WriteLine($"relay memory         {r.RelayBytesPerClient / 1024.0:F2} KiB managed per registered client");
        Console.WriteLine($"all hosts' memory    {r.ManagedBytesTotalPerClient / 1024.0:F2} KiB managed per client (client + relay side)");
        return r.Registered == r.Clients ? 0 : 1;
    }
}
