using System.Globalization;
using System.Net;
using System.Text;

namespace Hipnat.Lab.Demo;

/// <summary>One place a datagram was seen: the segment and its addresses there (they differ on each side of a NAT).</summary>
public sealed record TimelineHop(DateTimeOffset Time, string Segment, IPEndPoint Source, IPEndPoint Destination);

/// <summary>
/// One datagram on its way from one node to the next, seen on one or more segments: e.g. bob's I1 on bob's LAN and, after
/// bob's NAT, on the public segment. A relay's forwarded copy is a separate entry (it is a new datagram).
/// </summary>
public sealed class TimelineEntry
{
    private readonly List<TimelineHop> hops = [];

    internal TimelineEntry(HipFrame first)
    {
        First = first;
        Add(first);
    }

    public HipFrame First { get; }

    public DateTimeOffset Time => hops[0].Time;

    public HipPacketView? Hip => First.Hip;

    public IReadOnlyList<TimelineHop> Hops => hops;

    /// <summary>The sending node's name (the UDP source of the first hop), filled in by <see cref="Timeline"/>.</summary>
    public string From { get; internal set; } = "?";

    /// <summary>The receiving node's name (the UDP destination of the last hop).</summary>
    public string To { get; internal set; } = "?";

    /// <summary>The HIP sender (by HIT), or null when not HIP.</summary>
    public string? HipFrom { get; internal set; }

    /// <summary>The HIP receiver (by HIT).</summary>
    public string? HipTo { get; internal set; }

    /// <summary>
    /// Null when the datagram reached its receiver; otherwise where it ended: a NAT whose filter stopped it, or the last
    /// segment it was seen on (e.g. a private address the sender's NAT has no route to).
    /// </summary>
    public string? StoppedAt { get; internal set; }

    /// <summary>True when <see cref="StoppedAt"/> is a NAT that did not let the datagram in.</summary>
    public bool StoppedByNat { get; internal set; }

    /// <summary>A datagram a node sent on behalf of another HIT: a relay forwarding a packet.</summary>
    public bool IsForwarded => HipFrom is not null && HipFrom != From;

    /// <summary>A datagram sent to a node for another HIT: the first leg of a relayed packet.</summary>
    public bool IsForRelaying => HipTo is not null && HipTo != To;

    /// <summary>True when one of the hops has <paramref name="endpoint"/> as source or destination.</summary>
    public bool Touches(IPEndPoint endpoint) => hops.Any(h => h.Source.Equals(endpoint) || h.Destination.Equals(endpoint));

    /// <summary>True for a HIP packet between the two HITs (either direction).</summary>
    public bool IsBetween(string a, string b) => (HipFrom == a && HipTo == b) || (HipFrom == b && HipTo == a);

    internal void Add(HipFrame frame) => hops.Add(new TimelineHop(frame.Time, frame.Segment, frame.Source, frame.Destination));

    internal bool Accepts(HipFrame frame) =>
        frame.PayloadKey == First.PayloadKey
        && hops.All(h => h.Segment != frame.Segment)
        && hops.Any(h => h.Source.Equals(frame.Source) || h.Destination.Equals(frame.Destination))
        && frame.Time - hops[^1].Time < TimeSpan.FromMilliseconds(500);
}

/// <summary>A node of the lab as the time line names it: its name, the segment label its address is on, and whether it is a NAT.</summary>
public sealed record TimelineNode(string Name, string Segment, bool IsNat = false);

/// <summary>A demo action or observation placed in the timeline (e.g. "alice: hipnat connect BOB").</summary>
public sealed record TimelineNote(DateTimeOffset Time, string Text);

/// <summary>
/// The HIP packets of several captures merged into one time line: the same datagram seen on several segments (before and
/// after a NAT) becomes one entry with a hop per segment; duplicates of a frame captured twice on one segment are dropped.
/// </summary>
public sealed class Timeline
{
    private readonly List<TimelineEntry> entries = [];
    private readonly List<TimelineNote> notes = [];

