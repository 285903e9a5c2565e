using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Hipnat.Nat.Stun;

/// <summary>Settings of <see cref="StunNetcheck.Run"/>.</summary>
public sealed record StunNetcheckOptions
{
    /// <summary>
    /// Timed Binding transactions per answering server, after the first (untimed) one that finds the reflexive
    /// address; the RTT figures are their minimum and median.
    /// </summary>
    public int Samples { get; init; } = 3;

    /// <summary>How long one round of Binding transactions (to every server in parallel) may take.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>How long to wait for the hairpinned datagram (it crosses only the NAT, so it is fast or never).</summary>
    public TimeSpan HairpinTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Run the hairpinning test (RFC 4787 §6).</summary>
    public bool Hairpin { get; init; } = true;
}

/// <summary>
/// One server as <see cref="StunNetcheck.Run"/> saw it: the reflexive transport address of the first answer, the
/// round-trip times of the answers to unretransmitted requests (Karn: an answer to a retransmitted request could
/// belong to either transmission), and how many transactions went out and were answered.
/// </summary>
public sealed record StunServerProbe(
    IPEndPoint Server,
    IPEndPoint? Reflexive,
    IReadOnlyList<TimeSpan> Rtts,
    int Sent,
    int Answered,
    StunBindingOutcome Outcome,
    StunErrorCode? Error,
    bool ReflexiveChanged)
{
    public TimeSpan? MinRtt => Rtts.Count > 0 ? Rtts.Min() : null;

    public TimeSpan? MedianRtt => Rtts.Count > 0 ? StunNetcheck.Median(Rtts) : null;
}

/// <summary>
/// What one local socket learnt from its servers: each server's reflexive address and RTT, the mapping behaviour
/// (RFC 4787 §4.1) and hairpinning (RFC 4787 §6; null when not tested: nothing answered, or no NAT).
/// </summary>
public sealed record StunNetcheckResult(
    IPEndPoint Local,
    IReadOnlyList<StunServerProbe> Servers,
    StunMappingVerdict Mapping,
    bool? Hairpinning,
    int SendErrors,
    SocketError? LastSendError)
{
    /// <summary>At least one server answered: UDP gets out and back.</summary>
    public bool UdpWorks => Servers.Any(s => s.Reflexive is not null);

    /// <summary>Every request was refused by the local stack (e.g. no route for this address family).</summary>
    public bool NothingSent => SendErrors > 0 && Servers.All(s => s.Reflexive is null) && SendErrors >= Servers.Sum(s => s.Sent);
}

/// <summary>
/// The measurements behind `hipnat netcheck`, on one <see cref="StunUdpClient"/> socket: a Binding transaction to
/// every server from that same socket (so their reflexive addresses can be compared), then timed transactions to
/// each server that answered for RTT samples, then the hairpinning test: a second local socket sends a datagram carrying a random nonce to the first
/// socket's reflexive address; hairpinning works when the first socket receives that nonce.
/// </summary>
public static class StunNetcheck
{
    private static readonly byte[] HairpinMagic = "hipnat-hairpin:"u8.ToArray();

    public static StunNetcheckResult Run(
        StunUdpClient client,
        IEnumerable<IPEndPoint> servers,
        StunNetcheckOptions? options = null,
        IReadOnlyCollection<IPAddress>? localAddresses = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        options ??= new StunNetcheckOptions();
        var list = servers.Distinct().ToList();
        var state = list.Select(s => new ProbeState(s)).ToList();

        // Discovery: one Binding to every server in parallel, from this one socket, for the reflexive addresses. It
        // also pays for ARP, the NAT creating its mappings and the first run of this code, so it is not timed.
        var first = client.BindAll(state.Select(p => p.Server), options.Timeout);
        for (int i = 0; i < first.Count; i++)
        {
            state[i].Add(first[i], timed: false);
        }

        // Timing: the servers that answered, one request at a time so that no answer waits behind another.
        for (int round = 0; round < Math.Max(1, options.Samples); round++)
        {
            foreach (var p in state.Where(p => p.Reflexive is not null))
            {
                p.Add(client.Bind(p.Server, options.Timeout), timed: true);
            }
        }

        var probes = state.Select(p => p.ToProbe()).ToList();
        var verdict = StunMappingComparison.Analyze(probes.Select(p => (p.Server, p.Reflexive)), client.LocalEndPoint, localAddresses);
        bool? hairpin = null;
        if (options.Hairpin && verdict.Reflexive.Count > 0 && verdict.Behavior != NatMappingBehavior.NoNat)
        {
            hairpin = ProbeHairpin(client, probes.First(p => p.Reflexive is not null).Reflexive!, options.HairpinTimeout);
        }

        return new StunNetcheckResult(client.LocalEndPoint, probes, verdict, hairpin, client.SendErrors, client.LastSendError);
    }

