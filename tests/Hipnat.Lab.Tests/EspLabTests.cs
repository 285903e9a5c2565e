using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using Hipnat.Lab.Demo;

namespace Hipnat.Lab.Tests;

/// <summary>
/// The ESP data plane between two real daemons, each with its TUN interface hip0, one of them behind a NAT: alice
/// (198.18.1.10, behind nat 203.0.113.11) knows bob's locator (203.0.113.10); applications reach the peer by HIT and
/// by LSI, the first packet of an application starts the base exchange, and a TCP stream arrives byte-identical.
/// </summary>
[Collection(nameof(HipLabCollection))]
public class EspLabTests
{
    private static readonly TimeSpan CliTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public void AnApplicationsFirstPacketToAHitStartsTheBaseExchangeAndAFileArrivesIntact()
    {
        using var lab = EspLab.Create();
        var (alice, bob) = (lab.Alice, lab.Bob);
        Assert.Null(HipnatStatus.State(alice.Status(), bob.Hit));

        // No association yet: the TCP SYN to bob's HIT is queued by alice's data plane, which starts the base exchange.
        var data = RandomNumberGenerator.GetBytes(4 << 20);
        var result = Transfer(bob.Host, IPAddress.IPv6Any, alice.Host, IPAddress.Parse(bob.Hit), data);

        Assert.Equal(SHA256.HashData(data), SHA256.HashData(result.Received));
        Assert.Equal(IPAddress.Parse(alice.Hit), result.Remote.Address);
        alice.Process.WaitForOutput("for a queued packet", TimeSpan.FromSeconds(5));
        var status = alice.Status();
        Assert.Equal("ESTABLISHED", HipnatStatus.State(status, bob.Hit));
        var dp = status.GetProperty("dataPlane");
        Assert.True(dp.GetProperty("onDemandConnects").GetInt64() >= 1, dp.ToString());
        Assert.False(dp.GetProperty("drops").TryGetProperty("QueueExpired", out _), $"a queued packet was lost: {dp}");
        Assert.False(dp.GetProperty("drops").TryGetProperty("QueueFull", out _), $"a queued packet was lost: {dp}");
        var sa = Peer(status, bob.Hit).GetProperty("securityAssociations")[0];
        Assert.True(sa.GetProperty("bytesOut").GetInt64() >= data.Length, sa.ToString());
        Assert.Equal(0, sa.GetProperty("icvDrops").GetInt64());
        Assert.Equal(0, sa.GetProperty("replayDrops").GetInt64());
        Assert.Equal("AES-128-GCM-16", sa.GetProperty("transform").GetString());
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"4 MiB over TCP between HITs through ESP/UDP and a NAT: {result.Elapsed.TotalMilliseconds:0} ms, {data.Length * 8 / result.Elapsed.TotalSeconds / 1e6:0} Mbit/s (base exchange included)");

