using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Hipnat.Core.Host;
using Hipnat.Core.Transport;
using Hipnat.Crypto;
using Hipnat.Wire;

namespace Hipnat.Bench;

/// <summary>
/// <c>Hipnat.Bench flood</c>: floods a HIP responder with I1s and I2s over UDP (RFC 9028 §5.1) from spoofed source
/// addresses through a raw socket (root). The packets are precomputed: first a real base exchange is started from
/// this host's own address (I1 → R1 → I2, the I2 kept, never sent from here), then
/// <list type="bullet">
/// <item><c>i1</c>: that I1 with a random Initiator HIT each;</item>
/// <item><c>i2-puzzle</c>: that I2 with a random #J each: all reach the puzzle check, one in 2^#K passes it and costs
///   a Diffie-Hellman before its signature fails;</item>
/// <item><c>i2-replay</c>: that valid I2 unchanged: the first copy to arrive completes the exchange (with a spoofed
///   locator), every other is a replay;</item>
/// <item><c>mix</c>: the three in turn.</item>
/// </list>
/// Prints one <c>flood:</c> line with the packets sent and the rate achieved.
/// </summary>
internal static class FloodBench
{
    private const string UsageText =
        "usage: Hipnat.Bench flood --target ADDR[:PORT] --hit RESPONDER_HIT [--mode i1|i2-puzzle|i2-replay|mix] " +
        "[--seconds S] [--rate PPS (0 = as fast as possible)] [--sources CIDR[,CIDR...]] [--packets N] [--batch N] [--i1-to HIT]";

    public static int Run(string[] args)
    {
        if (Text(args, "--target") is not { } targetText || Text(args, "--hit") is not { } hitText || !Hit.TryParse(hitText, out var responder))
        {
            Console.Error.WriteLine(UsageText);
            return 2;
        }

        var target = targetText.Contains(':', StringComparison.Ordinal) ? IPEndPoint.Parse(targetText) : new IPEndPoint(IPAddress.Parse(targetText), HipUdpFraming.DefaultPort);
        string mode = Text(args, "--mode") ?? "mix";
        double seconds = double.Parse(Text(args, "--seconds") ?? "10", CultureInfo.InvariantCulture);
        int rate = ScaleBench.Arg(args, "--rate", 0);
        int count = ScaleBench.Arg(args, "--packets", 8192);
        int batch = ScaleBench.Arg(args, "--batch", 64);
        var sources = (Text(args, "--sources") ?? "198.51.100.0/24,192.0.2.0/24").Split(',').Select(IPNetwork.Parse).ToArray();

        // I1s may name another Responder HIT than the one whose I2 is captured: e.g. a relay's registered client,
        // whose I1s the relay forwards (RFC 8004 §3.2).
        Hit i1To = Text(args, "--i1-to") is { } t ? Hit.Parse(t) : responder;
        var (i1, i2) = Capture(target, responder, i1To);
        Console.WriteLine($"flood: captured I1 ({i1.Length} octets) and I2 ({i2.Length} octets) from {target}");

        var frames = new List<byte[]>(count);
        for (int n = 0; n < count; n++)
        {
            string kind = mode == "mix" ? (n % 3) switch { 0 => "i1", 1 => "i2-puzzle", _ => "i2-replay" } : mode;
            byte[] payload = kind switch
            {
                "i1" => FloodPackets.I1WithRandomHit(i1),
                "i2-puzzle" => FloodPackets.I2WithRandomSolution(i2),
                "i2-replay" => i2,
                _ => throw new ArgumentException($"unknown --mode {mode}; {UsageText}"),
            };
            frames.Add(FloodPackets.Frame(RandomSource(sources), target, payload));
        }

        using var sender = new RawSender(target.Address, frames);
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        Console.WriteLine($"flood: sending {mode} to {target} from {string.Join(", ", sources.Select(s => s.ToString()))} for {seconds} s");
        var clock = Stopwatch.StartNew();
        var (sent, errors) = sender.Run(TimeSpan.FromSeconds(seconds), batch, rate, stop.Token);
        double elapsed = clock.Elapsed.TotalSeconds;
        Console.WriteLine(FormattableString.Invariant(
            $"flood: mode {mode}, sent {sent} packets in {elapsed:F1} s = {sent / elapsed:F0} packets/s, {errors} send errors, {count} distinct packets"));
        return 0;
    }

    /// <summary>I1 → R1 → I2 from this host's own address with a fresh ECDSA P-256 identity; returns the I1 (towards
    /// <paramref name="i1To"/>) and the I2 (towards <paramref name="responder"/>), UDP-framed.</summary>
    private static (byte[] I1, byte[] I2) Capture(IPEndPoint target, Hit responder, Hit i1To)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Connect(target);
        var localEp = (IPEndPoint)socket.LocalEndPoint!;
        var local = TransportAddress.Udp(localEp.Address, (ushort)localEp.Port);
        var remote = TransportAddress.Udp(target.Address, (ushort)target.Port);
        socket.ReceiveTimeout = 1000;
        var clock = Stopwatch.StartNew();
        var buffer = new byte[2048];
        byte[]? i1ToOther = null;
        if (i1To != responder)
        {
            var other = NewHost();
            other.AddPeerLocator(i1To, remote);
            other.Connect(i1To, clock.Elapsed);
            i1ToOther = Last(other);
        }

        for (int attempt = 0; attempt < 5; attempt++)
        {
            var host = NewHost();
            host.AddPeerLocator(responder, remote);
            host.Connect(responder, clock.Elapsed);
            var i1 = Last(host);
            socket.Send(i1);
            try
            {
                int n = socket.Receive(buffer);
                host.HandleDatagram(local, remote, buffer.AsSpan(0, n), clock.Elapsed);
                var i2 = Last(host);
                if (i2.Length > HipUdpFraming.HipControlOffset + 2 && (i2[HipUdpFraming.HipControlOffset + 2] & 0x7F) == 3)
                {
                    return (i1ToOther ?? i1, i2);
                }
            }
            catch (SocketException)
            {
                // No R1 within a second: try again with a new identity.
            }
        }

        throw new InvalidOperationException($"no R1 from {target} after 5 I1s");
    }

    private static HipHost NewHost() =>
        new(new HipHostOptions { Identity = HostIdentity.Generate(HostIdentityKind.EcdsaP256), DhGroups = [DhGroupId.NistP256] });

    private static byte[] Last(HipHost h)
    {
        byte[]? last = null;
        while (h.TryPollTransmit(out var t))
        {
            last = t.Payload.ToArray();
            t.Release();
        }

        return last ?? throw new InvalidOperationException("the host sent nothing");
    }

    private static IPEndPoint RandomSource(IPNetwork[] sources)
    {
        var net = sources[Random.Shared.Next(sources.Length)];
        var bytes = net.BaseAddress.GetAddressBytes();
        uint host = (uint)Random.Shared.Next(1, (int)Math.Min(int.MaxValue, (1L << (32 - net.PrefixLength)) - 1));
        uint a = ((uint)bytes[0] << 24 | (uint)bytes[1] << 16 | (uint)bytes[2] << 8 | bytes[3]) + host;
        return new IPEndPoint(new IPAddress([(byte)(a >> 24), (byte)(a >> 16), (byte)(a >> 8), (byte)a]), Random.Shared.Next(1024, 65536));
    }

    private static string? Text(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