    /// <summary>
    /// RFC 4787 §6: from a second socket on the same local address, sends a nonce to <paramref name="reflexive"/>
    /// (the first socket's mapping) up to three times and waits up to <paramref name="wait"/> for the nonce to
    /// arrive on <paramref name="client"/>'s socket. Other datagrams (late STUN answers) are ignored.
    /// </summary>
    public static bool ProbeHairpin(StunUdpClient client, IPEndPoint reflexive, TimeSpan wait)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(reflexive);
        var nonce = new byte[HairpinMagic.Length + 16];
        HairpinMagic.CopyTo(nonce, 0);
        RandomNumberGenerator.Fill(nonce.AsSpan(HairpinMagic.Length));

        var local = client.LocalEndPoint.Address;
        using var probe = new StunUdpClient(new IPEndPoint(local, 0));
        var start = client.Now;
        var deadline = start + wait;
        var resend = wait / 3;
        var nextSend = start;
        int sent = 0;
        while (true)
        {
            var now = client.Now;
            if (sent < 3 && now >= nextSend)
            {
                probe.SendTo(reflexive, nonce);
                sent++;
                nextSend = now + resend;
            }

            if (now >= deadline)
            {
                return false;
            }

            var until = sent < 3 && nextSend < deadline ? nextSend : deadline;
            if (client.TryReceive(until - now, out _, out var datagram) && datagram.AsSpan().SequenceEqual(nonce))
            {
                return true;
            }
        }
    }

    /// <summary>The median (the mean of the middle two for an even count).</summary>
    public static TimeSpan Median(IReadOnlyList<TimeSpan> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0)
        {
            throw new ArgumentException("no values", nameof(values));
        }

        var sorted = values.Order().ToArray();
        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /// <summary>The unicast addresses of this host's interfaces (in its network namespace), for the no-NAT test.</summary>
    public static IReadOnlyList<IPAddress> LocalAddresses()
    {
        try
        {
            return NetworkInterface.GetAllNetworkInterfaces()
                .SelectMany(i => i.GetIPProperties().UnicastAddresses)
                .Select(u => u.Address)
                .ToList();
        }
        catch (NetworkInformationException)
        {
            return [];
        }
    }

    private sealed class ProbeState(IPEndPoint server)
    {
        private readonly List<TimeSpan> _rtts = [];
        private int _sent;
        private int _answered;
        private bool _changed;
        private StunBindingResult? _last;

        public IPEndPoint Server { get; } = server;

        public IPEndPoint? Reflexive { get; private set; }

        public void Add(StunBindingResult result, bool timed)
        {
            _sent++;
            _last = result;
            if (!result.Succeeded || result.MappedAddress is null)
            {
                return;
            }

            _answered++;
            if (Reflexive is null)
            {
                Reflexive = result.MappedAddress;
            }
            else if (!Reflexive.Equals(result.MappedAddress))
            {
                _changed = true;
            }

            if (timed && result.Transmissions == 1)
            {
                _rtts.Add(result.Elapsed);
            }
        }

        public StunServerProbe ToProbe() => new(
            Server,
            Reflexive,
            _rtts,
            _sent,
            _answered,
            _answered > 0 ? StunBindingOutcome.Success : _last?.Outcome ?? StunBindingOutcome.Timeout,
            _answered > 0 ? null : _last?.Error,
            _changed);
    }
}