        // The ESP really went over the NAT to bob's HIP port, not anywhere else.
        var bobView = Peer(bob.Status(), alice.Hit);
        Assert.Equal($"{lab.Nat.PublicAddress}:10500", bobView.GetProperty("peer").GetString());
    }

    /// <summary>
    /// 50 MB of random bytes over TCP between HITs (IPv6: TSO6 super-segments cut by alice, coalesced at bob) and
    /// 16 MB back between LSIs (IPv4: TSO4), with hip0's offloads on and with them off: byte-identical either way.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void LargeTransfersArriveIntactWithTunOffloadsOnAndOff(bool offload)
    {
        using var lab = EspLab.Create(offload);
        var (alice, bob) = (lab.Alice, lab.Bob);
        alice.Process.WaitForOutput(offload ? "offloads Checksum, Tso4, Tso6" : "offloads off", TimeSpan.FromSeconds(5));
        Assert.True(HipLab.Connect(alice, bob.Hit).Succeeded, alice.Tail());

        var data = RandomNumberGenerator.GetBytes(50_000_000);
        var there = Transfer(bob.Host, IPAddress.IPv6Any, alice.Host, IPAddress.Parse(bob.Hit), data);
        Assert.Equal(data.Length, there.Received.Length);
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(there.Received));

        var back = RandomNumberGenerator.GetBytes(16_000_000);
        string aliceLsi = Lsi(bob.WaitForStatus(s => Lsi(s, alice.Hit).Length > 0, TimeSpan.FromSeconds(5), "an LSI for alice"), alice.Hit);
        var result = Transfer(alice.Host, IPAddress.Any, bob.Host, IPAddress.Parse(aliceLsi), back);
        Assert.Equal(SHA256.HashData(back), SHA256.HashData(result.Received));

        foreach (var d in new[] { alice, bob })
        {
            var drops = d.Status().GetProperty("dataPlane").GetProperty("drops");
            foreach (var reason in new[] { "BadOffload", "TunWriteFailed", "Internal", "IntegrityCheckFailed", "Malformed" })
            {
                Assert.False(drops.TryGetProperty(reason, out _), $"{reason} drops: {drops}");
            }
        }

        TestContext.Current.TestOutputHelper?.WriteLine(
            $"offloads {(offload ? "on" : "off")}: 50 MB HIT to HIT in {there.Elapsed.TotalMilliseconds:0} ms ({data.Length * 8 / there.Elapsed.TotalSeconds / 1e6:0} Mbit/s), " +
            $"16 MB LSI to LSI in {result.Elapsed.TotalMilliseconds:0} ms ({back.Length * 8 / result.Elapsed.TotalSeconds / 1e6:0} Mbit/s)");
    }

    /// <summary>
    /// hip0 with two queues on both ends ("tun": { "queues": 2 }): four TCP transfers at once arrive byte-identical, no
    /// packet is lost to the replay window although packets of one SA are sealed on two threads, and both queues'
    /// reader threads carried traffic.
    /// </summary>
    [Fact]
    public void WithTwoTunQueuesParallelTransfersArriveIntactAndBothQueuesCarryThem()
    {
        using var lab = EspLab.Create(offload: true, queues: 2);
        var (alice, bob) = (lab.Alice, lab.Bob);
        alice.Process.WaitForOutput(@"2 queue\(s\)", TimeSpan.FromSeconds(5));
        Assert.True(HipLab.Connect(alice, bob.Hit).Succeeded, alice.Tail());

        var data = Enumerable.Range(0, 4).Select(_ => RandomNumberGenerator.GetBytes(12_000_000)).ToArray();
        var received = new byte[data.Length][];
        var threads = Enumerable.Range(0, data.Length)
            .Select(i => new Thread(() => received[i] = Transfer(bob.Host, IPAddress.IPv6Any, alice.Host, IPAddress.Parse(bob.Hit), data[i]).Received))
            .ToList();
        threads.ForEach(t => t.Start());
        Assert.All(threads, t => Assert.True(t.Join(TimeSpan.FromSeconds(90))));
        for (int i = 0; i < data.Length; i++)
        {
            Assert.Equal(SHA256.HashData(data[i]), SHA256.HashData(received[i] ?? []));
        }

        foreach (var d in new[] { alice, bob })
        {
            var plane = d.Status().GetProperty("dataPlane");
            Assert.Equal(2, plane.GetProperty("queues").GetInt32());
            var drops = plane.GetProperty("drops");
            foreach (var reason in new[] { "Replayed", "TooOld", "BadOffload", "TunWriteFailed", "Internal", "IntegrityCheckFailed" })
            {
                Assert.False(drops.TryGetProperty(reason, out _), $"{reason} drops: {drops}");
            }
        }

        // alice sends: each of its queue readers sealed some of the four flows (CPU time of threads "hipnat-tun/N").
        var readers = ReaderCpuTicks(alice.Process.Id);
        Assert.Equal(2, readers.Count);
        Assert.All(readers, r => Assert.True(r.Value > 0, $"{r.Key} used no CPU: {string.Join(", ", readers)}"));
    }

    /// <summary>utime + stime of the process's TUN reader threads, by thread name.</summary>
    private static Dictionary<string, long> ReaderCpuTicks(int pid)
    {
        var result = new Dictionary<string, long>();
        foreach (var task in Directory.GetDirectories($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/task"))
        {
            string comm = File.ReadAllText(Path.Combine(task, "comm")).Trim();
            if (!comm.StartsWith("hipnat-tun", StringComparison.Ordinal))
            {
                continue;
            }

            // /proc/PID/task/TID/stat: the fields after the parenthesised name; utime and stime are the 14th and 15th.
            string stat = File.ReadAllText(Path.Combine(task, "stat"));
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            result[comm] = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        }

        return result;
    }

    [Fact]
    public void PingByHitAndLsiWorksBothWaysAndTcpCrossesLsis()
    {
        using var lab = EspLab.Create();
        var (alice, bob) = (lab.Alice, lab.Bob);

        // hipnat ping to bob's HIT: the first echo starts the base exchange.
        var ping = alice.Cli(CliTimeout, "ping", bob.Hit, "--count", "3", "--interval", "0.2");
        Assert.True(ping.Succeeded, $"{ping}\n{alice.Tail()}\n{bob.Tail()}");
        Assert.Contains("3 sent, 3 received, 0% loss", ping.StandardOutput, StringComparison.Ordinal);
        Assert.Contains($"-> {bob.Endpoint} (direct)", ping.StandardOutput, StringComparison.Ordinal);

        // Each side gave the other an LSI: bob from the default 198.18.0.0/16; alice, whose LAN is 198.18.1.0/24,
        // from 198.19.0.0/16.
        string bobLsi = Lsi(alice.Status(), bob.Hit);
        string aliceLsi = Lsi(bob.WaitForStatus(s => Lsi(s, alice.Hit).Length > 0, TimeSpan.FromSeconds(5), "an LSI for alice"), alice.Hit);
        Assert.StartsWith("198.19.", bobLsi, StringComparison.Ordinal);
        Assert.StartsWith("198.18.", aliceLsi, StringComparison.Ordinal);
        Assert.Equal("198.19.0.0/16", alice.Status().GetProperty("dataPlane").GetProperty("lsiNetwork").GetString());

        ping = alice.Cli(CliTimeout, "ping", bobLsi, "--count", "2", "--interval", "0.2");
        Assert.True(ping.Succeeded, ping.ToString());
        Assert.Contains("2 received", ping.StandardOutput, StringComparison.Ordinal);

        // Back through the NAT, from bob, who knows no locator of alice (only the association's).
        Assert.True(bob.Host.Ping(IPAddress.Parse(alice.Hit), 3).AllReceived, bob.Tail());
        Assert.True(bob.Host.Ping(IPAddress.Parse(aliceLsi), 3).AllReceived, bob.Tail());

        // TCP between LSIs to an IPv4-only server: bob's stack sees alice's LSI (as bob numbers it) as the client.
        var data = RandomNumberGenerator.GetBytes(1 << 20);
        var result = Transfer(bob.Host, IPAddress.Any, alice.Host, IPAddress.Parse(bobLsi), data);
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(result.Received));
        Assert.Equal(IPAddress.Parse(aliceLsi), result.Remote.Address);

        var dp = bob.Status().GetProperty("dataPlane");
        Assert.False(dp.GetProperty("drops").TryGetProperty("IntegrityCheckFailed", out _), dp.ToString());
        Assert.False(dp.GetProperty("drops").TryGetProperty("Replayed", out _), dp.ToString());
    }

    [Fact]
    public void BetweenTwoNatedHostsEspFollowsTheAssociationOffTheRelay()
    {
        using var lab = HipLab.Create();
        lab.StartRelay();
        var bob = lab.StartBob();
        var alice = lab.StartAlice();
        HipLab.WaitForRegistration(bob, lab.RelayHit);
        var connect = HipLab.Connect(alice, lab.BobHit);
        Assert.True(connect.Succeeded, $"{connect}\n{lab.Logs()}");
        var bobDirect = new IPEndPoint(lab.Nat2.PublicAddress, HipnatTool.Port);
        HipLab.WaitForPath(alice, lab.BobHit, p => p.Equals(bobDirect), TimeSpan.FromSeconds(12), $"direct path to bob at {bobDirect}");

        // The data plane's route moved with the association (ActivePathChanged): ESP goes straight to bob's NAT.
        alice.WaitForStatus(s => Peer(s, lab.BobHit).GetProperty("peer").GetString() == bobDirect.ToString(), TimeSpan.FromSeconds(5), "the ESP route on the direct path");
        var ping = alice.Cli(CliTimeout, "ping", lab.BobHit, "--count", "3", "--interval", "0.2");
        Assert.True(ping.Succeeded, $"{ping}\n{lab.Logs()}");
        Assert.Contains($"-> {bobDirect} (direct)", ping.StandardOutput, StringComparison.Ordinal);

        var data = RandomNumberGenerator.GetBytes(1 << 20);
        var result = Transfer(lab.BobHost, IPAddress.IPv6Any, lab.AliceHost, IPAddress.Parse(lab.BobHit), data);
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(result.Received));
    }

    [Fact]
    public void AUdpDatagramLargerThanTheTunnelMtuCrossesLsisInFragmentsAndArrivesWhole()
    {
        using var lab = EspLab.Create();
        var (alice, bob) = (lab.Alice, lab.Bob);
        var connect = alice.Cli(CliTimeout, "connect", bob.Hit);
        Assert.True(connect.Succeeded, $"{connect}\n{alice.Tail()}\n{bob.Tail()}");
        string bobLsi = Lsi(alice.Status(), bob.Hit);
        string aliceLsi = Lsi(bob.WaitForStatus(s => Lsi(s, alice.Hit).Length > 0, TimeSpan.FromSeconds(5), "an LSI for alice"), alice.Hit);

        // 4000 octets to bob's LSI without DF: alice's stack fragments the datagram to hip0's MTU (1400), each
        // fragment travels in ESP with its fragmentation fields, and bob's stack reassembles it.
        var data = RandomNumberGenerator.GetBytes(4000);
        var (received, from) = SendUdpWithoutDf(bob.Host, alice.Host, IPAddress.Parse(bobLsi), data);
        Assert.Equal(data, received);
        Assert.Equal(IPAddress.Parse(aliceLsi), from.Address);

        // ICMP both ways: a 3000-octet echo to the LSI and its (fragmented) reply.
        var ping = alice.Host.Run(TimeSpan.FromSeconds(30), "ping", "-n", "-c", "2", "-i", "0.3", "-W", "3", "-s", "3000", "-M", "dont", bobLsi);
        Assert.True(ping.Succeeded, $"{ping}\n{alice.Tail()}\n{bob.Tail()}");
        Assert.Contains("2 received", ping.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("3008 bytes from", ping.StandardOutput, StringComparison.Ordinal);

        foreach (var status in new[] { alice.Status(), bob.Status() })
        {
            var drops = status.GetProperty("dataPlane").GetProperty("drops");
            foreach (var reason in new[] { "Fragment", "Malformed", "IntegrityCheckFailed", "TooBig" })
            {
                Assert.False(drops.TryGetProperty(reason, out _), $"{reason} drops: {drops}");
            }
        }
    }

    [Fact]
    public void OverRawHipEspTravelsAsIpProtocol50WithTheReportedSpis()
    {
        LabRequirement.Root();
        using var lab = NetworkLab.Create();
        var segment = lab.AddSegment("lan", "203.0.113.0/24");
        var aliceHost = lab.AddHost("alice", segment);
        var bobHost = lab.AddHost("bob", segment);
        var tool = HipnatTool.ForLab(lab, HipLab.HipnatDll());
        var ids = tool.Keygen("alice", "bob");
        using var capture = bobHost.Capture("eth0", "ip proto 50 or ip proto 139 or udp");
        using var bob = tool.StartHost(bobHost, ids["bob"], "--raw", "--tun", "on");
        using var alice = tool.StartHost(aliceHost, ids["alice"], "--raw", "--tun", "on", "--peer", $"{ids["bob"].Hit}={bobHost.Address}");

        var connect = alice.Cli(CliTimeout, "connect", bob.Hit);
        Assert.True(connect.Succeeded, $"{connect}\n{alice.Tail()}\n{bob.Tail()}");
        Assert.Contains($"via hip://{bobHost.Address}", connect.StandardOutput, StringComparison.Ordinal);

        // Through hip0: echoes to the HIT, a 3000-octet echo without DF to the LSI (in fragments), a TCP stream.
        Assert.True(aliceHost.Ping(IPAddress.Parse(bob.Hit), 3).AllReceived, $"{alice.Tail()}\n{bob.Tail()}");
        string bobLsi = Lsi(alice.Status(), bob.Hit);
        var ping = alice.Host.Run(TimeSpan.FromSeconds(30), "ping", "-n", "-c", "2", "-i", "0.3", "-W", "3", "-s", "3000", "-M", "dont", bobLsi);
        Assert.True(ping.Succeeded, $"{ping}\n{alice.Tail()}\n{bob.Tail()}");
        var data = RandomNumberGenerator.GetBytes(256 << 10);
        var result = Transfer(bobHost, IPAddress.IPv6Any, aliceHost, IPAddress.Parse(bob.Hit), data);
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(result.Received));

        var aliceSa = Peer(alice.Status(), bob.Hit).GetProperty("securityAssociations")[0];
        var bobSa = Peer(bob.Status(), alice.Hit).GetProperty("securityAssociations")[0];
        Assert.Equal($"hip://{bobHost.Address}", Peer(alice.Status(), bob.Hit).GetProperty("peer").GetString());
        Assert.Equal(aliceSa.GetProperty("outboundSpi").GetString(), bobSa.GetProperty("inboundSpi").GetString());
        Assert.Equal(bobSa.GetProperty("outboundSpi").GetString(), aliceSa.GetProperty("inboundSpi").GetString());
        var pcap = capture.Stop();

        // On the wire: ESP is IP protocol 50 (no UDP header, no marker), its SPIs the ones the daemons report; HIP
        // control is protocol 139; nothing went over UDP.
        var esp = LabTshark.Pdml(pcap, "esp").Root!.Elements("packet").ToList();
        Assert.True(esp.Count >= 10, $"captured {esp.Count} ESP packets");
        var spis = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var p in esp)
        {
            Assert.Equal("50", Field(p, "ip.proto"));
            Assert.Null(Field(p, "udp.port"));
            spis.Add(Field(p, "esp.spi")!);
        }

        var expected = new[] { aliceSa.GetProperty("outboundSpi").GetString(), bobSa.GetProperty("outboundSpi").GetString() }
            .Select(spi => "0x" + spi).ToHashSet(StringComparer.OrdinalIgnoreCase);
        Assert.True(expected.SetEquals(spis), $"SPIs on the wire {string.Join(", ", spis)}, reported {string.Join(", ", expected)}");
        TestContext.Current.TestOutputHelper?.WriteLine($"{esp.Count} ESP packets (IP protocol 50) with SPIs {string.Join(", ", spis)}");
        Assert.Empty(LabTshark.Pdml(pcap, "udp").Root!.Elements("packet"));
        Assert.NotEmpty(LabTshark.Pdml(pcap, "ip.proto == 139").Root!.Elements("packet"));

        // Bulk over protocol 50: TSO super-segments leave in sendmmsg batches, arrive in recvmmsg batches and are
        // coalesced again; 30 MB arrive byte-identical and nothing is dropped on the way.
        var bulk = RandomNumberGenerator.GetBytes(30_000_000);
        var there = Transfer(bobHost, IPAddress.IPv6Any, aliceHost, IPAddress.Parse(bob.Hit), bulk);
        Assert.Equal(SHA256.HashData(bulk), SHA256.HashData(there.Received));
        foreach (var d in new[] { alice, bob })
        {
            var drops = d.Status().GetProperty("dataPlane").GetProperty("drops");
            foreach (var reason in new[] { "BadOffload", "TunWriteFailed", "Internal", "IntegrityCheckFailed", "Malformed", "SendFailed" })
            {
                Assert.False(drops.TryGetProperty(reason, out _), $"{reason} drops: {drops}");
            }
        }

        TestContext.Current.TestOutputHelper?.WriteLine(
            $"30 MB over raw HIP in {there.Elapsed.TotalMilliseconds:0} ms ({bulk.Length * 8 / there.Elapsed.TotalSeconds / 1e6:0} Mbit/s)");
    }

    private static string? Field(System.Xml.Linq.XElement packet, string name) =>
        packet.Descendants("field").Where(f => (string?)f.Attribute("name") == name).Select(f => (string?)f.Attribute("show")).FirstOrDefault();

    /// <summary>One UDP datagram from <paramref name="client"/> with path MTU discovery off (no DF, so the stack fragments it); returns what a server in <paramref name="server"/> got.</summary>
    private static (byte[] Received, IPEndPoint From) SendUdpWithoutDf(LabHost server, LabHost client, IPAddress target, byte[] data)
    {
        using var receiver = server.InNamespace(() =>
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 10_000 };
            s.Bind(new IPEndPoint(IPAddress.Any, 0));
            return s;
        });
        int port = ((IPEndPoint)receiver.LocalEndPoint!).Port;
        using var sender = client.InNamespace(() => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp));
        const int SolIp = 0;
        const int IpMtuDiscover = 10;
        const int IpPmtudiscDont = 0;
        sender.SetRawSocketOption(SolIp, IpMtuDiscover, BitConverter.GetBytes(IpPmtudiscDont));
        sender.SendTo(data, new IPEndPoint(target, port));
        var buffer = new byte[65536];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        int n = receiver.ReceiveFrom(buffer, ref from);
        return (buffer[..n], (IPEndPoint)from);
    }

    private static JsonElement Peer(JsonElement status, string hit)
    {
        foreach (var p in status.GetProperty("dataPlane").GetProperty("peers").EnumerateArray())
        {
            if (p.GetProperty("hit").GetString() == hit)
            {
                return p;
            }
        }

        throw new Xunit.Sdk.XunitException($"no data plane peer {hit} in {status}");
    }

    private static string Lsi(JsonElement status, string hit)
    {
        if (!status.TryGetProperty("dataPlane", out var dp))
        {
            return string.Empty;
        }

        foreach (var p in dp.GetProperty("peers").EnumerateArray())
        {
            if (p.GetProperty("hit").GetString() == hit)
            {
                return p.GetProperty("lsi").GetString() ?? string.Empty;
            }
        }

        return string.Empty;
    }

    /// <summary>One TCP connection from <paramref name="client"/> to a server in <paramref name="server"/>'s namespace: sends everything, returns what arrived.</summary>
    private static (byte[] Received, IPEndPoint Remote, TimeSpan Elapsed) Transfer(LabHost server, IPAddress bind, LabHost client, IPAddress target, byte[] data)
    {
        using var listener = server.InNamespace(() =>
        {
            var s = new Socket(bind.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            if (bind.AddressFamily == AddressFamily.InterNetworkV6)
            {
                s.DualMode = false;
            }

            s.Bind(new IPEndPoint(bind, 0));
            s.Listen(1);
            return s;
        });
        int port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        var accept = Task.Run(() =>
        {
            using var conn = listener.Accept();
            conn.ReceiveTimeout = 30_000;
            var received = new MemoryStream();
            var buffer = new byte[1 << 16];
            int n;
            while ((n = conn.Receive(buffer)) > 0)
            {
                received.Write(buffer, 0, n);
            }

            return (received.ToArray(), (IPEndPoint)conn.RemoteEndPoint!);
        });

        using var socket = client.InNamespace(() => new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp));
        socket.SendTimeout = 30_000;
        var clock = Stopwatch.StartNew();
        socket.Connect(new IPEndPoint(target, port));
        socket.Send(data);
        socket.Shutdown(SocketShutdown.Send);
        if (!accept.Wait(TimeSpan.FromSeconds(60)))
        {
            throw new TimeoutException($"the server got no complete stream on port {port.ToString(CultureInfo.InvariantCulture)}");
        }

        var (bytes, remote) = accept.Result;
        return (bytes, remote, clock.Elapsed);
    }

    /// <summary>bob on the public segment, alice behind a NAT, both running <c>hipnat run</c> with the data plane.</summary>
    private sealed class EspLab : IDisposable
    {
        private EspLab(bool? offload, int? queues)
        {
            Lab = NetworkLab.Create();
            try
            {
                var pub = Lab.AddSegment("public", "203.0.113.0/24");
                var bobHost = Lab.AddHost("bob", pub);
                Nat = Lab.AddNat("nat", pub, "198.18.1.0/24");
                var aliceHost = Nat.AddHost("alice");
                var tool = HipnatTool.ForLab(Lab, HipLab.HipnatDll());
                var ids = tool.Keygen("alice", "bob");
                string[] config = [];
                if (offload is not null || queues is not null)
                {
                    var tun = new List<string>();
                    if (offload is { } on)
                    {
                        tun.Add($"\"offload\": {(on ? "true" : "false")}");
                    }

                    if (queues is { } n)
                    {
                        tun.Add($"\"queues\": {n.ToString(CultureInfo.InvariantCulture)}");
                    }

                    _config = Path.Combine(Path.GetTempPath(), $"hipnat-esp-lab-{Guid.NewGuid():N}.json");
                    File.WriteAllText(_config, $"{{ \"tun\": {{ {string.Join(", ", tun)} }} }}");
                    config = ["--config", _config];
                }

                Bob = tool.StartHost(bobHost, ids["bob"], ["--tun", "on", .. config]);
                Alice = tool.StartHost(aliceHost, ids["alice"], ["--tun", "on", "--peer", $"{ids["bob"].Hit}={bobHost.Address}:{HipnatTool.Port}", .. config]);
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        private readonly string? _config;

        public NetworkLab Lab { get; }

        public LabNat Nat { get; }

        public HipnatDaemon Alice { get; } = null!;

        public HipnatDaemon Bob { get; } = null!;

        /// <param name="offload">hip0's offloads through a config file ("tun": { "offload": … }); null: the default.</param>
        /// <param name="queues">hip0's queues ("tun": { "queues": … }); null: the default.</param>
        public static EspLab Create(bool? offload = null, int? queues = null)
        {
            LabRequirement.Root();
            return new EspLab(offload, queues);
        }

        public void Dispose()
        {
            Alice?.Dispose();
            Bob?.Dispose();
            Lab.Dispose();
            if (_config is not null)
            {
                File.Delete(_config);
            }
        }
    }
}
