using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.RegularExpressions;
using Hipnat.Lab.Internal;

namespace Hipnat.Lab;

/// <summary>
/// A node of the lab: its own network namespace (<c>hn-ID-NAME</c>) with a loopback, one or more
/// <see cref="LabInterface"/>s on segments, and routes. Commands and programs run inside it; managed code can open
/// sockets inside it directly (<see cref="OpenUdpSocket"/>, <see cref="InNamespace{T}(Func{T})"/>).
/// </summary>
public partial class LabHost
{
    private const string CounterCommentPrefix = "hn-counter:";
    private readonly List<LabInterface> interfaces = [];
    private readonly List<(IPNetwork Prefix, IPAddress Via)> routes = [];
    private readonly Dictionary<string, string> counterTables = new(StringComparer.Ordinal);
    private int nextInterfaceIndex;
    private int nextCaptureIndex;

    internal LabHost(NetworkLab lab, string name, string namespaceName)
    {
        Lab = lab;
        Name = name;
        Namespace = namespaceName;
    }

    /// <summary>The lab the host belongs to.</summary>
    public NetworkLab Lab { get; }

    /// <summary>The host's name in the lab.</summary>
    public string Name { get; }

    /// <summary>The network namespace (<c>ip netns</c> name).</summary>
    public string Namespace { get; }

    /// <summary>The host's interfaces, in the order they were added.</summary>
    public IReadOnlyList<LabInterface> Interfaces
    {
        get
        {
            lock (Lab.Sync)
            {
                return [.. interfaces];
            }
        }
    }

    /// <summary>The first interface.</summary>
    public LabInterface PrimaryInterface => Interfaces.Count > 0 ? Interfaces[0] : throw new InvalidOperationException($"{Name} has no interface");

    /// <summary>The address of the first interface.</summary>
    public IPAddress Address => PrimaryInterface.Address;

    /// <summary>The default route's gateway, or null when the host has none.</summary>
    public IPAddress? DefaultGateway { get; private set; }

    /// <summary>The interface called <paramref name="name"/>.</summary>
    public LabInterface Interface(string name) =>
        Interfaces.FirstOrDefault(i => i.Name == name) ?? throw new KeyNotFoundException($"{Name} has no interface {name}");

    /// <summary>The host's interface on <paramref name="segment"/>.</summary>
    public LabInterface InterfaceOn(LabSegment segment) =>
        Interfaces.FirstOrDefault(i => i.Segment == segment) ?? throw new KeyNotFoundException($"{Name} has no interface on {segment.Name}");

    /// <summary>
    /// A second uplink the way a multihomed host has one: an interface behind <paramref name="nat"/>, a routing table
    /// (<paramref name="table"/>) for its source address so that what is sent from it leaves through it, and a default
    /// route of lower preference that takes over when the first uplink goes.
    /// </summary>
    public LabInterface AddUplink(LabNat nat, int table = 100)
    {
        ArgumentNullException.ThrowIfNull(nat);
        var nic = AddInterface(nat.InsideSegment);
        string gateway = nat.Inside.Address.ToString();
        string t = table.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Run("ip", "rule", "add", "from", nic.Address.ToString(), "table", t).EnsureSuccess();
        Run("ip", "route", "add", "default", "via", gateway, "dev", nic.Name, "table", t).EnsureSuccess();
        Run("ip", "route", "add", "default", "via", gateway, "dev", nic.Name, "metric", "100").EnsureSuccess();
        return nic;
    }

    /// <summary>Adds an interface on <paramref name="segment"/> (multihoming); name defaults to ethN, address to a free one.</summary>
    /// <remarks>
    /// Works while traffic flows: with <see cref="SetDefaultRoute"/> to the new segment's gateway and then
    /// <see cref="RemoveInterface"/> of the old one it is a make-before-break handover. A host that becomes the first
    /// behind a NAT becomes its <see cref="LabNat.ExposedHost"/>.
    /// </remarks>
    public LabInterface AddInterface(LabSegment segment, IPAddress? address = null, string? name = null)
    {
        lock (Lab.Sync)
        {
            var nic = AddInterfaceCore(segment, address, name, infrastructure: false);
            segment.Nat?.OnHostAttached(this);
            return nic;
        }
    }

