using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Hipnat.Core.Host;
using Hipnat.Core.Transport;
using Hipnat.Crypto;
using Hipnat.Wire;
using Hipnat.Wire.Packets;
using Hipnat.Wire.Parameters;

namespace Hipnat.Bench;

/// <summary>
/// Control packets and ESP through a real <c>hipnat relay</c> process pinned to one core, each beside the same
/// traffic sent straight to the receiver in the same run. A registered client (an in-process HipHost on a real
/// UDP socket) is the receiver; a generator socket sends HIP NOTIFYs addressed to the client's HIT (control relay,
/// RELAY_FROM + RELAY_HMAC added per packet) and ESP with the client's inbound SPI to its relayed port (data relay,
/// after a PEER_PERMISSION).
/// </summary>
internal static class RelayThroughputBench
{
    public static int Run(string[] args)
    {
        double seconds = ScaleBench.Arg(args, "--seconds", 3);
        string dll = HipnatDll(args);
        var dir = Directory.CreateTempSubdirectory("hipnat-relay-bench").FullName;
        Process? relay = null;
        try
        {
            using var relayId = HostIdentity.Generate(HostIdentityKind.EcdsaP256);
            var keyPath = Path.Combine(dir, "relay.pem");
            File.WriteAllText(keyPath, relayId.ExportPkcs8Pem());
            File.SetUnixFileMode(keyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            int relayPort = FreeUdpPort();
            var relayEp = new IPEndPoint(IPAddress.Loopback, relayPort);
            relay = Process.Start(new ProcessStartInfo("dotnet",
                [dll, "relay", "--key", keyPath, "--listen", $"127.0.0.1:{relayPort}", "--allow-any",
                 "--services", "rendezvous,relay-hip,relay-esp", "--relay-address", "127.0.0.1", "--relay-ports", "30000-30099",
                 "--control", Path.Combine(dir, "relay.sock"), "--log-level", "warning"])
            { RedirectStandardOutput = true, RedirectStandardError = true })!;
            relay.OutputDataReceived += (_, _) => { };
            relay.ErrorDataReceived += (_, e) => { if (e.Data is { } l) Console.Error.WriteLine($"relay: {l}"); };
            relay.BeginOutputReadLine();
            relay.BeginErrorReadLine();
            Thread.Sleep(1500);
            if (relay.HasExited)
            {
                Console.Error.WriteLine($"hipnat relay exited with {relay.ExitCode}");
                return 1;
            }

            relay.ProcessorAffinity = 2;                                  // the relay on core 1
            Process.GetCurrentProcess().ProcessorAffinity = 1;           // generator and receiver on core 0

            // The client registers for control and data relaying over real UDP.
            using var sink = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = 8 << 20 };
            sink.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var sinkEp = (IPEndPoint)sink.LocalEndPoint!;
            using var clientId = HostIdentity.Generate(HostIdentityKind.EcdsaP256);
            var client = new HipHost(new HipHostOptions { Identity = clientId });
            var relayLocator = TransportAddress.Udp(IPAddress.Loopback, (ushort)relayPort);
            client.AddPeerLocator(relayId.Hit, relayLocator);
            var clock = Stopwatch.StartNew();
            client.Register(relayId.Hit, [RegistrationType.RelayUdpHip, RegistrationType.RelayUdpEsp], TimeSpan.FromMinutes(10), clock.Elapsed);
            var relayed = Drive(client, sink, sinkEp, clock, TimeSpan.FromSeconds(10), e => e is RegistrationGranted { Type: RegistrationType.RelayUdpEsp } g ? g.Relayed : null);
            if (relayed is null)
            {
                Console.Error.WriteLine("the client could not register with the relay");
                return 1;
            }

            using var gen = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { SendBufferSize = 8 << 20 };
            gen.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var genEp = (IPEndPoint)gen.LocalEndPoint!;

            // Control: NOTIFY packets from a third HIT to the client's HIT.
            var notify = BuildNotify(HostIdentity.Generate(HostIdentityKind.EcdsaP256).Hit, clientId.Hit);
            var direct = Blast(gen, sink, sinkEp, notify, seconds);
            var viaRelay = Blast(gen, sink, relayEp, notify, seconds);
            Console.WriteLine($"control packets direct       {direct.Pps,10:F0} /s delivered ({direct.Sent} sent)");
            Console.WriteLine($"control packets via relay    {viaRelay.Pps,10:F0} /s delivered ({viaRelay.Sent} sent, RELAY_FROM + RELAY_HMAC added, relay on one core)");
            Console.WriteLine($"ratio                        {100 * viaRelay.Pps / direct.Pps,10:F1} %");

            // Data: a permission for the generator, then 1,400-octet ESP to the relayed port.
            uint ispi = 0x1000_0001, ospi = 0x2000_0002;
            client.RequestPeerPermission(relayId.Hit, TransportAddress.Udp(genEp.Address, (ushort)genEp.Port), ospi, ispi, clock.Elapsed);
            Drive<object>(client, sink, sinkEp, clock, TimeSpan.FromMilliseconds(500), _ => null);
            var esp = new byte[1400];
            BinaryPrimitives.WriteUInt32BigEndian(esp, ispi);
            var espDirect = Blast(gen, sink, sinkEp, esp, seconds);
            var espRelay = Blast(gen, sink, new IPEndPoint(relayed.Value.Address, relayed.Value.Port), esp, seconds);
            Console.WriteLine($"ESP 1400 B direct            {espDirect.Pps,10:F0} /s  {espDirect.Pps * 1400 * 8 / 1e6,8:F0} Mbit/s");
            Console.WriteLine($"ESP 1400 B via data relay    {espRelay.Pps,10:F0} /s  {espRelay.Pps * 1400 * 8 / 1e6,8:F0} Mbit/s");
            Console.WriteLine($"ratio                        {100 * espRelay.Pps / espDirect.Pps,10:F1} %");
            return viaRelay.Received > 0 && espRelay.Received > 0 ? 0 : 1;
        }
        finally
        {
            if (relay is { HasExited: false })
            {
                relay.Kill(entireProcessTree: true);
                relay.WaitForExit(5000);
            }

            Directory.Delete(dir, recursive: true);
        }
    }

