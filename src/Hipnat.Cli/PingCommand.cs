using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Hipnat.Runtime.Configuration;
using Hipnat.Runtime.Control;
using Hipnat.Wire.Dns;

namespace Hipnat.Cli;

/// <summary>
/// <c>hipnat ping HIT|LSI|NAME</c>: ICMPv6 echo to a peer's HIT (or ICMP echo to its LSI) through the daemon's TUN
/// interface, from this process (a raw ICMP socket: root or CAP_NET_RAW, else the system's ping), with RTTs and the
/// locator pair ESP took, read from the daemon's status. The first echo to a peer without association waits for the
/// base exchange it starts.
/// </summary>
internal static class PingCommand
{
    public static Command Create()
    {
        var target = new Argument<string>("TARGET") { Description = "The peer's HIT (IPv6, 2001:2x:...), the LSI the daemon gave it (IPv4, see `hipnat status`), or its name (names file or a HIP record in DNS)" };
        var count = new Option<int>("--count", "-c") { Description = "Echo requests to send", HelpName = "N", DefaultValueFactory = _ => 4 };
        var interval = new Option<double>("--interval", "-i") { Description = "Seconds between requests", HelpName = "S", DefaultValueFactory = _ => 1 };
        var timeout = new Option<double>("--timeout", "-W") { Description = "Seconds to wait for each reply (the first also waits for a base exchange)", HelpName = "S", DefaultValueFactory = _ => 3 };
        var size = new Option<int>("--size", "-s") { Description = "Echo payload octets", HelpName = "N", DefaultValueFactory = _ => 56 };
        var control = CliOptions.Control();
        var command = new Command("ping", "Ping a peer by HIT, LSI or name through the ESP data plane and show the path it took")
        {
            target, count, interval, timeout, size, control,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var o = parse.InvocationConfiguration.Output;
            var e = parse.InvocationConfiguration.Error;
            int n = parse.GetValue(count);
            double every = parse.GetValue(interval);
            double wait = parse.GetValue(timeout);
            int payload = parse.GetValue(size);
            if (n is < 1 or > 1_000_000)
            {
                throw new ConfigException($"--count {n}: give 1-1000000 requests");
            }

            if (!(every >= 0.01 && every <= 3600))
            {
                throw new ConfigException($"--interval {every.ToString(CultureInfo.InvariantCulture)}: give 0.01-3600 seconds");
            }

            if (!(wait >= 0.1 && wait <= 60))
            {
                throw new ConfigException($"--timeout {wait.ToString(CultureInfo.InvariantCulture)}: give 0.1-60 seconds");
            }

            if (payload is < 0 or > 65000)
            {
                throw new ConfigException($"--size {payload}: give 0-65000 octets");
            }

            string text = parse.GetValue(target) ?? string.Empty;
            var socketPath = parse.GetValue(control);
            string? name = null;
            if (DnsName.LooksLikeName(text))
            {
                // The daemon resolves the name (names file, then the HIP record in DNS) and learns the peer's locators.
                var resolved = await ControlCall.SendAsync(socketPath, new ControlRequest { Command = ControlRequest.Resolve, Name = text.Trim() }, TimeSpan.FromSeconds(30), cancellationToken);
                if (!resolved.Ok || resolved.Resolve is not { } r)
                {
                    e.WriteLine($"hipnat ping: {resolved.Error ?? "the daemon did not resolve the name"}");
                    return ExitCodes.Failed;
                }

                o.WriteLine(ConnectCommand.ResolvedLine(r));
                name = r.Name;
                text = r.Hit;
            }

            if (!IPAddress.TryParse(text.Trim(), out var address))
            {
                throw new ConfigException($"TARGET '{text}' is not an address or a name: give a peer's HIT (e.g. {SettingParsers.ExampleHit}), its LSI (e.g. 198.18.12.34) or its name (e.g. bob.example.com)");
            }

            var status = await StatusAsync(socketPath, cancellationToken);
            if (status.DataPlane is not { } dp)
            {
                e.WriteLine("hipnat ping: the daemon runs without its ESP data plane (no TUN interface); run it as root, with --tun on");
                return ExitCodes.Failed;
            }

            string hit;
            string lsi;
            if (address.AddressFamily == AddressFamily.InterNetworkV6)
            {
                if (!SettingParsers.TryParseHit(text, out var h, out var error))
                {
                    throw new ConfigException($"TARGET {error}");
                }

                hit = h.ToString();
                lsi = dp.Peers.FirstOrDefault(p => p.Hit == hit)?.Lsi ?? string.Empty;
            }
            else
            {
                var peer = dp.Peers.FirstOrDefault(p => p.Lsi == address.ToString());
                if (peer is null)
                {
                    e.WriteLine($"hipnat ping: no peer has the LSI {address} (this host's LSIs are in {dp.LsiNetwork}, its own is {dp.LocalLsi}); `hipnat status` lists each peer's LSI");
                    return ExitCodes.Failed;
                }

                hit = peer.Hit;
                lsi = peer.Lsi;
            }

            o.WriteLine($"PING {name ?? address.ToString()} (HIT {hit}{(lsi.Length > 0 ? ", LSI " + lsi : string.Empty)}) via {dp.Device}: {payload} data bytes");
            var rtts = new List<double>();
            var buffer = new byte[payload];
            for (int i = 0; i < payload; i++)
            {
                buffer[i] = (byte)i;
            }

            using var ping = new Ping();
            for (int seq = 1; seq <= n; seq++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var clock = Stopwatch.StartNew();
                PingReply reply;
                try
                {
                    reply = await ping.SendPingAsync(address, TimeSpan.FromSeconds(wait), buffer, new PingOptions(64, dontFragment: false), cancellationToken);
                }
                catch (PingException ex)
                {
                    e.WriteLine($"hipnat ping: cannot send ICMP echo to {address}: {ex.InnerException?.Message ?? ex.Message} (needs root or CAP_NET_RAW, or a ping binary)");
                    return ExitCodes.Failed;
                }

                double ms = clock.Elapsed.TotalMilliseconds;
                if (reply.Status == IPStatus.Success)
                {
                    rtts.Add(ms);
                    o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"reply from {address}: seq={seq} time={ms:0.000} ms"));
                }
                else
                {
                    o.WriteLine($"no reply from {address}: seq={seq} ({reply.Status})");
                }

                if (seq < n)
                {
                    var rest = TimeSpan.FromSeconds(every) - clock.Elapsed;
                    if (rest > TimeSpan.Zero)
                    {
                        await Task.Delay(rest, cancellationToken);
                    }
                }
            }

