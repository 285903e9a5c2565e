using System.Globalization;
using System.Net;
using Hipnat.Core.Ice;
using Hipnat.Core.Transport;
using Hipnat.Nat.Turn;
using Hipnat.Runtime.Configuration;
using Hipnat.Runtime.Control;
using Hipnat.Runtime.Turn;
using Hipnat.Wire.Parameters;
using Microsoft.Extensions.Logging;

namespace Hipnat.Runtime;

/// <summary>
/// Relayed ICE candidates from TURN servers (RFC 8656, RFC 9028 §4.2). For each configured server the driver holds
/// an allocation made from the HIP socket itself (so the server's packets arrive on the HIP port), refreshes it,
/// makes it again after a failure, and deletes it on shutdown. The relayed address is a local candidate of the
/// core (<see cref="Core.Host.HipHost.AddLocalCandidate"/>); whatever the core sends from it is relayed here — as
/// ChannelData once a channel to the peer is bound, as a Send indication while only a permission exists — and
/// whatever the server delivers (Data indications, ChannelData) is handed to the core as arriving on the relayed
/// address, or, when it is ESP, to the data plane. ESP itself mostly bypasses the driver: the data plane frames
/// and unwraps ChannelData on its own threads (<see cref="TurnEspSender"/>, <see cref="TurnEspReceiver"/>).
/// Everything here runs on the driver thread.
/// </summary>
public sealed partial class HipDaemon
{
    private static readonly TimeSpan TurnRetryMin = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan TurnRetryMax = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan TurnPermissionScan = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan TurnReleaseWait = TimeSpan.FromSeconds(1);

    /// <summary>HIP control packets held per peer while its channel or permission is being set up.</summary>
    private const int TurnQueueLimit = 16;

    private readonly List<TurnServerState> _turnServers = [];
    private TurnRelayTable? _turnTable;
    private TimeSpan? _lastPermissionScan;

    /// <summary>The allocations the data plane shares (null until <see cref="ConfigureTurn"/>).</summary>
    public TurnRelayTable? TurnRelays => _turnTable;

    /// <summary>
    /// TURN servers to allocate relayed candidates from (before <see cref="Start"/>, after <see cref="ConfigureIce"/>).
    /// <paramref name="table"/> is shared with the data plane (<see cref="DataPlane.DataPlaneService.Create"/>).
    /// Servers are skipped with a warning when relayed candidates are left out by <c>ice.candidates</c>, no ICE-HIP
    /// mode is offered, or no UDP HIP socket has the server's address family.
    /// </summary>
    public void ConfigureTurn(IReadOnlyList<TurnServerSettings> servers, TurnRelayTable table)
    {
        ArgumentNullException.ThrowIfNull(servers);
        ArgumentNullException.ThrowIfNull(table);
        if (Volatile.Read(ref _started) != 0)
        {
            throw new InvalidOperationException("TURN is configured before the daemon starts");
        }

        _turnServers.Clear();
        _turnTable = table;
        if (servers.Count == 0)
        {
            return;
        }

        if (!_ice.Gathers(CandidateKind.Relayed))
        {
            _logger.LogInformation("TURN servers configured but relayed candidates are left out (ice.candidates); no allocation is made");
            return;
        }

        if (!_natModes.Contains(NatTraversalMode.IceHipUdp))
        {
            _logger.LogWarning("TURN servers configured but ice-hip-udp is not among the NAT traversal modes; relayed candidates are only checked in ICE-HIP-UDP, so no allocation is made");
            return;
        }

        foreach (var server in servers.DistinctBy(s => s.Address))
        {
            var socket = _transports.Where(t => t.Kind == TransportKind.Udp).SelectMany(t => t.LocalAddresses)
                .Where(l => l.Address.AddressFamily == server.Address.Address.AddressFamily).Cast<TransportAddress?>().FirstOrDefault();
            if (socket is { } s)
            {
                _turnServers.Add(new TurnServerState(server, s));
            }
            else
            {
                _logger.LogWarning("TURN server {Server}: no UDP HIP socket of its address family; add a --listen address of that family", server.Address);
            }
        }
    }

