using Hipnat.Core.Transport;
using Hipnat.Wire.Parameters;

namespace Hipnat.Core.Ice;

/// <summary>Candidate and pair priorities (RFC 8445 §5.1.2, §6.1.2.3; RFC 9028 §4.2; RFC 8421 for dual stack).</summary>
public static class IcePriority
{
    /// <summary>RFC 9028 §4.2 / RFC 8445 §5.1.2.2 recommended type preferences.</summary>
    public static uint TypePreference(CandidateKind type) => type switch
    {
        CandidateKind.Host => 126,
        CandidateKind.PeerReflexive => 110,
        CandidateKind.ServerReflexive => 100,
        _ => 0,
    };

    /// <summary>priority = 2^24 * type preference + 2^8 * local preference + (256 - component ID), component 1.</summary>
    public static uint Compute(CandidateKind type, ushort localPreference) =>
        (TypePreference(type) << 24) | ((uint)localPreference << 8) | 255u;

    /// <summary>Pair priority (RFC 8445 §6.1.2.3): 2^32*MIN(G,D) + 2*MAX(G,D) + (G&gt;D?1:0), G controlling.</summary>
    public static ulong Pair(uint controlling, uint controlled) =>
        ((ulong)Math.Min(controlling, controlled) << 32) + (2ul * Math.Max(controlling, controlled)) + (controlling > controlled ? 1ul : 0ul);

    /// <summary>
    /// Local preferences for a host's addresses, unique per address: interfaces in the order given (an earlier
    /// interface is preferred, RFC 8445 §5.1.2.2 multihoming), and within that IPv6 and IPv4 intermingled with the
    /// IPv6 head start Hi = (N4 + N6) / N4 of RFC 8421 §4, so that neither family starves the other.
    /// </summary>
    public static ushort[] LocalPreferences(IReadOnlyList<TransportAddress> addresses)
    {
        int n = addresses.Count;
        var result = new ushort[n];
        if (n == 0)
        {
            return result;
        }

        if (n == 1)
        {
            result[0] = 65535; // RFC 9028 §4.2: a single candidate gets 65535
            return result;
        }

        int n4 = addresses.Count(a => a.IsIPv4);
        int n6 = n - n4;
        int headStart = n4 == 0 ? n : Math.Max(1, (n4 + n6) / n4);
        var v6 = Enumerable.Range(0, n).Where(i => !addresses[i].IsIPv4).ToList();
        var v4 = Enumerable.Range(0, n).Where(i => addresses[i].IsIPv4).ToList();
        var order = new List<int>(n);
        int i6 = 0;
        int i4 = 0;
        int run = 0;
        while (order.Count < n)
        {
            if (i6 < v6.Count && (run < headStart || i4 >= v4.Count))
            {
                order.Add(v6[i6++]);
                run++;
            }
            else if (i4 < v4.Count)
            {
                order.Add(v4[i4++]);
                run = 0;
            }
            else
            {
                order.Add(v6[i6++]);
            }
        }

        for (int rank = 0; rank < n; rank++)
        {
            result[order[rank]] = (ushort)(65535 - (rank * 256));
        }

        return result;
    }

    public static string TypeName(CandidateKind type) => type switch
    {
        CandidateKind.Host => "host",
        CandidateKind.ServerReflexive => "srflx",
        CandidateKind.PeerReflexive => "prflx",
        CandidateKind.Relayed => "relay",
        _ => $"type{(byte)type}",
    };
}
