using System.Globalization;
using System.Net;
using System.Text;

namespace Hipnat.Lab;

/// <summary>
/// A NAT: a router whose outside interface (<c>wan0</c>) sits on a public (or another NAT's inside) segment and whose
/// inside interface (<c>lan0</c>, the segment's .1 and gateway) serves its own private segment
/// (<see cref="InsideSegment"/>). Translation is iptables MASQUERADE on wan0; <see cref="NatOptions"/> select the
/// RFC 4787 mapping, filtering and hairpinning behaviour (see docs/lab.md for what each gives and how).
/// Unsolicited packets from the outside to the NAT itself are dropped before conntrack confirms them (unless
/// <see cref="NatOptions.InputFirewall"/> is off), so they never leave stale entries that would make a later
/// outbound mapping pick another port.
/// </summary>
public sealed class LabNat : LabRouter
{
    private const string RecentList = "hn-adf";
    private bool jumpsInstalled;

    internal LabNat(NetworkLab lab, string name, string namespaceName, LabSegment insideSegment, NatOptions options)
        : base(lab, name, namespaceName)
    {
        InsideSegment = insideSegment;
        Options = options;
    }

    /// <summary>The outside interface (wan0).</summary>
    public LabInterface Outside => Interface("wan0");

    /// <summary>The inside interface (lan0).</summary>
    public LabInterface Inside => Interface("lan0");

    /// <summary>The private segment behind the NAT (named <c>NAME-lan</c>).</summary>
    public LabSegment InsideSegment { get; }

    /// <summary>The NAT's public (outside) address: the source address the outside world sees.</summary>
    public IPAddress PublicAddress => Outside.Address;

    /// <summary>The behaviour in force.</summary>
    public NatOptions Options { get; private set; }

    /// <summary>
    /// The inside host that receives unsolicited inbound UDP under emulated endpoint-independent or address-dependent
    /// filtering, and hairpinned packets: by default the first host added behind the NAT.
    /// </summary>
    public LabHost? ExposedHost { get; private set; }

    /// <summary>Adds a host on the inside segment (default route via the NAT).</summary>
    public LabHost AddHost(string name, IPAddress? address = null) => Lab.AddHost(name, InsideSegment, address);

    /// <summary>Changes the NAT's behaviour at run time. Flows already tracked keep their translation, as in a real NAT (see <see cref="ResetMappings"/>).</summary>
    public void Reconfigure(NatOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        lock (Lab.Sync)
        {
            Lab.ThrowIfDisposed();
            Options = options;
            ApplyRules();
        }
    }

    /// <summary>Makes <paramref name="host"/> (which must have an interface on the inside segment) the <see cref="ExposedHost"/>.</summary>
    public void Expose(LabHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        lock (Lab.Sync)
        {
            _ = host.InterfaceOn(InsideSegment);
            ExposedHost = host;
            ApplyRules();
        }
    }

    /// <summary>The NAT's current translations: conntrack entries whose source it rewrote.</summary>
    public IReadOnlyList<ConntrackEntry> GetMappings() => GetConntrackEntries().Where(e => e.IsSourceTranslated).ToList();

    /// <summary>
    /// The NAT gets a new public address on its outside segment (<paramref name="newPublicAddress"/> or a free one)
    /// and forgets every mapping, as when a provider renumbers a home router: hosts behind it see no local change,
    /// but the outside sees their traffic come from the new address (and new mappings). Returns the new address.
    /// </summary>
    public IPAddress Renumber(IPAddress? newPublicAddress = null)
    {
        lock (Lab.Sync)
        {
            Lab.ThrowIfDisposed();
            var address = newPublicAddress ?? Outside.Segment.AllocateAddress();
            if (newPublicAddress is null)
            {
                Outside.Segment.Release(address); // MoveTo claims it again
            }

            Outside.SetAddress(address);
            ResetMappings();
            return address;
        }
    }

    /// <summary>Forgets every mapping and filter state at once (conntrack flush and the address-dependent filter's list), like a NAT reboot.</summary>
    public void ResetMappings()
    {
        FlushConntrack();
        Run("sh", "-c", $"[ -e /proc/net/xt_recent/{RecentList} ] && echo / > /proc/net/xt_recent/{RecentList} || true");
    }

    internal void OnHostAttached(LabHost host)
    {
        if (ExposedHost is null)
        {
            ExposedHost = host;
            ApplyRules();
        }
    }