    /// <summary>Driver thread, every turn: allocations, timers, channels the data plane asked for, permissions for peers' candidates.</summary>
    private void MaintainTurn()
    {
        if (_turnServers.Count == 0)
        {
            return;
        }

        var now = Now;
        bool scan = _lastPermissionScan is not { } last || now - last >= TurnPermissionScan;
        if (scan)
        {
            _lastPermissionScan = now;
        }

        foreach (var s in _turnServers)
        {
            if (!_stopping && s.Client is not { State: TurnClientState.Allocating or TurnClientState.Allocated or TurnClientState.Deallocating } && now >= s.NextAttempt)
            {
                s.Client = new TurnClient(new TurnClientOptions
                {
                    Server = TurnRelayedRoute.EndPoint(s.Server),
                    Username = s.Settings.Username,
                    Password = s.Settings.Password,
                });
                s.Client.Allocate(now);
                s.Attempts++;
            }

            if (s.Client is not { } client)
            {
                continue;
            }

            if (client.NextTimeout is { } due && due <= now)
            {
                client.HandleTimeout(now);
            }

            if (s.Route is { } route && client.State == TurnClientState.Allocated)
            {
                foreach (var slot in route.Slots)
                {
                    if (slot.Wanted && slot.Channel == 0)
                    {
                        slot.Wanted = false;
                        EnsureTurnChannel(s, slot.Peer, now);
                    }
                }

                if (scan)
                {
                    PermitCandidates(s, now);
                }
            }

            PumpTurn(s, now);
        }
    }

    /// <summary>
    /// Installs permissions for the IP addresses of every remote candidate (and peer address) of our associations,
    /// so a peer's checks to our relayed address get through the server before we ever sent to them (RFC 8656 §9).
    /// </summary>
    private void PermitCandidates(TurnServerState s, TimeSpan now)
    {
        List<IPAddress>? missing = null;
        void Consider(TransportAddress a)
        {
            var ip = a.Address.IsIPv4MappedToIPv6 ? a.Address.MapToIPv4() : a.Address;
            if (a.Kind == TransportKind.Udp && ip.AddressFamily == s.Server.Address.AddressFamily && !s.Permitted.Contains(ip) && !(missing?.Contains(ip) ?? false))
            {
                (missing ??= []).Add(ip);
            }
        }

        foreach (var a in _host.GetAssociations())
        {
            if (_host.GetIceSession(a.PeerHit) is not { } ice)
            {
                continue;
            }

            foreach (var c in ice.CheckList.RemoteCandidates)
            {
                Consider(c.Address);
            }

            if (a.PeerAddress is { } peer)
            {
                Consider(peer);
            }
        }

        if (missing is null)
        {
            return;
        }

        // One request per address: a server refusing one address (403, RFC 8656 §10.2) must not cost the others.
        foreach (var ip in missing)
        {
            s.Permitted.Add(ip);
            s.Client!.CreatePermission(now, ip);
        }

        _logger.LogDebug("TURN {Server}: asking permissions for {Peers}", s.Server, string.Join(", ", missing));
    }

    private void EnsureTurnChannel(TurnServerState s, TransportAddress peer, TimeSpan now)
    {
        peer = TurnRelayedRoute.Normalize(peer);
        if (s.Client is not { State: TurnClientState.Allocated } client || !s.ChannelRequested.Add(peer))
        {
            return;
        }

        // ChannelBind installs the permission too (RFC 8656 §12.1).
        s.Permitted.Add(peer.Address);
        client.BindChannel(TurnRelayedRoute.EndPoint(peer), now);
    }

