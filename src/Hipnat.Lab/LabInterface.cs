using System.Globalization;
using System.Net;

namespace Hipnat.Lab;

/// <summary>
/// One network interface of a <see cref="LabHost"/>: a veth whose peer is a port (<see cref="SwitchPort"/>) of its
/// segment's bridge in the switch namespace. Link state and impairments act on the switch side, so the host sees what
/// it would see with a real cable: carrier loss, lost packets, a slow link.
/// </summary>
public sealed class LabInterface
{
    private string[]? lossToHostRule;
    private string[]? lossFromHostRule;

    internal LabInterface(LabHost host, string name, string switchPort, LabSegment segment, IPAddress address)
    {
        Host = host;
        Name = name;
        SwitchPort = switchPort;
        Segment = segment;
        Address = address;
    }

    /// <summary>The host the interface belongs to.</summary>
    public LabHost Host { get; }

    /// <summary>The interface name inside the host's namespace (e.g. eth0, wan0, lan0).</summary>
    public string Name { get; }

    /// <summary>The peer's name: the bridge port in the switch namespace.</summary>
    public string SwitchPort { get; }

    /// <summary>The segment the interface is plugged into.</summary>
    public LabSegment Segment { get; private set; }

    /// <summary>The interface's IPv4 address.</summary>
    public IPAddress Address { get; private set; }

    /// <summary>The prefix length of <see cref="Address"/> (the segment's).</summary>
    public int PrefixLength => Segment.Prefix.PrefixLength;

    /// <summary>False after <see cref="SetLinkDown"/>.</summary>
    public bool IsLinkUp { get; private set; } = true;

    /// <summary>The impairment in force.</summary>
    public LinkImpairment Impairment { get; private set; } = LinkImpairment.None;

    private NetworkLab Lab => Host.Lab;

    /// <summary>False after <see cref="SetAdminDown"/>: the host's own end is administratively down.</summary>
    public bool IsAdminUp { get; private set; } = true;

    /// <summary>
    /// Takes the interface down on the host's side (<c>ip link set dev IF down</c> in its namespace), as a user turning
    /// Wi-Fi off: the host gets a link event, its kernel removes every route through the interface (the default route
    /// too), and the address stays. Compare <see cref="SetLinkDown"/> (switch side: carrier loss, routes stay) and
    /// <c>SetLoss(1)</c> (a silent cut: no event on the host at all).
    /// </summary>
    public void SetAdminDown()
    {
        lock (Lab.Sync)
        {
            Lab.ThrowIfDisposed();
            Lab.Ip(Host.Namespace, "link", "set", "dev", Name, "down");
            IsAdminUp = false;
        }
    }

    /// <summary>Brings the interface up again after <see cref="SetAdminDown"/> and restores the default route and routes through it.</summary>
    public void SetAdminUp()
    {
        lock (Lab.Sync)
        {
            Lab.ThrowIfDisposed();
            Lab.Ip(Host.Namespace, "link", "set", "dev", Name, "up");
            if (IsLinkUp)
            {
                Lab.WaitForLink(Host.Namespace, Name, SwitchPort);
            }

            IsAdminUp = true;
            Host.RestoreRoutes(this);
        }
    }

    /// <summary>Cuts the link: the switch port goes down and the host's interface loses carrier; addresses and routes stay.</summary>
    public void SetLinkDown() => SetLink(up: false);

    /// <summary>Restores the link after <see cref="SetLinkDown"/>.</summary>
    public void SetLinkUp() => SetLink(up: true);

    /// <summary>Drops packets at random with the same probability in both directions (0 removes the loss).</summary>
    public void SetLoss(double probability) => SetImpairment(Impairment with { LossToHost = probability, LossFromHost = probability });

    /// <summary>Limits the rate in both directions (null removes the limit).</summary>
    public void SetRate(long? bitsPerSecond) => SetImpairment(Impairment with { RateBitsPerSecond = bitsPerSecond });

    /// <summary>Replaces the link's impairment; takes effect at once, for flows already running too.</summary>
    public void SetImpairment(LinkImpairment impairment)
    {
        impairment.Validate();
        lock (Lab.Sync)
        {
            Lab.ThrowIfDisposed();
            lossToHostRule = ReplaceLossRule(lossToHostRule, "--physdev-out", impairment.LossToHost, "to");
            lossFromHostRule = ReplaceLossRule(lossFromHostRule, "--physdev-in", impairment.LossFromHost, "from");
            if (impairment.RateBitsPerSecond != Impairment.RateBitsPerSecond)
            {
                SetQdisc(Host.Namespace, Name, impairment.RateBitsPerSecond);
                SetQdisc(Lab.SwitchNamespace, SwitchPort, impairment.RateBitsPerSecond);
            }

            Impairment = impairment;
        }
    }

