using System.Globalization;
using Hipnat.Simulator.Hip;

namespace Hipnat.Bench;

/// <summary>
/// <c>soak HOSTS HOURS SEED</c>: hosts behind assorted NATs moving, losing their uplink and crashing every simulated
/// minute, then every association closed; prints a report per simulated hour and PASS/FAIL per leak check.
/// </summary>
internal static class SoakBench
{
    public static int Run(string[] args)
    {
        int hosts = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1000;
        double hours = args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 24;
        long seed = args.Length > 2 ? long.Parse(args[2], CultureInfo.InvariantCulture) : 1;
        var options = new SoakScenario.Options(hosts, TimeSpan.FromHours(hours), seed)
        {
            ReportEvery = hours >= 4 ? TimeSpan.FromHours(1) : TimeSpan.FromMinutes(15),
            Log = Console.WriteLine,
        };
        Console.WriteLine($"soak: {hosts} hosts, {hours} h simulated, seed {seed}");
        var r = SoakScenario.Run(options);
        Console.WriteLine($"disruptions       {r.Moves} moves, {r.Outages} uplink outages, {r.Crashes} crashes");
        Console.WriteLine($"recovery          {r.End.Recovered} recovered, {r.End.NotRecovered} not associated again within 3 min; {r.End.AssociationsFailed} AssociationFailed events");
        foreach (var d in r.NotRecoveredDetails)
        {
            Console.WriteLine($"  not recovered   {d}");
        }

        Console.WriteLine($"wall time         {r.End.Wall.TotalSeconds:F0} s");
        foreach (var (check, passed, detail) in r.Checks)
        {
            Console.WriteLine($"{(passed ? "PASS" : "FAIL")} {check}: {detail}");
        }

        return r.Passed ? 0 : 1;
    }
}