    internal override void OnInterfaceChanged(LabInterface nic, LabSegment oldSegment)
    {
        base.OnInterfaceChanged(nic, oldSegment);
        ApplyRules();
    }

    internal void OnHostAddressChanged(LabHost host)
    {
        if (host == ExposedHost)
        {
            ApplyRules();
        }
    }

    /// <summary>Writes the NAT's chains (HN-PRE, HN-POST in nat; HN-FWD, HN-IN in filter) in one iptables-restore.</summary>
    internal void ApplyRules()
    {
        var wan = "wan0";
        var lan = "lan0";
        var pub = $"{PublicAddress}/32";
        var inside = InsideSegment.Prefix.ToString();
        var random = Options.Mapping == NatMapping.AddressAndPortDependent ? " --random-fully" : string.Empty;
        var target = ExposedHost?.Interfaces.FirstOrDefault(i => i.Segment == InsideSegment)?.Address;
        var seconds = (int)Math.Max(1, Math.Ceiling(Options.FilteringTimeout.TotalSeconds));

        var rules = new StringBuilder();
        rules.Append("*nat\n:HN-PRE - [0:0]\n:HN-POST - [0:0]\n");
        if (!jumpsInstalled)
        {
            rules.Append("-A PREROUTING -j HN-PRE\n-A POSTROUTING -j HN-POST\n");
        }

        if (target is not null)
        {
            if (Options.Hairpinning)
            {
                rules.Append(CultureInfo.InvariantCulture, $"-A HN-PRE -i {lan} -d {pub} ! -s {target}/32 -p udp -j DNAT --to-destination {target}\n");
            }

            switch (Options.Filtering)
            {
                case NatFiltering.EndpointIndependent:
                    rules.Append(CultureInfo.InvariantCulture, $"-A HN-PRE -i {wan} -d {pub} -p udp -j DNAT --to-destination {target}\n");
                    break;
                case NatFiltering.AddressDependent:
                    rules.Append(CultureInfo.InvariantCulture, $"-A HN-PRE -i {wan} -d {pub} -p udp -m recent --name {RecentList} --rcheck --seconds {seconds} -j DNAT --to-destination {target}\n");
                    break;
            }
        }

        if (Options.Hairpinning)
        {
            rules.Append(CultureInfo.InvariantCulture, $"-A HN-POST -o {lan} -s {inside} -d {inside} -m conntrack --ctstate DNAT -j SNAT --to-source {PublicAddress}{random}\n");
        }

        rules.Append(CultureInfo.InvariantCulture, $"-A HN-POST -o {wan} -j MASQUERADE{random}\nCOMMIT\n");

        rules.Append("*filter\n:HN-FWD - [0:0]\n:HN-IN - [0:0]\n");
        if (!jumpsInstalled)
        {
            rules.Append("-A FORWARD -j HN-FWD\n-A INPUT -j HN-IN\n");
        }

        if (Options.Filtering == NatFiltering.AddressDependent)
        {
            rules.Append(CultureInfo.InvariantCulture, $"-A HN-FWD -i {lan} -o {wan} -m recent --name {RecentList} --rdest --set\n");
        }

        rules.Append(CultureInfo.InvariantCulture, $"""
            -A HN-FWD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
            -A HN-FWD -i {lan} -j ACCEPT
            -A HN-FWD -m conntrack --ctstate DNAT -j ACCEPT
            -A HN-FWD -i {wan} -j DROP

            """);
        if (Options.InputFirewall)
        {
            rules.Append(CultureInfo.InvariantCulture, $"""
                -A HN-IN -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
                -A HN-IN -i {wan} -p icmp --icmp-type echo-request -j ACCEPT
                -A HN-IN -i {wan} -j DROP

                """);
        }

        rules.Append(CultureInfo.InvariantCulture, $"""
            -A HN-IN -i {lan} -d {pub} -p udp -j DROP
            COMMIT

            """);

        Lab.ExecChecked(Namespace, "iptables-restore", ["-w", "--noflush"], rules.ToString());
        jumpsInstalled = true;
        WriteSysctl("net.netfilter.nf_conntrack_udp_timeout", Seconds(Options.UdpTimeout));
        WriteSysctl("net.netfilter.nf_conntrack_udp_timeout_stream", Seconds(Options.UdpStreamTimeout));
    }

    private static string Seconds(TimeSpan value) => ((int)Math.Max(1, Math.Ceiling(value.TotalSeconds))).ToString(CultureInfo.InvariantCulture);
}
