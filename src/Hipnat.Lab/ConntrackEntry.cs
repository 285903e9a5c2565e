using System.Net;

namespace Hipnat.Lab;

/// <summary>
/// One connection-tracking entry of a namespace (from <c>/proc/net/nf_conntrack</c>). On a NAT, the reply tuple's
/// destination is the mapped (external) endpoint of an outbound flow.
/// </summary>
/// <param name="Protocol">udp, tcp, icmp, ...</param>
/// <param name="TimeoutSeconds">Seconds left before the entry expires.</param>
/// <param name="Original">The tuple as the first packet had it.</param>
/// <param name="Reply">The tuple replies are expected to have (after NAT).</param>
/// <param name="Assured">conntrack's ASSURED flag (traffic seen both ways).</param>
/// <param name="Unreplied">conntrack's UNREPLIED flag.</param>
public sealed record ConntrackEntry(string Protocol, int TimeoutSeconds, ConntrackTuple Original, ConntrackTuple Reply, bool Assured, bool Unreplied)
{
    /// <summary>True when the source was rewritten (SNAT/MASQUERADE): the reply goes to another endpoint than the original came from.</summary>
    public bool IsSourceTranslated => !Reply.Destination.Equals(Original.Source) || Reply.DestinationPort != Original.SourcePort;

    /// <summary>The external endpoint of a source-translated flow.</summary>
    public IPEndPoint MappedEndpoint => new(Reply.Destination, Reply.DestinationPort);

    /// <summary>Parses one line of /proc/net/nf_conntrack; null when it is not an IPv4 entry it understands.</summary>
    public static ConntrackEntry? TryParse(string line)
    {
        var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 6 || fields[0] != "ipv4")
        {
            return null;
        }

        var protocol = fields[2];
        if (!int.TryParse(fields[4], out var timeout))
        {
            return null;
        }

        var tuples = new List<Dictionary<string, string>>();
        Dictionary<string, string>? current = null;
        foreach (var field in fields.Skip(5))
        {
            var eq = field.IndexOf('=', StringComparison.Ordinal);
            if (eq < 0)
            {
                continue;
            }

            var key = field[..eq];
            if (key == "src")
            {
                current = new Dictionary<string, string>(StringComparer.Ordinal);
                tuples.Add(current);
            }

            if (current is not null && !current.ContainsKey(key))
            {
                current[key] = field[(eq + 1)..];
            }
        }

        if (tuples.Count < 2 || ToTuple(tuples[0]) is not { } original || ToTuple(tuples[1]) is not { } reply)
        {
            return null;
        }

        return new ConntrackEntry(protocol, timeout, original, reply, fields.Contains("[ASSURED]"), fields.Contains("[UNREPLIED]"));
    }

    private static ConntrackTuple? ToTuple(Dictionary<string, string> values)
    {
        if (!values.TryGetValue("src", out var src) || !values.TryGetValue("dst", out var dst) ||
            !IPAddress.TryParse(src, out var source) || !IPAddress.TryParse(dst, out var destination))
        {
            return null;
        }

        var sport = values.TryGetValue("sport", out var s) && int.TryParse(s, out var sp) ? sp : 0;
        var dport = values.TryGetValue("dport", out var d) && int.TryParse(d, out var dp) ? dp : 0;
        return new ConntrackTuple(source, destination, sport, dport);
    }

    /// <inheritdoc />
    public override string ToString() => $"{Protocol} {Original} | reply {Reply}";
}