    /// <summary>
    /// Unplugs and deletes <paramref name="nic"/> (its veth and switch port go, its address is released): the host
    /// gets a link event and its kernel drops every route through it. The default route goes with it when its gateway
    /// was on that interface's segment and no other interface is; <see cref="PrimaryInterface"/> becomes the next one.
    /// </summary>
    public void RemoveInterface(LabInterface nic)
    {
        ArgumentNullException.ThrowIfNull(nic);
        if (nic.Host != this)
        {
            throw new ArgumentException($"{nic} is not an interface of {Name}", nameof(nic));
        }

        lock (Lab.Sync)
        {
            Lab.ThrowIfDisposed();
            if (!interfaces.Contains(nic))
            {
                throw new InvalidOperationException($"{nic} was already removed");
            }

            nic.OnRemoved();
            Lab.Ip(Namespace, "link", "del", "dev", nic.Name);
            interfaces.Remove(nic);
            nic.Segment.Detach(nic);
            nic.Segment.Release(nic.Address);
            if (DefaultGateway is { } gateway && nic.Segment.Contains(gateway) && !interfaces.Any(i => i.Segment.Contains(gateway)))
            {
                DefaultGateway = null;
            }

            Lab.OnAddressChanged(this);
        }
    }

    /// <summary>
    /// Break-before-make handover of the first interface into <paramref name="segment"/> (e.g. another NAT's inside
    /// segment): with an <paramref name="outage"/>, the switch port goes down first (carrier loss) and stays down that
    /// long; then the interface is re-plugged, renumbered with a free address of the new segment and the default route
    /// follows the new gateway (see <see cref="LabInterface.MoveTo"/>).
    /// </summary>
    public LabInterface MoveTo(LabSegment segment, TimeSpan? outage = null)
    {
        ArgumentNullException.ThrowIfNull(segment);
        var nic = PrimaryInterface;
        if (outage is { } offline && offline > TimeSpan.Zero)
        {
            nic.SetLinkDown();
            Thread.Sleep(offline);
            nic.MoveTo(segment);
            nic.SetLinkUp();
        }
        else
        {
            nic.MoveTo(segment);
        }

        segment.Nat?.OnHostAttached(this);
        return nic;
    }

    /// <summary>Sets (or replaces) the default route.</summary>
    public void SetDefaultRoute(IPAddress gateway)
    {
        lock (Lab.Sync)
        {
            Lab.ThrowIfDisposed();
            Lab.Ip(Namespace, "route", "replace", "default", "via", gateway.ToString());
            DefaultGateway = gateway;
        }
    }

    /// <summary>Removes the default route.</summary>
    public void RemoveDefaultRoute()
    {
        lock (Lab.Sync)
        {
            Lab.ThrowIfDisposed();
            CommandRunner.Run("ip", ["-n", Namespace, "route", "del", "default"]);
            DefaultGateway = null;
        }
    }

    /// <summary>Adds a route to <paramref name="prefix"/> through <paramref name="via"/>; kept across interface moves while reachable.</summary>
    public void AddRoute(IPNetwork prefix, IPAddress via)
    {
        lock (Lab.Sync)
        {
            Lab.ThrowIfDisposed();
            Lab.Ip(Namespace, "route", "replace", prefix.ToString(), "via", via.ToString());
            routes.Add((prefix, via));
        }
    }

