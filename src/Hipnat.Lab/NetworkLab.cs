using System.Net;
using Hipnat.Lab.Internal;

namespace Hipnat.Lab;

/// <summary>
/// One lab instance: real Linux network namespaces joined by bridges, with NATs made of iptables. Everything it
/// creates carries its random id (<see cref="Id"/>), lives in namespaces named <c>hn-ID*</c> and goes away on
/// <see cref="Dispose"/> — also when the test body threw, on Ctrl-C/SIGTERM, on process exit, and, after a hard crash,
/// at the next lab's start through <see cref="LabJanitor"/>. Needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN).
/// </summary>
/// <remarks>
/// Topology: one switch namespace (<c>hn-ID</c>) holds a bridge per <see cref="LabSegment"/>; each node
/// (<see cref="LabHost"/>, <see cref="LabRouter"/>, <see cref="LabNat"/>) is a namespace <c>hn-ID-NAME</c> whose
/// interfaces are veths plugged into those bridges. No device, route or rule is ever created in the root namespace.
/// </remarks>
public sealed class NetworkLab : IDisposable, IAsyncDisposable
{
    private readonly LabLock labLock;
    private readonly Dictionary<string, LabSegment> segments = new(StringComparer.Ordinal);
    private readonly Dictionary<string, LabHost> hosts = new(StringComparer.Ordinal);
    private readonly List<LabProcess> processes = [];
    private readonly ManualResetEventSlim disposeCompleted = new();
    private int nextBridge;
    private int nextPort;
    private bool disposed;

    private NetworkLab(string id, LabLock labLock, LabOptions options)
    {
        Id = id;
        this.labLock = labLock;
        Options = options;
        SwitchNamespace = LabNames.SwitchNamespace(id);
        WorkDirectory = LabJanitor.WorkDirectoryOf(id);
    }

    /// <summary>The lab's 5-hex-digit id, part of every name it creates.</summary>
    public string Id { get; }

    /// <summary>The options the lab was made with.</summary>
    public LabOptions Options { get; }

    /// <summary>The switch namespace (<c>hn-ID</c>) holding the segments' bridges.</summary>
    public string SwitchNamespace { get; }

    /// <summary>A directory for the lab's files (packet captures); removed on disposal unless <see cref="LabOptions.KeepArtifacts"/>.</summary>
    public string WorkDirectory { get; }

    /// <summary>The segments by name.</summary>
    public IReadOnlyDictionary<string, LabSegment> Segments
    {
        get
        {
            lock (Sync)
            {
                return new Dictionary<string, LabSegment>(segments, StringComparer.Ordinal);
            }
        }
    }

    /// <summary>Every node by name: hosts, routers and NATs.</summary>
    public IReadOnlyDictionary<string, LabHost> Hosts
    {
        get
        {
            lock (Sync)
            {
                return new Dictionary<string, LabHost>(hosts, StringComparer.Ordinal);
            }
        }
    }

    /// <summary>The NATs by name.</summary>
    public IReadOnlyDictionary<string, LabNat> Nats
    {
        get
        {
            lock (Sync)
            {
                return hosts.Values.OfType<LabNat>().ToDictionary(n => n.Name, StringComparer.Ordinal);
            }
        }
    }

    /// <summary>True once disposed.</summary>
    public bool IsDisposed
    {
        get
        {
            lock (Sync)
            {
                return disposed;
            }
        }
    }

    internal Lock Sync { get; } = new();

    /// <summary>The node called <paramref name="name"/>.</summary>
    public LabHost this[string name] => Host(name);

