using System.Globalization;
using Hipnat.Runtime.Control;

namespace Hipnat.Cli;

/// <summary>The data plane section of <c>hipnat status</c>: interface, LSIs, traffic, drops and every SA pair.</summary>
internal static class DataPlaneTable
{
    public static void Write(DataPlaneReport? d, TextWriter o)
    {
        if (d is null)
        {
            return;
        }

        o.WriteLine();
        o.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"data plane {d.Device} (MTU {d.Mtu}, {d.Queues} queue{(d.Queues == 1 ? string.Empty : "s")}, offloads {d.Offloads}), LSI {d.LocalLsi} in {d.LsiNetwork}; out {d.PacketsOut} packets / {Bytes(d.BytesOut)}, in {d.PacketsIn} / {Bytes(d.BytesIn)}; queued {d.Queued}, on-demand base exchanges {d.OnDemandConnects}"));
        if (d.Drops.Count > 0)
        {
            o.WriteLine($"  drops  {string.Join(", ", d.Drops.Select(kv => $"{kv.Key} {kv.Value}"))}");
        }

        if (d.Peers.Count == 0)
        {
            return;
        }

        var rows = new List<string[]>
        {
            new[] { "PEER HIT", "LSI", "ESP PATH", "SPI IN/OUT", "TRANSFORM", "PKTS IN/OUT", "BYTES IN/OUT", "REPLAY", "ICV", "LAST USE" },
        };
        foreach (var p in d.Peers)
        {
            string path = p.Peer is null ? "-" : $"{p.Local} -> {p.Peer}{(p.Relayed ? " (relay)" : string.Empty)}";
            if (p.SecurityAssociations.Count == 0)
            {
                rows.Add([p.Hit, Dash(p.Lsi), path, "-", "-", "-", "-", "-", "-", "-"]);
                continue;
            }

            foreach (var sa in p.SecurityAssociations)
            {
                rows.Add(
                [
                    p.Hit,
                    Dash(p.Lsi),
                    sa.Path ?? path,
                    $"{sa.InboundSpi}/{sa.OutboundSpi}{(sa.Active ? string.Empty : sa.Path is not null ? " (lane)" : " (old)")}{(sa.SharePercent is { } share ? string.Create(CultureInfo.InvariantCulture, $" {share:0}%") : string.Empty)}",
                    sa.Transform,
                    string.Create(CultureInfo.InvariantCulture, $"{sa.PacketsIn}/{sa.PacketsOut}"),
                    $"{Bytes(sa.BytesIn)}/{Bytes(sa.BytesOut)}",
                    sa.ReplayDrops.ToString(CultureInfo.InvariantCulture),
                    sa.IcvDrops.ToString(CultureInfo.InvariantCulture),
                    string.Create(CultureInfo.InvariantCulture, $"{sa.LastUseSecondsAgo:0.0}s ago"),
                ]);
            }
        }

        var widths = Enumerable.Range(0, rows[0].Length).Select(i => rows.Max(r => r[i].Length)).ToArray();
        foreach (var r in rows)
        {
            o.WriteLine("  " + string.Join("  ", r.Select((cell, i) => cell.PadRight(widths[i]))).TrimEnd());
        }
    }

    private static string Dash(string s) => s.Length == 0 ? "-" : s;

    private static string Bytes(long bytes) => bytes switch
    {
        < 10_000 => string.Create(CultureInfo.InvariantCulture, $"{bytes} B"),
        < 10_000_000 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.#} KiB"),
        < 10_000_000_000 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:0.#} MiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1073741824.0:0.##} GiB"),
    };
}
