using System.Net;

namespace Hipnat.Runtime.Netlink;

/// <summary>
/// The host's interfaces and addresses at one moment (an RTM_GETLINK and an RTM_GETADDR dump). Immutable; the
/// <see cref="AddressMonitor"/> hands a fresh one to its listeners after every debounced change.
/// </summary>
public sealed class InterfaceSnapshot
{
    public InterfaceSnapshot(IReadOnlyList<InterfaceLink> links, IReadOnlyList<InterfaceAddress> addresses)
    {
        ArgumentNullException.ThrowIfNull(links);
        ArgumentNullException.ThrowIfNull(addresses);
        Links = [.. links.OrderBy(l => l.Index)];
        Addresses = [.. addresses];
    }

    public static InterfaceSnapshot Empty { get; } = new([], []);

    /// <summary>Every link, by interface index.</summary>
    public IReadOnlyList<InterfaceLink> Links { get; }

    /// <summary>Every address, in the kernel's order (IPv4 before IPv6, by interface).</summary>
    public IReadOnlyList<InterfaceAddress> Addresses { get; }

    public InterfaceLink? LinkOf(int index)
    {
        foreach (var l in Links)
        {
            if (l.Index == index)
            {
                return l;
            }
        }

        return null;
    }

    /// <summary>
    /// The interfaces that are up (<see cref="InterfaceLink.IsUp"/>), by index, each with its usable addresses
    /// (<see cref="InterfaceAddress.IsUsable"/>): the input of the host-candidate policy
    /// (<see cref="DaemonRunner.HostCandidateAddresses"/>).
    /// </summary>
    public List<(string Name, IReadOnlyList<IPAddress> Addresses)> UsableInterfaces()
    {
        var result = new List<(string Name, IReadOnlyList<IPAddress> Addresses)>();
        foreach (var link in Links)
        {
            if (!link.IsUp)
            {
                continue;
            }

            var addresses = new List<IPAddress>();
            foreach (var a in Addresses)
            {
                if (a.InterfaceIndex == link.Index && a.IsUsable && !addresses.Contains(a.Address))
                {
                    addresses.Add(a.Address);
                }
            }

            result.Add((link.Name, addresses));
        }

        return result;
    }

    /// <summary>Which interface each address belongs to, whatever its state (status shows it as a candidate's source).</summary>
    public Dictionary<IPAddress, string> InterfaceOf()
    {
        var map = new Dictionary<IPAddress, string>();
        foreach (var a in Addresses)
        {
            if (LinkOf(a.InterfaceIndex) is { } link)
            {
                map.TryAdd(a.Address, link.Name);
            }
        }

        return map;
    }

    /// <summary>Same links and addresses with the same flags, in the same order.</summary>
    public bool SameAs(InterfaceSnapshot other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Links.SequenceEqual(other.Links) && Addresses.SequenceEqual(other.Addresses);
    }

    public override string ToString() =>
        string.Join("; ", Links.Select(l => $"{l.Index} {l.Name}{(l.IsUp ? string.Empty : " (down)")}: " +
            string.Join(", ", Addresses.Where(a => a.InterfaceIndex == l.Index).Select(a => a.IsUsable ? a.Address.ToString() : a.Address + " (not usable)"))));
}