    /// <summary>
    /// Whether this process can run a lab: root, and the ip and iptables tools present. <paramref name="reason"/> says
    /// what is missing.
    /// </summary>
    public static bool IsSupported(out string reason)
    {
        if (!OperatingSystem.IsLinux())
        {
            reason = "the lab needs Linux network namespaces";
            return false;
        }

        if (!Environment.IsPrivilegedProcess)
        {
            reason = "the lab needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN) to create network namespaces";
            return false;
        }

        foreach (var tool in new[] { "ip", "iptables", "iptables-restore", "tc", "setsid", "sysctl" })
        {
            if (!OnPath(tool))
            {
                reason = $"the lab needs '{tool}' (scripts/install-deps.sh installs iproute2 and iptables)";
                return false;
            }
        }

        reason = string.Empty;
        return true;
    }

    /// <summary>Creates an empty lab (only its switch namespace); add segments, hosts, routers and NATs to it.</summary>
    public static NetworkLab Create(LabOptions? options = null)
    {
        options ??= new LabOptions();
        if (!IsSupported(out var reason))
        {
            throw new InvalidOperationException(reason);
        }

        if (options.CleanupStaleOnStart)
        {
            LabJanitor.CleanupStale();
        }

        LabLock? taken = null;
        string id = string.Empty;
        for (var attempt = 0; attempt < 50 && taken is null; attempt++)
        {
            id = LabNames.NewId();
            taken = LabLock.TryAcquire(id);
            if (taken is not null && LabJanitor.ListNamespaces().Any(n => LabNames.IdOf(n) == id))
            {
                taken.Dispose();
                taken = null;
            }
        }

        if (taken is null)
        {
            throw new InvalidOperationException("could not find a free lab id");
        }

        var lab = new NetworkLab(id, taken, options);
        try
        {
            LabRegistry.Add(lab, options.HandleSignals);
            Directory.CreateDirectory(lab.WorkDirectory);
            if (options.KeepArtifacts)
            {
                File.WriteAllText(Path.Combine(lab.WorkDirectory, ".keep"), string.Empty);
            }

            lab.CreateNamespace(lab.SwitchNamespace);
            if (lab.Exec(lab.SwitchNamespace, "sysctl", ["-n", "net.bridge.bridge-nf-call-iptables"]).StandardOutput.Trim() != "1")
            {
                // Loss is dropped by iptables on bridged frames; the switch namespace needs bridge netfilter on.
                lab.ExecChecked(lab.SwitchNamespace, "sysctl", ["-qw", "net.bridge.bridge-nf-call-iptables=1"]);
            }
        }
        catch
        {
            lab.Dispose();
            throw;
        }

        return lab;
    }

    /// <summary>Creates a lab and builds <paramref name="topology"/> in it.</summary>
    public static NetworkLab Create(LabTopology topology, LabOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(topology);
        var lab = Create(options);
        try
        {
            topology.BuildInto(lab);
            return lab;
        }
        catch
        {
            lab.Dispose();
            throw;
        }
    }

    /// <summary>The segment called <paramref name="name"/>.</summary>
    public LabSegment Segment(string name)
    {
        lock (Sync)
        {
            return segments.TryGetValue(name, out var segment) ? segment : throw new KeyNotFoundException($"lab {Id} has no segment {name}");
        }
    }

    /// <summary>The node called <paramref name="name"/>.</summary>
    public LabHost Host(string name)
    {
        lock (Sync)
        {
            return hosts.TryGetValue(name, out var host) ? host : throw new KeyNotFoundException($"lab {Id} has no node {name}");
        }
    }

    /// <summary>The NAT called <paramref name="name"/>.</summary>
    public LabNat Nat(string name) => Host(name) as LabNat ?? throw new KeyNotFoundException($"lab {Id} has no NAT {name}");

    /// <summary>Adds a segment (a bridge) with an IPv4 prefix such as <c>203.0.113.0/24</c> or <c>198.18.1.0/24</c>.</summary>
    public LabSegment AddSegment(string name, string prefix) => AddSegment(name, IPNetwork.Parse(prefix));

