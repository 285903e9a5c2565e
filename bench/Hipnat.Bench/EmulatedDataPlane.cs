using System.Buffers.Binary;
using Hipnat.Core.Association;
using Hipnat.Core.Host;
using Hipnat.Core.Transport;
using Hipnat.Simulator;
using Hipnat.Simulator.Hip;
using Hipnat.Wire;

namespace Hipnat.Bench;

/// <summary>
/// Stands in for a host's ESP data plane in the simulator (what src/Hipnat.Runtime/DataPlane does for real): every
/// tick it sends one small UDP-encapsulated "ESP" datagram (the association's outbound SPI, a sequence number) from
/// the association's local address to its peer address, through the simulated network, relays and NATs; a datagram
/// that arrives with one of our inbound SPIs counts as received ESP. As the runtime does, it tells the core
/// (<see cref="HipHost.NoteTraffic"/>) whether ESP was sent and received since the last tick, reports ESP from a new
/// source address on a direct route (<see cref="HipHost.NotePeerAddress"/>), holds packets while the only path
/// is the control relay and ICE is still looking for a pair, and sends to an unverified address only within credit. Everything else goes to the HIP node it wraps.
/// </summary>
internal sealed class EmulatedDataPlane(HipSimNode node, string name) : ISimNode
{
    /// <summary>Length of an emulated ESP datagram: odd, so no HIP control packet or STUN message has it.</summary>
    public const int DatagramLength = 61;

    private bool _sent;
    private bool _received;
    private int _unanswered;
    private (TransportAddress Local, TransportAddress From)? _newSource;

    public HipSimNode Node { get; } = node;

    public string Name { get; } = name;

    /// <summary>Sends only in answer, as ping's echo replies do: a tick offers a datagram only if one of the peer's
    /// arrived since the last. A side whose peer's traffic is lost has nothing to send, so nothing of its own
    /// shows the path (a relay that learns where to forward from the traffic it sees learns nothing).</summary>
    public bool RepliesOnly { get; init; }

    /// <summary>The association's peer; set once it exists.</summary>
    public Hit Peer { get; set; }

    /// <summary>Virtual time at which datagram n was offered (index = sequence number).</summary>
    public List<TimeSpan> Offered { get; } = [];

    /// <summary>Whether datagram n was sent (false: no route, held back).</summary>
    public List<bool> WasSent { get; } = [];

    /// <summary>Datagrams of the peer that arrived here: (arrival time, peer's sequence number).</summary>
    public List<(TimeSpan At, long Seq)> Arrivals { get; } = [];

    /// <summary>What the peer's datagrams earned: the budget for an address not verified yet (RFC 8046 §5.6).</summary>
    public Hipnat.Core.Paths.CreditCounter Credit { get; } = new();

    /// <summary>Datagrams sent to an unverified address within credit.</summary>
    public int SentWithinCredit { get; private set; }

    /// <summary>ESP that arrived with an SPI that is not (or no longer) ours.</summary>
    public int UnknownSpi { get; private set; }

    public void OnDatagram(SimContext ctx, SimEndpoint local, SimEndpoint remote, ReadOnlySpan<byte> payload)
    {
        if (HipUdpFraming.Classify(payload) != UdpPayloadKind.Esp || payload.Length != DatagramLength)
        {
            Node.OnDatagram(ctx, local, remote, payload);
            return;
        }

        uint spi = BinaryPrimitives.ReadUInt32BigEndian(payload);
        var info = Node.Host.GetAssociation(Peer);
        if (info is null || !info.SaPairs.Any(s => s.InboundSpi == spi))
        {
            UnknownSpi++;
            return;
        }

        Arrivals.Add((ctx.Now, BinaryPrimitives.ReadInt64BigEndian(payload[8..])));
        Credit.Earn(payload.Length);
        _received = true;
        _unanswered++;
        var from = TransportAddress.Udp(remote.Address, (ushort)remote.Port);
        if (TryRoute(Node.Host, Peer, info, out var routeLocal, out var routeRemote, out bool relayed) && !relayed
            && (routeRemote != from || (!routeLocal.Address.Equals(System.Net.IPAddress.Any) && !routeLocal.Address.Equals(local.Address))))
        {
            _newSource = (TransportAddress.Udp(local.Address, (ushort)local.Port), from);
        }
    }

