using Hipnat.Simulator.Hip;

namespace Hipnat.Bench;

/// <summary>10,000 base exchanges in the deterministic simulator: wall time and managed memory per association.</summary>
internal static class ScaleBench
{
    public static int Run(string[] args)
    {
        int initiators = Arg(args, "--initiators", 10_000);
        int responders = Arg(args, "--responders", 100);
        var r = ScaleScenario.Run(initiators, responders);
        Console.WriteLine($"associations      {r.Established} of {r.Associations} (both ends ESTABLISHED)");
        Console.WriteLine($"wall time         {r.WallTime.TotalSeconds:F2} s  (virtual {r.VirtualTime.TotalSeconds:F1} s, {r.PacketsDelivered} packets)");
        Console.WriteLine($"managed memory    {(r.ManagedBytesAfter - r.ManagedBytesBefore) / 1048576.0:F1} MiB added");
        Console.WriteLine($"per association   {r.BytesPerAssociationEnd / 1024:F2} KiB per end ({2 * r.BytesPerAssociationEnd / 1024:F2} KiB per pair)");
        return r.Established == r.Associations ? 0 : 1;
    }

    internal static int Arg(string[] args, string name, int dflt)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out int v) ? v : dflt;
    }
}