    /// <param name="frames">Frames of every capture.</param>
    /// <param name="hitNames">HIT (IPv6 notation) → node name.</param>
    /// <param name="nodes">Every node address → the node (to name UDP senders and receivers and to tell whether a datagram arrived).</param>
    public Timeline(IEnumerable<HipFrame> frames, IReadOnlyDictionary<IPAddress, string> hitNames, IReadOnlyDictionary<IPAddress, TimelineNode> nodes)
    {
        var seen = new List<HipFrame>();
        foreach (var f in frames.OrderBy(f => f.Time))
        {
            // The same frame captured on two interfaces of one segment (e.g. the relay's and a NAT's on the public one).
            if (seen.Any(s => s.Segment == f.Segment && s.PayloadKey == f.PayloadKey && s.Source.Equals(f.Source)
                && s.Destination.Equals(f.Destination) && (f.Time - s.Time).Duration() < TimeSpan.FromMilliseconds(50)))
            {
                continue;
            }

            seen.Add(f);
            var entry = entries.LastOrDefault(e => e.Accepts(f));
            if (entry is null)
            {
                entries.Add(new TimelineEntry(f));
            }
            else
            {
                entry.Add(f);
            }
        }

        foreach (var e in entries)
        {
            e.From = Name(nodes, e.Hops[0].Source.Address);
            var last = e.Hops[^1];
            nodes.TryGetValue(last.Destination.Address, out var receiver);
            e.To = receiver?.Name ?? last.Destination.Address.ToString();
            if (e.Hip is { } hip)
            {
                e.HipFrom = hitNames.TryGetValue(hip.SenderHit, out var s) ? s : hip.SenderHit.ToString();
                e.HipTo = hitNames.TryGetValue(hip.ReceiverHit, out var r) ? r : hip.ReceiverHit.ToString();
            }

            if (receiver is { IsNat: true })
            {
                // Sent to a NAT's public address and never seen behind it: the NAT's filter stopped it.
                e.StoppedAt = receiver.Name;
                e.StoppedByNat = true;
                e.To = e.HipTo ?? receiver.Name;
            }
            else if (receiver is not null && receiver.Segment != last.Segment)
            {
                e.StoppedAt = last.Segment;
            }
        }
    }

    public IReadOnlyList<TimelineEntry> Entries => entries;

    public IReadOnlyList<TimelineNote> Notes => notes;

    public void AddNote(DateTimeOffset time, string text) => notes.Add(new TimelineNote(time, text));

    /// <summary>The time line as text: one line per datagram (time in ms since <paramref name="start"/>, nodes, packet, parameters)
    /// and one indented line per segment it was seen on, with the addresses there; notes are interleaved.</summary>
    public string Render(DateTimeOffset start)
    {
        var sb = new StringBuilder();
        var items = entries.Select(e => (e.Time, (object)e)).Concat(notes.Select(n => (n.Time, (object)n))).OrderBy(x => x.Time);
        int segmentWidth = Math.Max(8, entries.SelectMany(e => e.Hops).Select(h => h.Segment.Length).DefaultIfEmpty(0).Max());
        foreach (var (time, item) in items)
        {
            var ms = (time - start).TotalMilliseconds.ToString("0.0", CultureInfo.InvariantCulture).PadLeft(8);
            if (item is TimelineNote note)
            {
                sb.Append(ms).Append("  ── ").Append(note.Text).Append('\n');
                continue;
            }

            var e = (TimelineEntry)item;
            var who = $"{e.From} → {e.To}";
            string what;
            if (e.Hip is { } hip)
            {
                what = hip.TypeName;
                if (e.IsForwarded)
                {
                    what += $" from {e.HipFrom}";
                }

                if (e.IsForRelaying)
                {
                    what += $" for {e.HipTo}";
                }

                var p = hip.DescribeParameters();
                if (p.Length > 0)
                {
                    what += "  " + p;
                }
            }
            else
            {
                what = DescribeOther(e.First.Payload);
            }

            if (e.StoppedAt is { } stop)
            {
                what += e.StoppedByNat ? $"   ✗ dropped by {stop}" : $"   ✗ not delivered (last seen on {stop})";
            }

            sb.Append(ms).Append("  ").Append(who.PadRight(16)).Append(' ').Append(what).Append('\n');
            foreach (var h in e.Hops)
            {
                sb.Append(' ', 12).Append(h.Segment.PadRight(segmentWidth)).Append("  ")
                    .Append(h.Source).Append(" → ").Append(h.Destination).Append('\n');
            }
        }

        return sb.ToString();
    }

    private static string Name(IReadOnlyDictionary<IPAddress, TimelineNode> nodes, IPAddress address) =>
        nodes.TryGetValue(address, out var n) ? n.Name : address.ToString();

    private static string DescribeOther(byte[] payload)
    {
        if (payload.Length >= 20 && payload[4] == 0x21 && payload[5] == 0x12 && payload[6] == 0xa4 && payload[7] == 0x42)
        {
            return $"STUN (type 0x{payload[0]:x2}{payload[1]:x2})";
        }

        if (payload.Length >= 8 && payload.AsSpan(0, 4).IndexOfAnyExcept((byte)0) >= 0)
        {
            return $"ESP (SPI {Convert.ToHexStringLower(payload, 0, 4)}, {payload.Length} bytes)";
        }

        return $"UDP ({payload.Length} bytes, not HIP)";
    }
}
