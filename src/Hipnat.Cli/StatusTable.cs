using System.Globalization;
using Hipnat.Runtime.Control;

namespace Hipnat.Cli;

/// <summary>The human-readable form of <c>hipnat status</c>.</summary>
internal static class StatusTable
{
    public static void Write(StatusReport s, TextWriter o)
    {
        var c = s.Counters;
        o.WriteLine($"HIT        {s.LocalHit} ({s.HostIdentity})");
        o.WriteLine($"transport  {s.Transport} on {string.Join(", ", s.Listen)}");
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"uptime     {FormatDuration(s.UptimeSeconds)} (pid {s.ProcessId})"));
        o.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"packets    in {c.PacketsIn}, out {c.PacketsOut}, retransmitted {c.Retransmissions}, dropped {c.Dropped + c.TransportBadChecksum + c.TransportMalformed + c.QueueDropped}"));
        if (c.Drops.Count > 0)
        {
            o.WriteLine($"drops      {string.Join(", ", c.Drops.Select(kv => $"{kv.Key} {kv.Value}"))}");
        }

        if (s.Peers.Count > 0)
        {
            o.WriteLine();
            o.WriteLine("known peers");
            foreach (var p in s.Peers)
            {
                o.WriteLine($"  {p.Hit}  {string.Join(", ", p.Locators)}");
            }
        }

        o.WriteLine();
        if (s.Associations.Count == 0)
        {
            o.WriteLine("no host associations");
            return;
        }

        var rows = new List<string[]> { new[] { "PEER HIT", "STATE", "ROLE", "PEER ADDRESS", "LOCAL ADDRESS", "CIPHER", "DH GROUP", "ESP", "SPI IN/OUT", "UP" } };
        foreach (var a in s.Associations)
        {
            var sa = a.SecurityAssociations.LastOrDefault();
            rows.Add(
            [
                a.PeerHit,
                a.State,
                a.Initiator ? "initiator" : "responder",
                a.PeerAddress ?? "-",
                a.LocalAddress ?? "-",
                Dash(a.Cipher),
                Dash(a.DhGroup),
                a.EspSuite == 0 ? "-" : a.EspSuite.ToString(CultureInfo.InvariantCulture),
                sa is null ? "-" : $"{sa.InboundSpi}/{sa.OutboundSpi}",
                a.EstablishedSecondsAgo is { } up ? FormatDuration(up) : "-",
            ]);
        }

        var widths = Enumerable.Range(0, rows[0].Length).Select(i => rows.Max(r => r[i].Length)).ToArray();
        foreach (var r in rows)
        {
            o.WriteLine(string.Join("  ", r.Select((cell, i) => cell.PadRight(widths[i]))).TrimEnd());
        }
    }

    private static string Dash(string? s) => string.IsNullOrEmpty(s) || s == "0" || s == "Reserved" ? "-" : s;

    private static string FormatDuration(double seconds) => seconds switch
    {
        < 60 => string.Create(CultureInfo.InvariantCulture, $"{seconds:0.0}s"),
        < 3600 => string.Create(CultureInfo.InvariantCulture, $"{Math.Floor(seconds / 60):0}m{seconds % 60:00}s"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{Math.Floor(seconds / 3600):0}h{Math.Floor(seconds % 3600 / 60):00}m"),
    };
}