    /// <summary>Adds a segment (a bridge) with an IPv4 prefix from the lab's allowed ranges.</summary>
    public LabSegment AddSegment(string name, IPNetwork prefix)
    {
        LabNames.ValidateNodeName(name);
        AllowedRanges.EnsureAllowed(prefix);
        lock (Sync)
        {
            ThrowIfDisposed();
            if (segments.ContainsKey(name))
            {
                throw new ArgumentException($"lab {Id} already has a segment {name}", nameof(name));
            }

            var bridge = LabNames.Bridge(Id, nextBridge++);
            Ip(SwitchNamespace, "link", "add", bridge, "type", "bridge", "forward_delay", "0", "stp_state", "0", "mcast_snooping", "0");
            Ip(SwitchNamespace, "link", "set", bridge, "up");
            var segment = new LabSegment(this, name, prefix, bridge);
            segments.Add(name, segment);
            return segment;
        }
    }

    /// <summary>
    /// Adds a host with one interface (eth0) on <paramref name="segment"/>, at <paramref name="address"/> or a free
    /// address; its default route is the segment's gateway when it has one (e.g. behind a NAT).
    /// </summary>
    public LabHost AddHost(string name, LabSegment segment, IPAddress? address = null)
    {
        ArgumentNullException.ThrowIfNull(segment);
        lock (Sync)
        {
            var host = CreateNode(name, ns => new LabHost(this, name, ns));
            try
            {
                host.AddInterfaceCore(segment, address, name: null, infrastructure: false);
                if (segment.Gateway is { } gateway)
                {
                    host.SetDefaultRoute(gateway);
                }

                segment.Nat?.OnHostAttached(host);
            }
            catch
            {
                DiscardNode(host);
                throw;
            }

            return host;
        }
    }

    /// <summary>
    /// Adds a router with one interface (eth0, eth1, ...) per segment, each at the segment's first free low address
    /// (.1 first); it becomes the gateway of every segment that has none, and hosts already there without a default
    /// route get one through it.
    /// </summary>
    public LabRouter AddRouter(string name, params LabSegment[] routed)
    {
        ArgumentNullException.ThrowIfNull(routed);
        if (routed.Length == 0)
        {
            throw new ArgumentException("a router needs at least one segment", nameof(routed));
        }

        lock (Sync)
        {
            var router = CreateNode(name, ns => new LabRouter(this, name, ns));
            try
            {
                router.WriteSysctl("net.ipv4.ip_forward", "1");
                foreach (var segment in routed)
                {
                    router.AddInterfaceCore(segment, null, null, infrastructure: true);
                }
            }
            catch
            {
                DiscardNode(router);
                throw;
            }

            foreach (var nic in router.Interfaces.Where(i => i.Segment.Gateway is null))
            {
                nic.Segment.Gateway = nic.Address;
                foreach (var other in nic.Segment.Interfaces.Select(i => i.Host).Distinct().Where(h => h != router && h.DefaultGateway is null))
                {
                    other.SetDefaultRoute(nic.Address);
                }
            }

            return router;
        }
    }