    public void OnTimer(SimContext ctx) => Node.OnTimer(ctx);

    /// <summary>One tick: offer a datagram (send it if there is a route), then report the last interval's traffic.</summary>
    public void Tick()
    {
        Node.Invoke((h, now) =>
        {
            var info = h.GetAssociation(Peer);
            Credit.Age(now);
            bool offer = !RepliesOnly || _unanswered > 0;
            _unanswered = 0;
            long seq = Offered.Count;
            bool sent = false;
            if (offer)
            {
                Offered.Add(now);
            }

            if (offer && info is { State: AssociationState.Established } && info.SaPairs.Count > 0 && TryRoute(h, Peer, info, out var local, out var remote, out _)
                && (!IsCreditLimited(info, remote) || Credit.TrySpend(DatagramLength)))
            {
                SentWithinCredit += IsCreditLimited(info, remote) ? 1 : 0;
                var ctx = Node.SimHost!.Context;
                Span<byte> d = stackalloc byte[DatagramLength];
                d.Clear();
                BinaryPrimitives.WriteUInt32BigEndian(d, info.SaPairs[^1].OutboundSpi);
                BinaryPrimitives.WriteUInt32BigEndian(d[4..], (uint)seq); // ESP sequence number
                BinaryPrimitives.WriteInt64BigEndian(d[8..], seq);
                var from = local.Address.Equals(System.Net.IPAddress.Any) ? new SimEndpoint(ctx.Address, Node.Port) : new SimEndpoint(local.Address, local.Port);
                ctx.Send(from, new SimEndpoint(remote.Address, remote.Port), d);
                sent = true;
                _sent = true;
            }

            if (offer)
            {
                WasSent.Add(sent);
            }

            if (_sent)
            {
                h.NoteTraffic(Peer, now, sent: true);
                _sent = false;
            }

            if (_received)
            {
                h.NoteTraffic(Peer, now, sent: false);
                _received = false;
            }

            if (_newSource is { } s)
            {
                _newSource = null;
                h.NotePeerAddress(Peer, s.Local, s.From, now);
            }
        });
    }

    private static bool IsCreditLimited(AssociationInfo info, TransportAddress remote) =>
        info.Pairs.Any(p => p.State == LocatorPairState.Active && p.Peer == remote && p.CreditLimited);

    /// <summary>
    /// The route the runtime's data plane would use (DataPlaneService.RefreshRoute): the active pair's local and peer
    /// address; relayed when a pair to that address goes through a relay; none while the only path is the control
    /// relay (RFC 9028 §4.6: not a data plane destination) and ICE has selected nothing yet.
    /// </summary>
    public static bool TryRoute(HipHost host, Hit peer, AssociationInfo info, out TransportAddress local, out TransportAddress remote, out bool relayed)
    {
        local = default;
        remote = default;
        relayed = false;
        if (info.PeerAddress is not { } r)
        {
            return false;
        }

        bool controlRelayOnly = false;
        foreach (var pair in info.Pairs)
        {
            if (pair.Peer == r && (pair.RelayedTo is not null || pair.ThroughRelay || pair.ViaDataRelay))
            {
                relayed = true;
                controlRelayOnly |= !pair.ViaDataRelay;
            }
        }

        if (controlRelayOnly && host.GetIceSession(peer) is { Selected: null, Failed: false })
        {
            return false;
        }

        remote = r;
        local = info.LocalAddress ?? TransportAddress.Udp(System.Net.IPAddress.Any, TransportAddress.DefaultHipPort);
        return true;
    }
}