            // The path ESP took, from the daemon's view now.
            status = await StatusAsync(socketPath, cancellationToken);
            var route = status.DataPlane?.Peers.FirstOrDefault(p => p.Hit == hit);
            var association = status.Associations.FirstOrDefault(a => a.PeerHit == hit);
            if (route?.Peer is not null)
            {
                // The association knows what the data plane's route does not always say: a pair through a data
                // relay (a relayed ICE candidate, ours or the peer's) or through a control relay.
                bool relayed = route.Relayed || association is { ActivePath: "relay" };
                string how = relayed
                    ? $"relayed via {(association is null ? string.Empty : StatusTable.RelayKind(association))}{association?.RelayAddress ?? route.Peer}"
                    : "direct";
                o.WriteLine($"path {route.Local} -> {route.Peer} ({how}), association {association?.State ?? "-"}");
                if (association?.Ice is { Selected: { } selected } ice)
                {
                    o.WriteLine($"ICE {ice.Mode} {ice.State}: {selected}: {ice.SelectedReason ?? "-"}");
                }
                if (route.SecurityAssociations.FirstOrDefault(s => s.Active) is { } sa)
                {
                    o.WriteLine($"ESP {sa.Transform}, SPI in {sa.InboundSpi} out {sa.OutboundSpi}, {sa.PacketsOut} packets out, {sa.PacketsIn} in");
                }
            }
            else
            {
                o.WriteLine($"path: none (association {association?.State ?? "UNASSOCIATED"}; is a locator for {hit} known? `hipnat peers add`)");
            }

            int lost = n - rtts.Count;
            o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{n} sent, {rtts.Count} received, {100.0 * lost / n:0.#}% loss"));
            if (rtts.Count > 0)
            {
                o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"rtt min/avg/max = {rtts.Min():0.000}/{rtts.Average():0.000}/{rtts.Max():0.000} ms"));
            }

            return rtts.Count > 0 ? ExitCodes.Ok : ExitCodes.Failed;
        });
        return command;
    }

    private static async Task<StatusReport> StatusAsync(string? control, CancellationToken cancellationToken)
    {
        var response = await ControlCall.SendAsync(control, new ControlRequest { Command = ControlRequest.Status }, ControlCall.DefaultTimeout, cancellationToken);
        if (!response.Ok || response.Status is not { } status)
        {
            throw new InvalidOperationException(response.Error ?? "the daemon sent no status");
        }

        return status;
    }
}
