using System.Net;

namespace Hipnat.Lab.Internal;

/// <summary>
/// The only address ranges the lab hands out: the documentation networks (RFC 5737) for "public" segments and the
/// benchmarking network (RFC 2544, 198.18.0.0/15) for private networks behind NATs. Nothing in them is routable, so a
/// mistake can never send lab traffic to a real host.
/// </summary>
internal static class AllowedRanges
{
    public static readonly IReadOnlyList<IPNetwork> All =
    [
        IPNetwork.Parse("203.0.113.0/24"),
        IPNetwork.Parse("198.51.100.0/24"),
        IPNetwork.Parse("192.0.2.0/24"),
        IPNetwork.Parse("198.18.0.0/15"),
    ];

    public static void EnsureAllowed(IPNetwork prefix)
    {
        if (prefix.BaseAddress.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
        {
            throw new ArgumentException($"{prefix}: the lab uses IPv4 only", nameof(prefix));
        }

        if (!All.Any(r => r.PrefixLength <= prefix.PrefixLength && r.Contains(prefix.BaseAddress)))
        {
            throw new ArgumentException(
                $"{prefix} is outside the lab's ranges ({string.Join(", ", All)}); the lab never uses other addresses",
                nameof(prefix));
        }

        if (prefix.PrefixLength > 29)
        {
            throw new ArgumentException($"{prefix}: a segment needs at least a /29", nameof(prefix));
        }
    }
}
