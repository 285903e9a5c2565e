using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Hipnat.DataPlane.Esp;
using Hipnat.Wire;

namespace Hipnat.DataPlane.Tun;

/// <summary>
/// Sets up the HIP virtual interface with iproute2 (<c>ip</c>): MTU and link up, the local HIT as an IPv6 address
/// with the ORCHIDv2 prefix length so that every HIT routes to the interface (RFC 7343 §6, RFC 5338 §3), and the
/// local LSI with the LSI network. Control path only; each call runs one <c>ip</c> process.
/// </summary>
/// <remarks>
/// LSIs: RFC 5338 defines LSIs as locally significant and fixes no range. hipnat's default LSI network is
/// <see cref="DefaultLsiNetwork"/>, 198.18.0.0/16, the lower half of the RFC 2544 benchmarking block 198.18.0.0/15:
/// it is never routed on the Internet, unlike the 1.0.0.0/8 some older HIP implementations used (now allocated), and,
/// unlike 100.64.0.0/10, it does not collide with the carrier-grade NAT addresses hipnat hosts often have. It is
/// configurable because another local use of 198.18.0.0/15 (such as the namespace lab's private segments) would
/// conflict. Tests use 198.19.0.0/16.
/// </remarks>
public sealed class TunConfigurator
{
    /// <summary>Default LSI network (see remarks).</summary>
    public static readonly IPNetwork DefaultLsiNetwork = IPNetwork.Parse("198.18.0.0/16");

    /// <summary>ORCHIDv2 prefix 2001:20::/28 (RFC 7343 §6): the route every HIT takes.</summary>
    public static readonly IPNetwork OrchidNetwork = IPNetwork.Parse("2001:20::/28");

    private readonly string? _namespace;

    /// <param name="networkNamespace">Named network namespace to configure (<c>ip -n NAME</c>); null for the current one.</param>
    public TunConfigurator(string? networkNamespace = null)
    {
        _namespace = networkNamespace;
    }

    /// <summary>Path of the <c>ip</c> binary.</summary>
    public string IpCommand { get; init; } = "ip";

    /// <summary>
    /// Configures a HIP interface: MTU, up, <c>HIT/28</c> (no duplicate address detection; the HIT is ours by
    /// construction) and, when given, <c>LSI/prefix</c> of <paramref name="lsiNetwork"/> (default
    /// <see cref="DefaultLsiNetwork"/>), whose connected route sends all LSIs to the interface.
    /// </summary>
    public void ConfigureHipInterface(string device, Hit localHit, IPAddress? localLsi, int mtu, IPNetwork? lsiNetwork = null)
    {
        SetMtu(device, mtu);
        SetUp(device);
        AddAddress(device, localHit.ToIPAddress(), OrchidNetwork.PrefixLength);
        if (localLsi is not null)
        {
            var network = lsiNetwork ?? DefaultLsiNetwork;
            if (!network.Contains(localLsi))
            {
                throw new ArgumentException($"LSI {localLsi} is not in the LSI network {network}", nameof(localLsi));
            }

            AddAddress(device, localLsi, network.PrefixLength);
        }
    }

    /// <summary><c>ip link set dev DEVICE mtu MTU</c>.</summary>
    public void SetMtu(string device, int mtu)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(mtu, 68);
        Run("link", "set", "dev", device, "mtu", mtu.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary><c>ip link set dev DEVICE up</c>.</summary>
    public void SetUp(string device) => Run("link", "set", "dev", device, "up");

    /// <summary><c>ip addr add ADDRESS/PREFIX dev DEVICE</c>; IPv6 addresses are added with <c>nodad</c>.</summary>
    public void AddAddress(string device, IPAddress address, int prefixLength)
    {
        ArgumentNullException.ThrowIfNull(address);
        string prefix = $"{address}/{prefixLength.ToString(CultureInfo.InvariantCulture)}";
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            Run("-6", "addr", "add", prefix, "dev", device, "nodad");
        }
        else
        {
            Run("-4", "addr", "add", prefix, "dev", device);
        }
    }

    /// <summary><c>ip route add NETWORK dev DEVICE</c> (replace when it exists).</summary>
    public void AddRoute(string device, IPNetwork destination, int? mtu = null)
    {
        var args = new List<string>
        {
            destination.BaseAddress.AddressFamily == AddressFamily.InterNetworkV6 ? "-6" : "-4",
            "route", "replace", destination.ToString(), "dev", device,
        };
        if (mtu is { } m)
        {
            args.Add("mtu");
            args.Add(m.ToString(CultureInfo.InvariantCulture));
        }

        Run([.. args]);
    }

    /// <summary>
    /// Largest inner packet that fits one outer packet of <paramref name="pathMtu"/>: the outer IP header, UDP (8,
    /// when encapsulated, RFC 9028 §5.11) and the worst-case ESP overhead of <paramref name="transform"/> are taken
    /// off, and the inner IPv4 header BEET does not send (20; an inner IPv6 packet gains 40) is added back.
    /// </summary>
    public static int InnerMtu(EspTransform transform, int pathMtu, bool outerIpv6, bool udpEncapsulated)
    {
        ArgumentNullException.ThrowIfNull(transform);
        int outer = (outerIpv6 ? 40 : 20) + (udpEncapsulated ? 8 : 0);
        int espRoom = pathMtu - outer;
        return transform.GetMaxPayloadLength(espRoom) + 20;
    }

    private void Run(params string[] arguments)
    {
        var psi = new ProcessStartInfo(IpCommand)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        if (_namespace is not null)
        {
            psi.ArgumentList.Add("-n");
            psi.ArgumentList.Add(_namespace);
        }

        foreach (var a in arguments)
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {IpCommand}");
        var stderr = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{IpCommand} {string.Join(' ', psi.ArgumentList)} failed ({process.ExitCode}): {stderr.GetAwaiter().GetResult().Trim()}");
        }
    }
}