    /// <summary>Sends what the TURN client queued and handles its events.</summary>
    private void PumpTurn(TurnServerState s, TimeSpan now)
    {
        if (s.Client is not { } client)
        {
            return;
        }

        var transport = TransportFor(TransportKind.Udp);
        while (client.TryPollTransmit(out var t))
        {
            if (transport is null)
            {
                continue;
            }

            var buffer = PacketBuffers.Rent(t.Payload.Length);
            t.Payload.CopyTo(buffer, 0);
            var transmit = new Transmit(s.Socket, s.Server, buffer, t.Payload.Length);
            try
            {
                transport.Send(transmit);
            }
            finally
            {
                transmit.Release();
            }
        }

        while (client.TryPollEvent(out var ev))
        {
            OnTurnEvent(s, ev, now);
        }

        // Events may have queued more (ChannelData of held packets).
        while (client.TryPollTransmit(out var t))
        {
            if (transport is null)
            {
                continue;
            }

            var buffer = PacketBuffers.Rent(t.Payload.Length);
            t.Payload.CopyTo(buffer, 0);
            var transmit = new Transmit(s.Socket, s.Server, buffer, t.Payload.Length);
            try
            {
                transport.Send(transmit);
            }
            finally
            {
                transmit.Release();
            }
        }
    }

    private void OnTurnEvent(TurnServerState s, TurnEvent ev, TimeSpan now)
    {
        switch (ev)
        {
            case TurnAllocated a:
                {
                    var relayed = TurnRelayedRoute.Normalize(TransportAddress.Udp(a.RelayedAddress.Address, (ushort)a.RelayedAddress.Port));
                    s.Relayed = relayed;
                    s.Mapped = TurnRelayedRoute.Normalize(TransportAddress.Udp(a.MappedAddress.Address, (ushort)a.MappedAddress.Port));
                    s.LastError = null;
                    s.Retry = TurnRetryMin;
                    s.AllocatedAt = now;
                    s.Allocations++;
                    s.Route = new TurnRelayedRoute(relayed, s.Socket, s.Server);
                    _turnTable!.Add(s.Route);
                    _host.AddLocalCandidate(relayed, relayed, CandidateKind.Relayed, now); // also offered to associations still looking for a path
                    _logger.LogInformation("relayed candidate {Relayed} from TURN server {Server} (mapped {Mapped}, lifetime {Lifetime:0} s)",
                        relayed, s.Server, s.Mapped, a.Lifetime.TotalSeconds);
                    break;
                }

            case TurnFailed f:
                {
                    string why = f.Reason switch
                    {
                        TurnFailure.Timeout => $"no answer from {s.Server}; check the address and that UDP to it is not filtered",
                        TurnFailure.Unauthenticated => $"{s.Server} refused the credentials of user '{s.Settings.Username}'",
                        TurnFailure.AllocationMismatch => $"{s.Server} still holds an allocation for our address and port (437; a previous run?); it expires within its lifetime",
                        TurnFailure.Expired => "the allocation expired before a refresh succeeded",
                        _ => f.Error is { } e ? $"{f.Reason} ({e})" : f.Reason.ToString(),
                    };
                    LoseTurnAllocation(s, why, now);
                    break;
                }

            case TurnRefreshed:
                _logger.LogDebug("TURN {Server}: allocation {Relayed} refreshed", s.Server, s.Relayed);
                break;

            case TurnDeallocated:
                _logger.LogInformation("TURN {Server}: allocation {Relayed} deleted", s.Server, s.Relayed);
                LoseTurnAllocation(s, null, now);
                break;

            case TurnPermissionFailed pf:
                // Not asked again (a candidate the server refuses to relay to stays refused); a packet to it binds a channel.
                _logger.LogDebug("TURN {Server}: permission for {Peers} refused ({Error})", s.Server, string.Join(", ", pf.Peers), pf.Error?.ToString() ?? "no answer");
                break;

            case TurnChannelBound b:
                {
                    var peer = TurnRelayedRoute.Normalize(TransportAddress.Udp(b.Peer.Address, (ushort)b.Peer.Port));
                    if (s.Route is { } route)
                    {
                        _turnTable!.SetChannel(route.SlotFor(peer), b.Channel);
                    }

                    _logger.LogDebug("TURN {Server}: channel 0x{Channel:x4} bound to {Peer}", s.Server, b.Channel, peer);
                    FlushTurnQueue(s, peer);
                    break;
                }

            case TurnChannelBindFailed cf:
                {
                    var peer = TurnRelayedRoute.Normalize(TransportAddress.Udp(cf.Peer.Address, (ushort)cf.Peer.Port));
                    s.ChannelRequested.Remove(peer);
                    _logger.LogWarning("TURN {Server}: channel to {Peer} refused ({Error})", s.Server, peer, cf.Error?.ToString() ?? "no answer");
                    FlushTurnQueue(s, peer);
                    break;
                }

            case TurnDataReceived d:
                DeliverFromTurn(s, TurnRelayedRoute.Normalize(TransportAddress.Udp(d.Peer.Address, (ushort)d.Peer.Port)), d.Payload, now);
                break;

            case TurnIcmpReceived icmp:
                _logger.LogDebug("TURN {Server}: ICMP from {Peer}", s.Server, icmp.Peer);
                break;
        }
    }

