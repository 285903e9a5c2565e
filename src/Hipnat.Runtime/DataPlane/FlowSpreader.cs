namespace Hipnat.Runtime.DataPlane;

/// <summary>
/// The load-balance policy's arithmetic (docs/multihoming.md, "Simultaneous multihoming"): a hash of the inner flow,
/// the weight of a path from its round-trip time and loss, and a table of <see cref="Buckets"/> buckets that maps a
/// flow hash to one SA pair, each pair owning a share of the buckets proportional to its weight. All packets of a
/// flow hash alike, so a flow never splits over two SA pairs (RFC 8047 §4.2.2: one SA pair per load-balanced path,
/// each with its own anti-replay window, and no reordering inside a flow).
/// </summary>
public static class FlowSpreader
{
    /// <summary>Buckets in a table: a weight is honoured to 1/256.</summary>
    public const int Buckets = 256;

    /// <summary>The RTT in the weight's denominator is at least this much: paths within a few milliseconds of each other
    /// weigh (almost) the same, so measurement noise on a LAN does not skew the split.</summary>
    public static readonly TimeSpan RttFloor = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// The flow hash: FNV-1a (32 bits) over the protocol, source and destination address and the two ports, finished
    /// with the MurmurHash3 fmix32 avalanche so that the top bits (the bucket) depend on every input bit. Ports are 0
    /// for protocols without them and for IPv4 fragments (all fragments of a datagram hash alike).
    /// </summary>
    public static uint Hash(byte protocol, ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, ushort sourcePort, ushort destinationPort)
    {
        const uint prime = 16777619;
        uint h = 2166136261;
        h = (h ^ protocol) * prime;
        foreach (byte b in source)
        {
            h = (h ^ b) * prime;
        }

        foreach (byte b in destination)
        {
            h = (h ^ b) * prime;
        }

        h = (h ^ (byte)(sourcePort >> 8)) * prime;
        h = (h ^ (byte)sourcePort) * prime;
        h = (h ^ (byte)(destinationPort >> 8)) * prime;
        h = (h ^ (byte)destinationPort) * prime;

        h ^= h >> 16;
        h *= 0x85EBCA6B;
        h ^= h >> 13;
        h *= 0xC2B2AE35;
        h ^= h >> 16;
        return h;
    }

    /// <summary>The bucket of a flow hash: its top 8 bits.</summary>
    public static int Bucket(uint hash) => (int)(hash >> 24);

    /// <summary>
    /// The weight of a path: <c>w = (1 - min(loss, 0.9))^2 * F / (F + rtt)</c> with F = <see cref="RttFloor"/>. A path
    /// with twice the delay of a LAN-near one gets about half its share once the delay exceeds F; loss counts twice
    /// (a TCP flow's rate falls faster than linearly with loss). An unmeasured RTT (zero) counts as zero.
    /// </summary>
    public static double Weight(TimeSpan rtt, double loss)
    {
        double l = Math.Clamp(double.IsNaN(loss) ? 0 : loss, 0, 0.9);
        double floor = RttFloor.TotalMilliseconds;
        double r = Math.Max(0, rtt.TotalMilliseconds);
        return (1 - l) * (1 - l) * floor / (floor + r);
    }

    /// <summary>
    /// The bucket table for <paramref name="weights"/> (0: the lane gets nothing, e.g. its path failed): lane i owns
    /// round(256 * w_i / Σw) buckets (largest remainder). With a <paramref name="previous"/> table (lane indexes mapped
    /// through <paramref name="previousToNew"/>, -1: gone), buckets stay where they were as far as the new shares allow,
    /// so a weight change moves only the flows it must. Returns null when no lane has weight.
    /// </summary>
    public static byte[]? BuildTable(ReadOnlySpan<double> weights, byte[]? previous = null, ReadOnlySpan<int> previousToNew = default)
    {
        int n = weights.Length;
        ArgumentOutOfRangeException.ThrowIfGreaterThan(n, byte.MaxValue);
        double sum = 0;
        foreach (double w in weights)
        {
            sum += Math.Max(0, w);
        }

        if (n == 0 || sum <= 0)
        {
            return null;
        }

        // Largest remainder: every bucket goes to some lane with weight.
        Span<int> target = stackalloc int[n];
        Span<double> remainder = stackalloc double[n];
        int given = 0;
        for (int i = 0; i < n; i++)
        {
            double exact = Buckets * Math.Max(0, weights[i]) / sum;
            target[i] = (int)Math.Floor(exact);
            remainder[i] = exact - target[i];
            given += target[i];
        }

        while (given < Buckets)
        {
            int best = 0;
            for (int i = 1; i < n; i++)
            {
                if (remainder[i] > remainder[best])
                {
                    best = i;
                }
            }

            target[best]++;
            remainder[best] = -1;
            given++;
        }

        var table = new byte[Buckets];
        Span<int> count = stackalloc int[n];
        Span<bool> assigned = stackalloc bool[Buckets];
        if (previous is { Length: Buckets })
        {
            for (int b = 0; b < Buckets; b++)
            {
                int old = previous[b];
                int lane = old < previousToNew.Length ? previousToNew[old] : -1;
                if (lane >= 0 && lane < n && count[lane] < target[lane])
                {
                    table[b] = (byte)lane;
                    count[lane]++;
                    assigned[b] = true;
                }
            }
        }

        // The rest: each free bucket to the lane furthest below its share, which interleaves lanes over the table.
        for (int b = 0; b < Buckets; b++)
        {
            if (assigned[b])
            {
                continue;
            }

            int best = -1;
            for (int i = 0; i < n; i++)
            {
                if (count[i] < target[i] && (best < 0 || target[i] - count[i] > target[best] - count[best]))
                {
                    best = i;
                }
            }

            table[b] = (byte)best;
            count[best]++;
        }

        return table;
    }
}