    /// <summary>
    /// Adds a NAT: outside interface wan0 on <paramref name="outside"/> (at <paramref name="publicAddress"/> or a free
    /// address), a new inside segment <c>NAME-lan</c> with <paramref name="insidePrefix"/> whose .1 is the NAT's lan0
    /// and the segment's gateway, and the iptables rules for <paramref name="options"/> (default
    /// <see cref="NatOptions.PortRestrictedCone"/>). Add hosts behind it with <see cref="LabNat.AddHost"/>.
    /// </summary>
    public LabNat AddNat(string name, LabSegment outside, string insidePrefix, NatOptions? options = null, IPAddress? publicAddress = null)
    {
        ArgumentNullException.ThrowIfNull(outside);
        options ??= NatOptions.PortRestrictedCone;
        options.Validate();
        lock (Sync)
        {
            LabNames.ValidateNodeName(name);
            if (hosts.ContainsKey(name))
            {
                throw new ArgumentException($"lab {Id} already has a node {name}", nameof(name));
            }

            var inside = AddSegment(name + "-lan", insidePrefix);
            LabNat? nat = null;
            try
            {
                nat = CreateNode(name, ns => new LabNat(this, name, ns, inside, options));
                nat.WriteSysctl("net.ipv4.ip_forward", "1");
                nat.AddInterfaceCore(outside, publicAddress, "wan0", infrastructure: false);
                var lan = nat.AddInterfaceCore(inside, null, "lan0", infrastructure: true);
                inside.Gateway = lan.Address;
                inside.Nat = nat;
                if (outside.Gateway is { } upstream)
                {
                    nat.SetDefaultRoute(upstream);
                }

                nat.ApplyRules();
                return nat;
            }
            catch
            {
                if (nat is not null)
                {
                    DiscardNode(nat);
                }

                segments.Remove(inside.Name);
                CommandRunner.Run("ip", ["-n", SwitchNamespace, "link", "del", inside.BridgeName]);
                throw;
            }
        }
    }

    /// <summary>
    /// Tears the lab down: stops every process started in it, kills anything else still running in its namespaces,
    /// deletes the namespaces (their veths and bridges go with them) and the work directory. Safe to call twice.
    /// </summary>
    /// <exception cref="LabCommandException">A namespace could not be deleted (listed in the message).</exception>
    public void Dispose()
    {
        LabProcess[] running;
        List<string> namespaces;
        var first = false;
        lock (Sync)
        {
            if (!disposed)
            {
                first = true;
                disposed = true;
            }

            running = [.. processes];
            namespaces = hosts.Values.Select(h => h.Namespace).Reverse().Append(SwitchNamespace).ToList();
        }

        if (!first)
        {
            // Another thread (a signal handler, ProcessExit) is tearing down: wait, outside the lock it needs, so the
            // process does not exit before the namespaces are gone.
            disposeCompleted.Wait(TimeSpan.FromSeconds(60));
            return;
        }

        List<string> left;
        try
        {
            left = TearDown(running, namespaces);
        }
        finally
        {
            disposeCompleted.Set();
        }

        if (left.Count > 0)
        {
            throw new LabCommandException($"lab {Id}: namespaces left behind: {string.Join(", ", left)} (see docs/lab.md, cleaning up by hand)");
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public override string ToString() => $"lab {Id}: {string.Join(", ", Hosts.Values)}";

    internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(IsDisposed, this);

    internal string NextSwitchPort() => LabNames.SwitchPort(Id, nextPort++);

    internal void Track(LabProcess process)
    {
        lock (Sync)
        {
            processes.Add(process);
        }
    }

    internal void Forget(LabProcess process)
    {
        lock (Sync)
        {
            processes.Remove(process);
        }
    }

    internal void OnAddressChanged(LabHost host)
    {
        foreach (var nat in hosts.Values.OfType<LabNat>())
        {
            nat.OnHostAddressChanged(host);
        }
    }

    /// <summary>
    /// Waits until a new or re-plugged link carries traffic: the node's end operationally up and the switch port up
    /// and forwarding. Carrier changes reach the bridge through the kernel's link-watch work, which lags behind under
    /// load; packets sent before it runs are dropped.
    /// </summary>
    internal void WaitForLink(string ns, string device, string port)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            var node = CommandRunner.Run("ip", ["-n", ns, "-j", "link", "show", "dev", device]);
            var sw = CommandRunner.Run("ip", ["-n", SwitchNamespace, "-d", "-j", "link", "show", "dev", port]);
            if (node.Succeeded && sw.Succeeded && IsReady(node.StandardOutput, bridgePort: false) && IsReady(sw.StandardOutput, bridgePort: true))
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"link {ns}/{device} <-> {SwitchNamespace}/{port} did not come up:\n{node.StandardOutput}\n{sw.StandardOutput}");
            }