    /// <summary>The allocation is gone (failed, expired, deleted): withdraw the candidate, stop its routes, retry later.</summary>
    private void LoseTurnAllocation(TurnServerState s, string? why, TimeSpan now)
    {
        if (s.Route is { } route)
        {
            _turnTable!.Remove(route);
            _host.RemoveLocalCandidate(route.Relayed);
            s.Route = null;
        }

        s.Permitted.Clear();
        s.ChannelRequested.Clear();
        s.Queued.Clear();
        if (why is null)
        {
            return;
        }

        s.LastError = why;
        s.Failures++;
        if (s.Retry == TurnRetryMin)
        {
            _logger.LogWarning("TURN server {Server}: {Error}; allocating again in {Retry:0} s", s.Server, why, s.Retry.TotalSeconds);
        }

        s.NextAttempt = now + s.Retry;
        s.Retry = s.Retry * 2 > TurnRetryMax ? TurnRetryMax : s.Retry * 2;
    }

    /// <summary>
    /// Our addresses changed (draft-melen-hip-nat-mm §5.1 step 2): a TURN allocation is bound to the 5-tuple it was
    /// made from (RFC 8656 §2.2), so the old one is useless from the new address and left to expire on the server;
    /// a new one is made at once, and its relayed address is offered to the peers as a new candidate.
    /// </summary>
    private void ReallocateTurnAfterMove(TimeSpan now)
    {
        foreach (var s in _turnServers)
        {
            if (s.Client is null)
            {
                continue;
            }

            if (s.Relayed is { } old)
            {
                _logger.LogInformation("TURN server {Server}: our addresses changed; allocating again (the relayed address {Relayed} goes)", s.Server, old);
            }

            LoseTurnAllocation(s, null, now);
            s.Client = null;
            s.Relayed = null;
            s.Mapped = null;
            s.AllocatedAt = null;
            s.Retry = TurnRetryMin;
            s.NextAttempt = now;
        }
    }

    /// <summary>What a peer sent to our relayed address: ESP to the data plane, everything else to the core.</summary>
    private void DeliverFromTurn(TurnServerState s, TransportAddress peer, byte[] payload, TimeSpan now)
    {
        if (s.Relayed is not { } relayed)
        {
            return;
        }

        if (TurnFraming.IsEsp(payload) && _dataPlane is { } dataPlane)
        {
            _turnTable!.CountEspIn(payload.Length);
            if (dataPlane.Engine.TryReceive(payload))
            {
                return;
            }
        }
        else
        {
            _turnTable!.CountControlIn(payload.Length);
        }

        _host.HandleDatagram(relayed, peer, payload, now);
    }

    /// <summary>A datagram from a TURN server we hold an allocation at: taken before the core (answers, Data indications, ChannelData).</summary>
    private bool TryTakeTurn(in ReceivedDatagram d)
    {
        if (_turnServers.Count == 0 || d.Remote.Kind != TransportKind.Udp)
        {
            return false;
        }

        var from = TurnRelayedRoute.Normalize(d.Remote);
        foreach (var s in _turnServers)
        {
            if (s.Server != from)
            {
                continue;
            }

            var now = Now;
            if (s.Client is { } client && !client.HandleDatagram(TurnRelayedRoute.EndPoint(from), d.Payload, now))
            {
                s.Ignored++;
            }

            PumpTurn(s, now);
            return true;
        }

        return false;
    }