    /// <summary>
    /// Writes <c>/etc/netns/NAMESPACE/<paramref name="name"/></c>, which <c>ip netns exec</c> mounts over
    /// <c>/etc/<paramref name="name"/></c> for every program started in the namespace afterwards — e.g. a
    /// <c>resolv.conf</c> naming the host's own DNS server. Removed with the namespace. Returns the file's path.
    /// </summary>
    public string WriteEtcFile(string name, string contents)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Contains('/', StringComparison.Ordinal) || name is "." or "..")
        {
            throw new ArgumentException($"'{name}' is not a file name", nameof(name));
        }

        Lab.ThrowIfDisposed();
        string dir = LabJanitor.EtcDirectoryOf(Namespace);
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, name);
        File.WriteAllText(path, contents);
        return path;
    }

    /// <summary>Runs a short command inside the namespace (<c>ip netns exec</c>) and returns its exit code and output (30 s limit).</summary>
    public LabCommandResult Run(string file, params string[] args) => Run(CommandRunner.DefaultTimeout, file, args);

    /// <summary>Runs a short command inside the namespace with a time limit.</summary>
    /// <exception cref="TimeoutException">The command ran longer than <paramref name="timeout"/> (it is killed).</exception>
    public LabCommandResult Run(TimeSpan timeout, string file, params string[] args)
    {
        Lab.ThrowIfDisposed();
        return CommandRunner.Run("ip", ["netns", "exec", Namespace, file, .. args], timeout);
    }

    /// <summary>Starts a long-running program inside the namespace; dispose the result (or the lab) to stop it.</summary>
    public LabProcess Start(string file, params string[] args) => Start(new LabProcessOptions(file, args));

    /// <summary>Starts a program inside the namespace with environment, working directory and stop options.</summary>
    public LabProcess Start(LabProcessOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Lab.ThrowIfDisposed();
        return LabProcess.Start(Lab, this, options);
    }

    /// <summary>Starts a .NET program (<c>dotnet ASSEMBLY ARGS</c>) inside the namespace.</summary>
    public LabProcess StartDotnet(string assemblyPath, params string[] args) =>
        Start(new LabProcessOptions(DotnetHost(), [assemblyPath, .. args]));

    /// <summary>
    /// Sends <paramref name="count"/> ICMP echo requests from inside the namespace (in-process raw socket, so no ping
    /// binary is needed), one every 100 ms, each waiting up to <paramref name="timeout"/> (default 1 s) for its reply.
    /// </summary>
    public PingResult Ping(IPAddress destination, int count = 3, TimeSpan? timeout = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        var wait = (int)(timeout ?? TimeSpan.FromSeconds(1)).TotalMilliseconds;
        var times = InNamespace(() =>
        {
            var rtts = new List<TimeSpan>();
            using var ping = new Ping();
            var payload = new byte[32];
            for (var i = 0; i < count; i++)
            {
                if (i > 0)
                {
                    Thread.Sleep(100);
                }

                var clock = Stopwatch.StartNew();
                var reply = ping.Send(destination, wait, payload);
                if (reply.Status == IPStatus.Success)
                {
                    rtts.Add(clock.Elapsed);
                }
            }

            return rtts;
        });
        return new PingResult(destination, count, times);
    }

    /// <summary>Starts <c>tshark -i IF -f FILTER -w FILE</c> inside the namespace; returns once tshark is capturing.</summary>
    public LabCapture Capture(string interfaceName, string filter = "")
    {
        Lab.ThrowIfDisposed();
        var index = Interlocked.Increment(ref nextCaptureIndex);
        var path = Path.Combine(Lab.WorkDirectory, $"{Name}-{interfaceName}-{index}.pcap");
        return LabCapture.Start(this, interfaceName, filter, path, TimeSpan.FromSeconds(20));
    }

    /// <summary>The counters of one interface (<c>ip -s -j link show dev IF</c>).</summary>
    public InterfaceCounters GetInterfaceCounters(string interfaceName) =>
        ReadLinkCounters(["-n", Namespace, "-s", "-j", "link", "show", "dev", interfaceName]).Single();

    /// <summary>The counters of every interface of the namespace, loopback included.</summary>
    public IReadOnlyList<InterfaceCounters> GetAllInterfaceCounters() =>
        ReadLinkCounters(["-n", Namespace, "-s", "-j", "link", "show"]);

    /// <summary>Every rule and chain policy of one iptables table with its packet and byte counters.</summary>
    public IReadOnlyList<IptablesRuleCounter> GetIptablesCounters(string table = "filter")
    {
        var result = Run("iptables-save", "-c", "-t", table).EnsureSuccess();
        return ParseIptablesSave(table, result.StandardOutput);
    }

    /// <summary>
    /// Inserts a counting rule (no target: it only counts) at the top of <paramref name="chain"/>, e.g.
    /// <c>AddCounter("relayed", "filter", "FORWARD", "-p", "udp")</c>; read it with <see cref="ReadCounter"/>.
    /// </summary>
    public void AddCounter(string name, string table, string chain, params string[] match)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Any(char.IsWhiteSpace) || name.Contains('"', StringComparison.Ordinal))
        {
            throw new ArgumentException("counter names have no spaces or quotes", nameof(name));
        }

        lock (Lab.Sync)
        {
            if (counterTables.ContainsKey(name))
            {
                throw new ArgumentException($"{Name} already has a counter {name}", nameof(name));
            }

            Iptables(["-t", table, "-I", chain, "1", .. match, "-m", "comment", "--comment", CounterCommentPrefix + name]);
            counterTables[name] = table;
        }
    }

    /// <summary>The current value of a counter added with <see cref="AddCounter"/>.</summary>
    public IptablesRuleCounter ReadCounter(string name)
    {
        string table;
        lock (Lab.Sync)
        {
            if (!counterTables.TryGetValue(name, out table!))
            {
                throw new KeyNotFoundException($"{Name} has no counter {name}");
            }
        }

        return GetIptablesCounters(table).Single(c => c.Comment == CounterCommentPrefix + name);
    }

    /// <summary>Runs <c>iptables -w ARGS</c> inside the namespace; throws when it fails.</summary>
    public LabCommandResult Iptables(params string[] args) => Run("iptables", ["-w", .. args]).EnsureSuccess();

    /// <summary>
    /// Runs <paramref name="action"/> on a thread that has entered this namespace (setns). Sockets created there belong
    /// to the namespace for their whole life and can be used from any thread afterwards.
    /// </summary>
    public T InNamespace<T>(Func<T> action)
    {
        Lab.ThrowIfDisposed();
        return NetNamespace.Invoke(Namespace, action);
    }

    /// <summary>Runs <paramref name="action"/> on a thread inside this namespace.</summary>
    public void InNamespace(Action action) => InNamespace(() =>
    {
        action();
        return 0;
    });

    /// <summary>Opens a UDP socket bound inside this namespace to <paramref name="address"/> (default any) and <paramref name="port"/> (default ephemeral).</summary>
    public Socket OpenUdpSocket(int port = 0, IPAddress? address = null) => InNamespace(() =>
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.Bind(new IPEndPoint(address ?? IPAddress.Any, port));
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    });

    /// <summary>The namespace's connection-tracking table (empty while nothing in it uses conntrack).</summary>
    public IReadOnlyList<ConntrackEntry> GetConntrackEntries()
    {
        var result = Run("cat", "/proc/net/nf_conntrack");
        if (!result.Succeeded)
        {
            return [];
        }

        return result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(ConntrackEntry.TryParse)
            .OfType<ConntrackEntry>()
            .ToList();
    }

    /// <summary>Deletes every IPv4 conntrack entry of the namespace (ctnetlink flush): NAT mappings and firewall state start afresh.</summary>
    public void FlushConntrack() => InNamespace(() =>
    {
        var fd = NativeMethods.Socket(NativeMethods.AfNetlink, NativeMethods.SockRaw | NativeMethods.SockCloexec, NativeMethods.NetlinkNetfilter);
        if (fd < 0)
        {
            throw new InvalidOperationException($"netlink socket failed: errno {Marshal.GetLastPInvokeError()}");
        }

        try
        {
            // nlmsghdr (16 bytes) + nfgenmsg (4 bytes): IPCTNL_MSG_CT_DELETE of subsystem CTNETLINK with no
            // attributes deletes every entry of the family; NLM_F_REQUEST | NLM_F_ACK.
            Span<byte> request = stackalloc byte[20];
            request.Clear();
            BinaryPrimitives.WriteUInt32LittleEndian(request, 20);
            BinaryPrimitives.WriteUInt16LittleEndian(request[4..], (1 << 8) | 2);
            BinaryPrimitives.WriteUInt16LittleEndian(request[6..], 0x1 | 0x4);
            BinaryPrimitives.WriteUInt32LittleEndian(request[8..], 1);
            request[16] = 2;
            if (NativeMethods.Send(fd, request, (nuint)request.Length, 0) < 0)
            {
                throw new InvalidOperationException($"conntrack flush: send failed: errno {Marshal.GetLastPInvokeError()}");
            }

            Span<byte> ack = stackalloc byte[256];
            var received = NativeMethods.Receive(fd, ack, (nuint)ack.Length, 0x40);
            if (received >= 20 && BinaryPrimitives.ReadUInt16LittleEndian(ack[4..]) == 2)
            {
                var error = BinaryPrimitives.ReadInt32LittleEndian(ack[16..]);
                if (error != 0 && error != -2)
                {
                    throw new InvalidOperationException($"conntrack flush failed: errno {-error}");
                }
            }
        }
        finally
        {
            NativeMethods.Close(fd);
        }
    });

    /// <summary>Reads a sysctl of the namespace (e.g. <c>net.ipv4.ip_forward</c>).</summary>
    public string ReadSysctl(string key) => Run("sysctl", "-n", key).EnsureSuccess().StandardOutput.Trim();

    /// <summary>Writes a sysctl of the namespace. Only per-namespace keys (net.*) are safe: others would change the machine.</summary>
    public void WriteSysctl(string key, string value)
    {
        if (!key.StartsWith("net.", StringComparison.Ordinal) || key.StartsWith("net.core.", StringComparison.Ordinal))
        {
            throw new ArgumentException($"{key}: the lab only writes per-namespace net.* sysctls", nameof(key));
        }

        Run("sysctl", "-qw", $"{key}={value}").EnsureSuccess();
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({string.Join(", ", Interfaces.Select(i => $"{i.Name} {i.Address}"))})";

    internal LabInterface AddInterfaceCore(LabSegment segment, IPAddress? address, string? name, bool infrastructure)
    {
        ArgumentNullException.ThrowIfNull(segment);
        if (segment.Lab != Lab)
        {
            throw new ArgumentException("the segment belongs to another lab", nameof(segment));
        }

        lock (Lab.Sync)
        {
            Lab.ThrowIfDisposed();
            name ??= $"eth{nextInterfaceIndex}";
            LabNames.ValidateInterfaceName(name);
            if (interfaces.Any(i => i.Name == name))
            {
                throw new ArgumentException($"{Name} already has an interface {name}", nameof(name));
            }

            IPAddress assigned;
            if (address is null)
            {
                assigned = segment.Allocate(infrastructure);
            }
            else
            {
                segment.Claim(address);
                assigned = address;
            }

            var port = Lab.NextSwitchPort();
            try
            {
                Lab.Ip(Lab.SwitchNamespace, "link", "add", port, "type", "veth", "peer", "name", name, "netns", Namespace);
                Lab.Ip(Lab.SwitchNamespace, "link", "set", port, "master", segment.BridgeName, "up");
                Lab.Ip(Namespace, "addr", "add", $"{assigned}/{segment.Prefix.PrefixLength}", "dev", name);
                Lab.Ip(Namespace, "link", "set", name, "up");
                Lab.WaitForLink(Namespace, name, port);
            }
            catch
            {
                segment.Release(assigned);
                throw;
            }

            nextInterfaceIndex++;
            var nic = new LabInterface(this, name, port, segment, assigned);
            interfaces.Add(nic);
            segment.Attach(nic);
            return nic;
        }
    }

    /// <summary>Called under the lab lock after <paramref name="nic"/> came up again: re-adds the default route and routes its kernel dropped.</summary>
    internal void RestoreRoutes(LabInterface nic)
    {
        if (DefaultGateway is { } gateway && nic.Segment.Contains(gateway))
        {
            Lab.Ip(Namespace, "route", "replace", "default", "via", gateway.ToString(), "dev", nic.Name);
        }

        foreach (var (prefix, via) in routes.Where(r => nic.Segment.Contains(r.Via)))
        {
            Lab.Ip(Namespace, "route", "replace", prefix.ToString(), "via", via.ToString());
        }
    }

    /// <summary>Called under the lab lock after <paramref name="nic"/> changed address or segment: restores routes.</summary>
    internal virtual void OnInterfaceChanged(LabInterface nic, LabSegment oldSegment)
    {
        if (DefaultGateway is { } gateway && (oldSegment.Contains(gateway) || nic.Segment.Contains(gateway)))
        {
            var next = nic.Segment.Contains(gateway) && nic.Segment == oldSegment ? gateway : nic.Segment.Gateway;
            if (next is not null && !next.Equals(nic.Address))
            {
                Lab.Ip(Namespace, "route", "replace", "default", "via", next.ToString(), "dev", nic.Name);
                DefaultGateway = next;
            }
            else
            {
                CommandRunner.Run("ip", ["-n", Namespace, "route", "del", "default"]);
                DefaultGateway = null;
            }
        }
        else if (DefaultGateway is null && nic.Segment.Gateway is { } newGateway && !newGateway.Equals(nic.Address))
        {
            Lab.Ip(Namespace, "route", "replace", "default", "via", newGateway.ToString(), "dev", nic.Name);
            DefaultGateway = newGateway;
        }

        foreach (var (prefix, via) in routes.Where(r => nic.Segment.Contains(r.Via)))
        {
            CommandRunner.Run("ip", ["-n", Namespace, "route", "replace", prefix.ToString(), "via", via.ToString()]);
        }

        Lab.OnAddressChanged(this);
    }

    internal static IReadOnlyList<IptablesRuleCounter> ParseIptablesSave(string table, string text)
    {
        var counters = new List<IptablesRuleCounter>();
        var indexes = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            var policy = PolicyLine().Match(line);
            if (policy.Success)
            {
                if (policy.Groups["policy"].Value != "-")
                {
                    counters.Add(new IptablesRuleCounter(
                        table,
                        policy.Groups["chain"].Value,
                        0,
                        long.Parse(policy.Groups["packets"].Value, CultureInfo.InvariantCulture),
                        long.Parse(policy.Groups["bytes"].Value, CultureInfo.InvariantCulture),
                        $"-P {policy.Groups["chain"].Value} {policy.Groups["policy"].Value}",
                        null));
                }

                continue;
            }

            var rule = RuleLine().Match(line);
            if (!rule.Success)
            {
                continue;
            }

            var chain = rule.Groups["chain"].Value;
            indexes[chain] = indexes.GetValueOrDefault(chain) + 1;
            var comment = CommentOption().Match(rule.Groups["rule"].Value);
            counters.Add(new IptablesRuleCounter(
                table,
                chain,
                indexes[chain],
                long.Parse(rule.Groups["packets"].Value, CultureInfo.InvariantCulture),
                long.Parse(rule.Groups["bytes"].Value, CultureInfo.InvariantCulture),
                rule.Groups["rule"].Value,
                comment.Success ? (comment.Groups[1].Success ? comment.Groups[1].Value.Replace("\\\"", "\"", StringComparison.Ordinal) : comment.Groups[2].Value) : null));
        }

        return counters;
    }

    internal static IReadOnlyList<InterfaceCounters> ParseLinkJson(string json)
    {
        using var document = JsonDocument.Parse(json);
        var list = new List<InterfaceCounters>();
        foreach (var link in document.RootElement.EnumerateArray())
        {
            var name = link.GetProperty("ifname").GetString() ?? string.Empty;
            if (!link.TryGetProperty("stats64", out var stats) && !link.TryGetProperty("stats", out stats))
            {
                continue;
            }

            var rx = stats.GetProperty("rx");
            var tx = stats.GetProperty("tx");
            list.Add(new InterfaceCounters(
                name,
                rx.GetProperty("packets").GetInt64(),
                rx.GetProperty("bytes").GetInt64(),
                rx.GetProperty("dropped").GetInt64(),
                tx.GetProperty("packets").GetInt64(),
                tx.GetProperty("bytes").GetInt64(),
                tx.GetProperty("dropped").GetInt64()));
        }

        return list;
    }

    private static string DotnetHost()
    {
        var self = Environment.ProcessPath;
        return self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
    }

    private IReadOnlyList<InterfaceCounters> ReadLinkCounters(string[] args)
    {
        Lab.ThrowIfDisposed();
        var result = CommandRunner.Run("ip", args).EnsureSuccess();
        return ParseLinkJson(result.StandardOutput);
    }

    [GeneratedRegex(@"^:(?<chain>\S+) (?<policy>\S+) \[(?<packets>\d+):(?<bytes>\d+)\]$")]
    private static partial Regex PolicyLine();

    [GeneratedRegex(@"^\[(?<packets>\d+):(?<bytes>\d+)\] -A (?<chain>\S+) ?(?<rule>.*)$")]
    private static partial Regex RuleLine();

    [GeneratedRegex(@"--comment (?:""((?:[^""\\]|\\.)*)""|(\S+))")]
    private static partial Regex CommentOption();
}