    private readonly record struct BlastResult(long Sent, long Received, double Pps);

    /// <summary>Sends <paramref name="packet"/> to <paramref name="to"/> as fast as possible for a while from one
    /// thread while another counts what reaches <paramref name="sink"/>.</summary>
    private static BlastResult Blast(Socket gen, Socket sink, IPEndPoint to, byte[] packet, double seconds)
    {
        long received = 0;
        var stop = false;
        var buf = new byte[2048];
        sink.ReceiveTimeout = 200;
        var receiver = new Thread(() =>
        {
            EndPoint any = new IPEndPoint(IPAddress.Any, 0);
            while (!Volatile.Read(ref stop))
            {
                try
                {
                    sink.ReceiveFrom(buf, ref any);
                    received++;
                }
                catch (SocketException)
                {
                }
            }
        }) { IsBackground = true };
        receiver.Start();
        long sent = 0;
        var sw = Stopwatch.StartNew();
        long start = Interlocked.Read(ref received);
        var addr = to.Serialize();
        while (sw.Elapsed.TotalSeconds < seconds)
        {
            gen.SendTo(packet, SocketFlags.None, addr);
            sent++;
        }

        double elapsed = sw.Elapsed.TotalSeconds;
        Thread.Sleep(300); // drain in-flight packets
        Volatile.Write(ref stop, true);
        receiver.Join();
        long got = received - start;
        return new BlastResult(sent, got, got / elapsed);
    }

    private static byte[] BuildNotify(Hit from, Hit to)
    {
        var buf = new byte[256];
        var b = new HipPacketBuilder(buf.AsSpan(4), HipPacketType.Notify, from, to);
        b.Add(new NotificationParameter(NotifyMessageType.NatKeepalive));
        b.AddRaw(ParameterType.HipSignature, new byte[66]);
        int len = b.Finish();
        return buf.AsSpan(0, len + 4).ToArray();
    }

    private static T? Drive<T>(HipHost host, Socket socket, IPEndPoint local, Stopwatch clock, TimeSpan timeout, Func<HipEvent, T?> until)
    {
        var buf = new byte[4096];
        var localAddr = TransportAddress.Udp(local.Address, (ushort)local.Port);
        var deadline = clock.Elapsed + timeout;
        socket.ReceiveTimeout = 20;
        while (clock.Elapsed < deadline)
        {
            while (host.TryPollTransmit(out var t))
            {
                socket.SendTo(t.Payload, new IPEndPoint(t.Remote.Address, t.Remote.Port));
                t.Release();
            }

            while (host.TryPollEvent(out var e))
            {
                if (until(e) is { } r)
                {
                    return r;
                }
            }

            try
            {
                EndPoint from = new IPEndPoint(IPAddress.Any, 0);
                int n = socket.ReceiveFrom(buf, ref from);
                var f = (IPEndPoint)from;
                host.HandleDatagram(localAddr, TransportAddress.Udp(f.Address, (ushort)f.Port), buf.AsSpan(0, n), clock.Elapsed);
            }
            catch (SocketException)
            {
            }

            host.HandleTimeout(clock.Elapsed);
        }

        return default;
    }

    private static int FreeUdpPort()
    {
        // Outside the relayed-port range given to the relay (30000-30099).
        for (int port = 31000; port < 32000; port++)
        {
            try
            {
                using var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                s.Bind(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException)
            {
            }
        }

        throw new InvalidOperationException("no free UDP port in 31000-31999");
    }

    private static string HipnatDll(string[] args)
    {
        int i = Array.IndexOf(args, "--hipnat");
        if (i >= 0 && i + 1 < args.Length)
        {
            return args[i + 1];
        }

        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        var root = dir.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
        return Path.Combine(root, "src", "Hipnat.Cli", "bin", dir.Parent!.Name, "net10.0", "hipnat.dll");
    }
}