    /// <summary>
    /// A transmit of the core from one of our relayed addresses: relayed through its TURN server (ChannelData, else a
    /// Send indication while only the permission exists, else held until the channel is bound). False when
    /// <paramref name="t"/> is not from a relayed address.
    /// </summary>
    private bool TryRelayViaTurn(in Transmit t)
    {
        if (_turnServers.Count == 0)
        {
            return false;
        }

        var local = TurnRelayedRoute.Normalize(t.Local);
        TurnServerState? s = null;
        foreach (var x in _turnServers)
        {
            if (x.Relayed == local)
            {
                s = x;
                break;
            }
        }

        if (s is null)
        {
            return false;
        }

        var now = Now;
        var peer = TurnRelayedRoute.Normalize(t.Remote);
        if (s.Client is not { State: TurnClientState.Allocated } client)
        {
            return true; // the allocation is going away; the packet is lost like on a dead path
        }

        var endPoint = TurnRelayedRoute.EndPoint(peer);
        if (client.GetChannel(endPoint) is not null ? client.SendChannelData(endPoint, t.Payload)
            : client.HasPermission(peer.Address) && client.SendIndication(endPoint, t.Payload))
        {
            _turnTable!.CountControlOut(t.Length);
        }
        else
        {
            if (!s.Queued.TryGetValue(peer, out var queue))
            {
                queue = new Queue<byte[]>();
                s.Queued[peer] = queue;
            }

            if (queue.Count < TurnQueueLimit)
            {
                queue.Enqueue(t.Payload.ToArray());
            }
        }

        EnsureTurnChannel(s, peer, now);
        PumpTurn(s, now);
        return true;
    }

    private void FlushTurnQueue(TurnServerState s, TransportAddress peer)
    {
        if (!s.Queued.Remove(peer, out var queue) || s.Client is not { State: TurnClientState.Allocated } client)
        {
            return;
        }

        var endPoint = TurnRelayedRoute.EndPoint(peer);
        while (queue.TryDequeue(out var payload))
        {
            if (client.Send(endPoint, payload))
            {
                _turnTable!.CountControlOut(payload.Length);
            }
        }
    }

    /// <summary>Driver thread, at shutdown: deletes every allocation (Refresh with LIFETIME 0) and waits briefly for the answers.</summary>
    private void ReleaseTurn()
    {
        if (_turnServers.Count == 0)
        {
            return;
        }

        try
        {
            var now = Now;
            foreach (var s in _turnServers)
            {
                if (s.Client is { State: TurnClientState.Allocated } client)
                {
                    client.Deallocate(now);
                    PumpTurn(s, now);
                }
            }

            var deadline = Now + TurnReleaseWait;
            while (Now < deadline && _turnServers.Any(s => s.Client?.State == TurnClientState.Deallocating))
            {
                _inbox.ResetSignal();
                DrainDatagrams();
                foreach (var s in _turnServers)
                {
                    if (s.Client is { } c && c.NextTimeout is { } due && due <= Now)
                    {
                        c.HandleTimeout(Now);
                    }

                    PumpTurn(s, Now);
                }

                _inbox.Wait(TimeSpan.FromMilliseconds(20));
            }
        }
        catch (Exception e)
        {
            _logger.LogWarning(e, "deleting TURN allocations at shutdown failed");
        }
    }

    /// <summary>When a TURN client next needs the driver (a retransmission, a refresh or an allocation attempt).</summary>
    private TimeSpan? TurnDue()
    {
        TimeSpan? due = null;
        foreach (var s in _turnServers)
        {
            TimeSpan? next = s.Client is { State: TurnClientState.Allocating or TurnClientState.Allocated or TurnClientState.Deallocating } c
                ? c.NextTimeout
                : s.NextAttempt;
            if (next is { } n && (due is null || n < due))
            {
                due = n;
            }
        }

        return due;
    }