    /// <summary>Renumbers the interface within its segment (routes through it are restored).</summary>
    public void SetAddress(IPAddress address) => MoveTo(Segment, address);

    /// <summary>
    /// Re-plugs the interface into <paramref name="segment"/> with <paramref name="address"/> (or a free one): the old
    /// address goes, the new one comes, and the host's default route follows the new segment's gateway when it went
    /// through this interface (or when the host had none). The interface keeps its name, MAC and impairment — what a
    /// handover looks like to the host.
    /// </summary>
    public void MoveTo(LabSegment segment, IPAddress? address = null)
    {
        ArgumentNullException.ThrowIfNull(segment);
        if (segment.Lab != Lab)
        {
            throw new ArgumentException("the segment belongs to another lab", nameof(segment));
        }

        lock (Lab.Sync)
        {
            Lab.ThrowIfDisposed();
            var oldSegment = Segment;
            var oldAddress = Address;
            oldSegment.Release(oldAddress);
            IPAddress newAddress;
            try
            {
                if (address is null)
                {
                    newAddress = segment.Allocate(infrastructure: false);
                }
                else
                {
                    segment.Claim(address);
                    newAddress = address;
                }
            }
            catch
            {
                oldSegment.Claim(oldAddress);
                throw;
            }

            if (oldSegment != segment)
            {
                Lab.Ip(Lab.SwitchNamespace, "link", "set", SwitchPort, "master", segment.BridgeName);
                if (IsLinkUp && IsAdminUp)
                {
                    Lab.WaitForLink(Host.Namespace, Name, SwitchPort);
                }

                oldSegment.Detach(this);
                segment.Attach(this);
                Segment = segment;
            }

            Lab.Ip(Host.Namespace, "addr", "flush", "dev", Name);
            Lab.Ip(Host.Namespace, "addr", "add", $"{newAddress}/{segment.Prefix.PrefixLength}", "dev", Name);
            Address = newAddress;
            Host.OnInterfaceChanged(this, oldSegment);
        }
    }

    /// <summary>The interface's counters as the host sees them.</summary>
    public InterfaceCounters GetCounters() => Host.GetInterfaceCounters(Name);

    /// <inheritdoc />
    public override string ToString() => $"{Host.Name}/{Name} {Address}/{PrefixLength} on {Segment.Name}";

    /// <summary>Called under the lab lock when the host removes the interface: drops its switch-side loss rules.</summary>
    internal void OnRemoved()
    {
        lossToHostRule = ReplaceLossRule(lossToHostRule, "--physdev-out", 0, "to");
        lossFromHostRule = ReplaceLossRule(lossFromHostRule, "--physdev-in", 0, "from");
    }

    private void SetLink(bool up)
    {
        lock (Lab.Sync)
        {
            Lab.ThrowIfDisposed();
            Lab.Ip(Lab.SwitchNamespace, "link", "set", SwitchPort, up ? "up" : "down");
            if (up && IsAdminUp)
            {
                Lab.WaitForLink(Host.Namespace, Name, SwitchPort);
            }

            IsLinkUp = up;
        }
    }

    private string[]? ReplaceLossRule(string[]? current, string direction, double probability, string label)
    {
        string[]? wanted = probability > 0
            ?
            [
                "FORWARD", "-m", "physdev", direction, SwitchPort,
                "-m", "statistic", "--mode", "random", "--probability", probability.ToString("0.##########", CultureInfo.InvariantCulture),
                "-m", "comment", "--comment", $"hn-loss-{label}:{Host.Name}/{Name}",
                "-j", "DROP",
            ]
            : null;
        if (current is not null && wanted is not null && current.SequenceEqual(wanted))
        {
            return current;
        }

        if (wanted is not null)
        {
            Lab.ExecChecked(Lab.SwitchNamespace, "iptables", ["-w", "-A", .. wanted]);
        }

        if (current is not null)
        {
            Lab.ExecChecked(Lab.SwitchNamespace, "iptables", ["-w", "-D", .. current]);
        }

        return wanted;
    }

    private void SetQdisc(string ns, string device, long? bitsPerSecond)
    {
        if (bitsPerSecond is { } rate)
        {
            // Burst: 20 ms worth of data, at least two full-size frames; packets queue up to 200 ms, then drop.
            var burst = Math.Max(rate / 8 / 50, 3200);
            Lab.ExecChecked(ns, "tc", [
                "qdisc", "replace", "dev", device, "root", "tbf",
                "rate", $"{rate}bit", "burst", burst.ToString(CultureInfo.InvariantCulture), "latency", "200ms",
            ]);
        }
        else
        {
            Lab.Exec(ns, "tc", ["qdisc", "del", "dev", device, "root"]);
        }
    }
}