            Thread.Sleep(20);
        }
    }

    /// <summary><c>ip -n NS ARGS</c>, throwing on failure.</summary>
    internal void Ip(string ns, params string[] args) => CommandRunner.Run("ip", ["-n", ns, .. args]).EnsureSuccess();

    /// <summary><c>ip netns exec NS FILE ARGS</c>.</summary>
    internal LabCommandResult Exec(string ns, string file, IReadOnlyList<string> args, string? standardInput = null) =>
        CommandRunner.Run("ip", ["netns", "exec", ns, file, .. args], standardInput: standardInput);

    /// <summary><c>ip netns exec NS FILE ARGS</c>, throwing on failure.</summary>
    internal void ExecChecked(string ns, string file, IReadOnlyList<string> args, string? standardInput = null) =>
        Exec(ns, file, args, standardInput).EnsureSuccess();

    private static bool IsReady(string json, bool bridgePort)
    {
        using var document = System.Text.Json.JsonDocument.Parse(json);
        var link = document.RootElement[0];
        if (link.GetProperty("operstate").GetString() != "UP")
        {
            return false;
        }

        return !bridgePort ||
            (link.TryGetProperty("linkinfo", out var info) &&
             info.TryGetProperty("info_slave_data", out var slave) &&
             slave.TryGetProperty("state", out var state) &&
             state.GetString() == "forwarding");
    }

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Append("/usr/sbin")
            .Append("/sbin")
            .Any(dir => File.Exists(Path.Combine(dir, tool)));

    private T CreateNode<T>(string name, Func<string, T> make)
        where T : LabHost
    {
        LabNames.ValidateNodeName(name);
        ThrowIfDisposed();
        if (hosts.ContainsKey(name))
        {
            throw new ArgumentException($"lab {Id} already has a node {name}", nameof(name));
        }

        var ns = LabNames.NodeNamespace(Id, name);
        CreateNamespace(ns);
        var node = make(ns);
        hosts.Add(name, node);
        return node;
    }

    private List<string> TearDown(LabProcess[] running, List<string> namespaces)
    {
        foreach (var process in running)
        {
            try
            {
                process.Stop(TimeSpan.FromSeconds(1));
            }
            catch (Exception e)
            {
                Console.Error.WriteLine($"hipnat lab {Id}: stopping {process}: {e.Message}");
            }
        }

        // Also anything named hn-ID-* that a half-finished AddHost left without a node object.
        namespaces.AddRange(LabJanitor.ListNamespaces().Where(n => LabNames.IdOf(n) == Id && !namespaces.Contains(n)));
        var left = new List<string>();
        foreach (var name in namespaces.Distinct())
        {
            try
            {
                LabJanitor.DeleteNamespace(name);
            }
            catch (Exception e)
            {
                Console.Error.WriteLine($"hipnat lab {Id}: deleting namespace {name}: {e.Message}");
            }

            if (NetNamespace.Exists(name))
            {
                left.Add(name);
            }
        }

        foreach (var process in running)
        {
            process.Dispose();
        }

        if (!Options.KeepArtifacts)
        {
            try
            {
                Directory.Delete(WorkDirectory, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }

        labLock.Release();
        LabRegistry.Remove(this);
        return left;
    }

    /// <summary>Undoes a node whose construction failed half-way.</summary>
    private void DiscardNode(LabHost node)
    {
        hosts.Remove(node.Name);
        foreach (var nic in node.Interfaces)
        {
            nic.Segment.Release(nic.Address);
            nic.Segment.Detach(nic);
        }

        LabJanitor.DeleteNamespace(node.Namespace);
    }

    private void CreateNamespace(string ns)
    {
        CommandRunner.Run("ip", ["netns", "add", ns]).EnsureSuccess();
        Ip(ns, "link", "set", "lo", "up");
        if (Options.DisableIPv6)
        {
            ExecChecked(ns, "sysctl", ["-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"]);
        }
    }
}