    /// <summary>The TURN server whose relayed address <paramref name="local"/> is, as "ADDR:PORT"; null otherwise.</summary>
    private string? TurnServerOf(TransportAddress local) =>
        _turnServers.Count == 0 ? null : _turnServers.FirstOrDefault(s => s.Route?.Relayed == TurnRelayedRoute.Normalize(local))?.Server.ToString();

    private string? TurnSourceOf(TransportAddress candidate) =>
        _turnServers.FirstOrDefault(s => s.Route?.Relayed == candidate) is { } s ? "TURN " + s.Server : null;

    private List<TurnServerReport> BuildTurnReports(TimeSpan now) => _turnServers.Select(s => new TurnServerReport
    {
        Server = s.Server.ToString(),
        Username = s.Settings.Username,
        Local = s.Socket.ToString(),
        State = s.Client?.State switch
        {
            TurnClientState.Allocated => "allocated",
            TurnClientState.Allocating => "allocating",
            TurnClientState.Deallocating => "deallocating",
            TurnClientState.Failed => "failed",
            TurnClientState.Closed => "closed",
            _ => "idle",
        },
        Relayed = s.Route?.Relayed.ToString(),
        Mapped = s.Route is null ? null : s.Mapped?.ToString(),
        LifetimeSeconds = s.Client is { State: TurnClientState.Allocated } c ? Math.Round(c.Lifetime.TotalSeconds, 3) : null,
        ExpiresInSeconds = s.Client?.ExpiresAt is { } exp ? Math.Round(Math.Max(0, (exp - now).TotalSeconds), 3) : null,
        AllocatedSecondsAgo = s.Route is not null && s.AllocatedAt is { } at ? Math.Round((now - at).TotalSeconds, 3) : null,
        Permissions = s.Route is null ? [] : s.Permitted.Where(ip => s.Client!.HasPermission(ip)).Select(ip => ip.ToString()).Order(StringComparer.Ordinal).ToList(),
        Channels = s.Route is null ? [] : s.Route.Slots.Where(x => x.Channel != 0)
            .Select(x => string.Create(CultureInfo.InvariantCulture, $"0x{x.Channel:x4} {x.Peer}")).ToList(),
        Allocations = s.Allocations,
        Failures = s.Failures,
        LastError = s.LastError,
        NextAttemptInSeconds = s.Client is { State: TurnClientState.Allocating or TurnClientState.Allocated or TurnClientState.Deallocating } ? null : Math.Round(Math.Max(0, (s.NextAttempt - now).TotalSeconds), 3),
    }).ToList();

    private sealed class TurnServerState(TurnServerSettings settings, TransportAddress socket)
    {
        public TurnServerSettings Settings { get; } = settings;

        public TransportAddress Server { get; } = TurnRelayedRoute.Normalize(settings.Address);

        /// <summary>The HIP socket (listen address) the allocation is made from.</summary>
        public TransportAddress Socket { get; } = socket;

        public TurnClient? Client { get; set; }

        public TurnRelayedRoute? Route { get; set; }

        public TransportAddress? Relayed { get; set; }

        public TransportAddress? Mapped { get; set; }

        public TimeSpan? AllocatedAt { get; set; }

        public TimeSpan NextAttempt { get; set; }

        public TimeSpan Retry { get; set; } = TurnRetryMin;

        public int Attempts { get; set; }

        public int Failures { get; set; }

        public int Allocations { get; set; }

        public long Ignored { get; set; }

        public string? LastError { get; set; }

        /// <summary>Peer IP addresses we asked permissions for (the client refreshes them).</summary>
        public HashSet<IPAddress> Permitted { get; } = [];

        public HashSet<TransportAddress> ChannelRequested { get; } = [];

        public Dictionary<TransportAddress, Queue<byte[]>> Queued { get; } = [];
    }
}
