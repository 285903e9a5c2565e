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

        if (c.Relayed + c.EspRelayed + c.KeepalivesSent + c.StunAnswered + c.ProbesSent > 0)
        {
            o.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"relaying   control {c.Relayed}, ESP {c.EspRelayed} ({FormatBytes(c.EspRelayedBytes)}); keepalives {c.KeepalivesSent}, STUN answered {c.StunAnswered}, probes {c.ProbesSent}"));
        }

        if (s.MetricsUrl is not null)
        {
            o.WriteLine($"metrics    {s.MetricsUrl}");
        }

        if (s.DnsResponder is { } dns)
        {
            o.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"dns        {string.Join(", ", dns.Listen)} (upstream {string.Join(", ", dns.Upstream)}): {dns.Queries} queries, {dns.Answered} answered, {dns.Forwarded} forwarded, {dns.Failed} failed, {dns.FormatErrors} malformed, {dns.Dropped} dropped"));
            if (dns.Drops.Count > 0)
            {
                o.WriteLine($"dns drops  {string.Join(", ", dns.Drops.Select(kv => $"{kv.Key} {kv.Value}"))}");
            }
        }

        if (s.Registrations.Count > 0)
        {
            o.WriteLine();
            o.WriteLine("registrations with relays");
            var rows = new List<string[]> { new[] { "RELAY HIT", "ADDRESS", "SERVICE", "STATE", "EXPIRES", "REFLEXIVE", "RELAYED" } };
            foreach (var r in s.Registrations)
            {
                rows.Add(
                [
                    r.RegistrarHit,
                    r.RegistrarAddress ?? "-",
                    r.Service,
                    r.Failure is null ? r.State : $"{r.State} ({r.Failure})",
                    r.ExpiresInSeconds is { } e ? "in " + FormatDuration(e) : "-",
                    r.ReflexiveAddress ?? "-",
                    r.RelayedAddress ?? "-",
                ]);
            }

            WriteRows(rows, o, "  ");
            foreach (var r in s.Registrations.Where(r => r.LastError is not null).DistinctBy(r => (r.RegistrarHit, r.LastError)))
            {
                o.WriteLine($"  {r.RegistrarHit}: {r.LastError}");
            }
        }

        if (s.Registrar is { } reg)
        {
            o.WriteLine();
            o.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"registrar  {string.Join(",", reg.Services)} for {(reg.AllowAny ? "anyone" : reg.Allowed.Count == 0 ? "nobody (closed: --allow HIT or --allow-any)" : $"{reg.Allowed.Count} allowed HIT(s)")}; " +
                $"relayed ports {reg.RelayAddress ?? "-"}:{reg.RelayPorts} ({reg.RelayedPortsOpen} open), {reg.Clients.Count}/{reg.MaxClients} clients"));
            if (reg.Clients.Count > 0)
            {
                var rows = new List<string[]> { new[] { "CLIENT HIT", "CLIENT ADDRESS", "SERVICES", "EXPIRES", "RELAYED ADDRESS", "CONTROL PKTS", "ESP PKTS/BYTES", "PERMISSIONS" } };
                foreach (var cl in reg.Clients)
                {
                    rows.Add(
                    [
                        cl.ClientHit,
                        cl.ClientAddress,
                        string.Join(",", cl.Services.Select(x => x.Service)),
                        cl.Services.Count == 0 ? "-" : "in " + FormatDuration(cl.Services.Min(x => x.ExpiresInSeconds)),
                        cl.RelayedAddress ?? "-",
                        cl.RelayedPackets.ToString(CultureInfo.InvariantCulture),
                        string.Create(CultureInfo.InvariantCulture, $"{cl.EspPackets}/{FormatBytes(cl.EspBytes)}"),
                        cl.Permissions.Count == 0 ? "-" : string.Join(", ", cl.Permissions.Select(p => $"{p.Peer} {p.InboundSpi}/{p.OutboundSpi}")),
                    ]);
                }

                WriteRows(rows, o, "  ");
            }
        }

        WriteIceCandidates(s, o);
        DataPlaneTable.Write(s.DataPlane, o);
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

        var table = new List<string[]> { new[] { "PEER HIT", "STATE", "ROLE", "PEER ADDRESS", "PATH", "LOCAL ADDRESS", "CIPHER", "DH GROUP", "ESP", "SPI IN/OUT", "UP", "LAST SEEN" } };
        foreach (var a in s.Associations)
        {
            var sa = a.SecurityAssociations.LastOrDefault();
            table.Add(
            [
                a.PeerHit,
                a.State,
                a.Initiator ? "initiator" : "responder",
                a.PeerAddress ?? "-",
                a.ActivePath is "relay" ? "via relay" : a.ActivePath ?? "-",
                a.LocalAddress ?? "-",
                Dash(a.Cipher),
                Dash(a.DhGroup),
                a.EspSuite == 0 ? "-" : a.EspSuite.ToString(CultureInfo.InvariantCulture),
                sa is null ? "-" : $"{sa.InboundSpi}/{sa.OutboundSpi}",
                a.EstablishedSecondsAgo is { } up ? FormatDuration(up) : "-",
                FormatDuration(a.LastSeenSecondsAgo) + " ago",
            ]);
        }

        WriteRows(table, o, string.Empty);
        foreach (var a in s.Associations)
        {
            WriteIce(a, o);
            WritePaths(a, o);
            WriteSaPairs(a, o);
        }
    }

    /// <summary>Every SA pair of an association with several (simultaneous multihoming, RFC 8047 §4.2.4): its SPIs and
    /// the locator pair it is bound to; the primary pair follows the active path.</summary>
    private static void WriteSaPairs(AssociationReport a, TextWriter o)
    {
        if (a.SecurityAssociations.Count < 2)
        {
            return;
        }

        o.WriteLine();
        o.WriteLine($"SA pairs with {a.PeerHit}");
        var rows = new List<string[]> { new[] { "SPI IN/OUT", "BOUND PATH", "STATE", "KEYMAT", "REKEYS" } };
        foreach (var sa in a.SecurityAssociations)
        {
            rows.Add([
                $"{sa.InboundSpi}/{sa.OutboundSpi}",
                sa.BoundLocal is { } local ? $"{local} <-> {sa.BoundPeer}" : "primary (the active path)",
                sa.BoundState ?? "-",
                sa.KeymatIndex.ToString(CultureInfo.InvariantCulture),
                sa.Generation.ToString(CultureInfo.InvariantCulture),
            ]);
        }

        WriteRows(rows, o, "  ");
    }

    private static void WriteIceCandidates(StatusReport s, TextWriter o)
    {
        if (s.NatTraversalModes.Count > 0)
        {
            o.WriteLine($"NAT modes  {string.Join(", ", s.NatTraversalModes)}");
        }

        foreach (var st in s.StunServers)
        {
            o.WriteLine($"STUN       {st.Server} from {st.Local}: {st.State}{(st.Reflexive is null ? string.Empty : " reflexive " + st.Reflexive)}{(st.RttMs is { } rtt ? string.Create(CultureInfo.InvariantCulture, $" rtt {rtt:0.0} ms") : string.Empty)}{(st.LastError is null ? string.Empty : " (" + st.LastError + ")")}");
        }

        foreach (var t in s.TurnServers)
        {
            o.WriteLine($"TURN       {t.Server} ({t.Username}) from {t.Local}: {t.State}{(t.Relayed is null ? string.Empty : " relayed " + t.Relayed)}{(t.Mapped is null ? string.Empty : " mapped " + t.Mapped)}{(t.ExpiresInSeconds is { } exp ? string.Create(CultureInfo.InvariantCulture, $" expires in {exp:0} s") : string.Empty)}{(t.Channels.Count == 0 ? string.Empty : "; channels " + string.Join(", ", t.Channels))}{(t.LastError is null ? string.Empty : " (" + t.LastError + ")")}");
        }

        if (s.TurnServers.Count > 0)
        {
            var c = s.Counters;
            o.WriteLine($"TURN data  out {c.TurnPacketsOut} packets ({c.TurnEspPacketsOut} ESP) {c.TurnBytesOut} bytes; in {c.TurnPacketsIn} packets ({c.TurnEspPacketsIn} ESP) {c.TurnBytesIn} bytes");
        }

        if (s.IceCandidates.Count == 0)
        {
            return;
        }

        o.WriteLine();
        o.WriteLine("ICE candidates");
        var rows = new List<string[]> { new[] { "TYPE", "ADDRESS", "BASE", "PRIORITY", "SOURCE" } };
        foreach (var c in s.IceCandidates)
        {
            rows.Add([c.Type, c.Address, c.Base ?? "-", c.Priority.ToString(CultureInfo.InvariantCulture), c.Source ?? "-"]);
        }

        WriteRows(rows, o, "  ");
    }

    /// <summary>
    /// Which relay carries a relayed ICE pair: our TURN allocation, our data relay (our relayed candidate), or the
    /// peer's relay (its relayed candidate — a data relay or a TURN server; its LOCATOR_SET does not say which).
    /// </summary>
    internal static string RelayKind(AssociationReport a)
    {
        if (a.ViaTurn)
        {
            return "TURN ";
        }

        var selected = a.Ice?.Pairs.FirstOrDefault(p => p.Selected);
        return selected is { LocalType: not "relay", RemoteType: "relay" } ? "the peer's relay " : a.ViaDataRelay ? "data relay " : string.Empty;
    }

    /// <summary>Per association running ICE: mode, role, state, the selected pair and why, then the checklist.</summary>
    private static void WriteIce(AssociationReport a, TextWriter o)
    {
        if (a.Ice is not { } ice)
        {
            return;
        }

        o.WriteLine();
        string path = a.ActivePath switch
        {
            "relay" when a.ViaDataRelay || a.ViaTurn => $"relayed via {RelayKind(a)}{a.RelayAddress}",
            "relay" => $"via relay {a.RelayAddress}",
            null => "no path yet",
            _ => "direct",
        };
        o.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"ICE with {a.PeerHit}: {ice.Mode}, {ice.Role}, {ice.State}; {ice.ChecksSent} checks sent, {ice.ChecksReceived} received, Ta {ice.PacingMs:0} ms; traffic {path}"));
        if (ice.Selected is not null)
        {
            o.WriteLine($"  selected {ice.Selected} ({ice.SelectedPath}): {ice.SelectedReason ?? "-"}");
        }

        var rows = new List<string[]> { new[] { "", "LOCAL", "REMOTE", "STATE", "NOMINATED", "RTT", "CHECKS" } };
        foreach (var p in ice.Pairs)
        {
            rows.Add(
            [
                p.Selected ? "*" : " ",
                $"{p.LocalType} {p.Local}",
                $"{p.RemoteType} {p.Remote}",
                p.State,
                p.Nominated ? "yes" : "-",
                p.RttMs is { } rtt ? string.Create(CultureInfo.InvariantCulture, $"{rtt:0.0} ms") : "-",
                p.ChecksSent.ToString(CultureInfo.InvariantCulture),
            ]);
        }

        WriteRows(rows, o, "  ");
    }

    private static void WriteRows(List<string[]> rows, TextWriter o, string indent)
    {
        var widths = Enumerable.Range(0, rows[0].Length).Select(i => rows.Max(r => r[i].Length)).ToArray();
        foreach (var r in rows)
        {
            o.WriteLine(indent + string.Join("  ", r.Select((cell, i) => cell.PadRight(widths[i]))).TrimEnd());
        }
    }

    private static string FormatBytes(long bytes) => bytes switch
    {
        < 10_000 => string.Create(CultureInfo.InvariantCulture, $"{bytes} B"),
        < 10_000_000 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.#} KiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:0.#} MiB"),
    };

    private static string Dash(string? s) => string.IsNullOrEmpty(s) || s == "0" || s == "Reserved" ? "-" : s;

    private static string FormatDuration(double seconds) => seconds switch
    {
        < 60 => string.Create(CultureInfo.InvariantCulture, $"{seconds:0.0}s"),
        < 3600 => string.Create(CultureInfo.InvariantCulture, $"{Math.Floor(seconds / 60):0}m{seconds % 60:00}s"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{Math.Floor(seconds / 3600):0}h{Math.Floor(seconds % 3600 / 60):00}m"),
    };

    /// <summary>Per association: every locator pair with its state, RTT and last use, and the last handover's steps.</summary>
    private static void WritePaths(AssociationReport a, TextWriter o)
    {
        if (a.LocatorPairs.Count == 0 && a.LastHandover is null)
        {
            return;
        }

        o.WriteLine();
        o.WriteLine($"Paths with {a.PeerHit}");
        var rows = new List<string[]> { new[] { "LOCAL", "PEER", "STATE", "RTT", "LAST HEARD", "VIA" } };
        foreach (var p in a.LocatorPairs)
        {
            rows.Add([
                p.Local,
                p.Peer,
                p.State.ToLowerInvariant(),
                p.RttMs > 0 ? string.Create(CultureInfo.InvariantCulture, $"{p.RttMs:0.0} ms") : "-",
                p.LastReceivedSecondsAgo is { } ago ? FormatDuration(ago) + " ago" : "-",
                p.ViaDataRelay ? "data relay" : p.RelayedTo is { } to ? "relay, to " + to : p.ThroughRelay ? "relay" : "direct",
            ]);
        }

        WriteRows(rows, o, "  ");
        if (a.LastHandover is { } h)
        {
            string took = h.DurationMs is { } d ? string.Create(CultureInfo.InvariantCulture, $"done in {d:0} ms") : "in progress";
            o.WriteLine($"  last handover ({(h.Role == "mobile" ? "we moved" : "the peer moved")}, {FormatDuration(h.StartedSecondsAgo)} ago, {took}): {h.Reason}");
            foreach (var step in h.Steps)
            {
                o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    +{step.AtMs,6:0} ms  {step.Step}"));
            }
        }

        if (a.LastFailover is { } f)
        {
            o.WriteLine($"  last {f.Kind} ({FormatDuration(f.SecondsAgo)} ago): {f.From} -> {f.To}: {f.Reason}");
        }
    }
}
