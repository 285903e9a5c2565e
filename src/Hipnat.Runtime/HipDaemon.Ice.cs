using System.Globalization;
using System.Net;
using Hipnat.Core.Association;
using Hipnat.Core.Ice;
using Hipnat.Core.Transport;
using Hipnat.Nat.Stun;
using Hipnat.Runtime.Configuration;
using Hipnat.Runtime.Control;
using Hipnat.Wire;
using Hipnat.Wire.Parameters;
using Microsoft.Extensions.Logging;

namespace Hipnat.Runtime;

/// <summary>
/// The daemon's side of ICE (RFC 9028 §4.2): server-reflexive candidates from the configured STUN servers — a
/// Binding request from the HIP socket itself, so the reflexive address is the NAT's mapping of the HIP port —
/// fed to the core with <see cref="Core.Host.HipHost.AddLocalCandidate"/>, and the ICE part of "status". STUN
/// answers to our own requests are taken off the HIP port before the core sees them (the core only claims the
/// STUN of its ICE-STUN-UDP checks). Everything here runs on the driver thread.
/// </summary>
public sealed partial class HipDaemon
{
    /// <summary>A reflexive address is asked for again this often (NAT mappings change on reboot or address change).</summary>
    private static readonly TimeSpan StunRefresh = TimeSpan.FromMinutes(5);

    private static readonly TimeSpan StunRetryMin = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan StunRetryMax = TimeSpan.FromSeconds(60);

    private readonly StunBindingClient _stunClient = new(new StunBindingClientOptions { Software = "hipnat" });
    private readonly List<StunServerState> _stunServers = [];
    private IceSettings _ice = new();
    private IReadOnlyList<NatTraversalMode> _natModes = [];
    private IReadOnlyList<TransportAddress> _localLocators = [];
    private IReadOnlyDictionary<IPAddress, string> _interfaceOf = new Dictionary<IPAddress, string>();

    /// <summary>
    /// ICE policy and the STUN servers to ask for server-reflexive candidates (before <see cref="Start"/>).
    /// <paramref name="locals"/> are the core's local locators, <paramref name="interfaceOf"/> names the interface of
    /// each address (shown as the source of host candidates).
    /// </summary>
    public void ConfigureIce(
        IceSettings ice,
        IReadOnlyList<NatTraversalMode> modes,
        IReadOnlyList<TransportAddress> stunServers,
        IReadOnlyList<TransportAddress> locals,
        IReadOnlyDictionary<IPAddress, string>? interfaceOf = null)
    {
        ArgumentNullException.ThrowIfNull(ice);
        ArgumentNullException.ThrowIfNull(modes);
        ArgumentNullException.ThrowIfNull(stunServers);
        ArgumentNullException.ThrowIfNull(locals);
        if (Volatile.Read(ref _started) != 0)
        {
            throw new InvalidOperationException("ICE is configured before the daemon starts");
        }

        _ice = ice;
        _natModes = modes;
        _localLocators = locals;
        _interfaceOf = interfaceOf ?? new Dictionary<IPAddress, string>();
        _stunServers.Clear();
        if (!ice.Gathers(CandidateKind.ServerReflexive))
        {
            return;
        }

        foreach (var server in stunServers.Distinct())
        {
            var socket = _transports.Where(t => t.Kind == TransportKind.Udp).SelectMany(t => t.LocalAddresses)
                .Where(l => l.Address.AddressFamily == server.Address.AddressFamily).Cast<TransportAddress?>().FirstOrDefault();
            if (socket is { } s)
            {
                _stunServers.Add(new StunServerState(server, s));
            }
            else
            {
                _logger.LogWarning("STUN server {Server}: no UDP HIP socket of its address family; add a --listen address of that family", server);
            }
        }
    }

    /// <summary>Driver thread, every turn: starts due Binding requests, runs the client's timers, sends, collects results.</summary>
    private void MaintainStun()
    {
        if (_stunServers.Count == 0)
        {
            return;
        }

        var now = Now;
        foreach (var s in _stunServers)
        {
            if (s.Pending is null && now >= s.NextQuery)
            {
                s.Pending = _stunClient.Start(new IPEndPoint(s.Server.Address, s.Server.Port), now);
                s.Queries++;
            }
        }

        if (_stunClient.NextTimeout is { } due && due <= now)
        {
            _stunClient.HandleTimeout(now);
        }

        SendStunTransmits();
        while (_stunClient.TryPollResult(out var result))
        {
            OnStunResult(result, now);
        }
    }

    private void SendStunTransmits()
    {
        while (_stunClient.TryPollTransmit(out var t))
        {
            var state = _stunServers.FirstOrDefault(s => s.Server.Address.Equals(t.Destination.Address) && s.Server.Port == t.Destination.Port);
            var transport = TransportFor(TransportKind.Udp);
            if (state is null || transport is null)
            {
                continue;
            }

            var buffer = PacketBuffers.Rent(t.Payload.Length);
            t.Payload.CopyTo(buffer, 0);
            var transmit = new Transmit(state.Socket, state.Server, buffer, t.Payload.Length);
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

    /// <summary>A STUN answer to one of our Binding requests, taken before the core sees the datagram.</summary>
    private bool TryTakeStunAnswer(in ReceivedDatagram d)
    {
        if (_stunClient.PendingCount == 0 || d.Remote.Kind != TransportKind.Udp || HipUdpFraming.Classify(d.Payload) != UdpPayloadKind.Stun)
        {
            return false;
        }

        if (!_stunClient.HandleDatagram(new IPEndPoint(d.Remote.Address, d.Remote.Port), d.Payload, Now))
        {
            return false;
        }

        foreach (var s in _stunServers)
        {
            if (s.Server == d.Remote)
            {
                s.ReceivedOn = d.Local;
            }
        }

        while (_stunClient.TryPollResult(out var result))
        {
            OnStunResult(result, Now);
        }

        return true;
    }

    private void OnStunResult(StunBindingResult result, TimeSpan now)
    {
        var s = _stunServers.FirstOrDefault(x => x.Pending == result.TransactionId);
        if (s is null)
        {
            return;
        }

        s.Pending = null;
        if (result.Succeeded && result.MappedAddress is { } mapped)
        {
            var reflexive = TransportAddress.Udp(mapped.Address.IsIPv4MappedToIPv6 ? mapped.Address.MapToIPv4() : mapped.Address, (ushort)mapped.Port);
            var baseAddress = BaseFor(s);
            bool changed = s.Reflexive != reflexive;
            s.Reflexive = reflexive;
            s.Base = baseAddress;
            s.Rtt = result.Transmissions == 1 ? result.Elapsed : null;
            s.LastError = null;
            s.Retry = StunRetryMin;
            s.NextQuery = now + StunRefresh;
            if (changed)
            {
                _host.AddLocalCandidate(reflexive, baseAddress, CandidateKind.ServerReflexive, now);
                _logger.LogInformation("server-reflexive candidate {Reflexive} (base {Base}) from STUN server {Server}", reflexive, baseAddress, s.Server);
            }

            return;
        }

        s.LastError = result.Outcome switch
        {
            StunBindingOutcome.Timeout => $"no answer from {s.Server} after {result.Transmissions} requests; check the address and that UDP to it is not filtered",
            StunBindingOutcome.ErrorResponse => $"{s.Server} answered with error {result.Error}",
            _ => $"{s.Server}: {result.Outcome}",
        };
        if (s.Retry == StunRetryMin)
        {
            _logger.LogWarning("STUN server {Server}: {Error}; retrying", s.Server, s.LastError);
        }

        s.NextQuery = now + s.Retry;
        s.Retry = s.Retry * 2 > StunRetryMax ? StunRetryMax : s.Retry * 2;
    }

    /// <summary>The base of a server-reflexive candidate: the address our request left from (the concrete local
    /// address the answer arrived on), else the first host locator of the family.</summary>
    private TransportAddress BaseFor(StunServerState s)
    {
        if (s.ReceivedOn is { } on && !IsWildcard(on.Address))
        {
            return on;
        }

        foreach (var l in _localLocators)
        {
            if (l.Kind == TransportKind.Udp && l.Address.AddressFamily == s.Server.Address.AddressFamily && !IsWildcard(l.Address))
            {
                return l;
            }
        }

        return s.Socket;
    }

    private static bool IsWildcard(IPAddress a) => a.Equals(IPAddress.Any) || a.Equals(IPAddress.IPv6Any);

    /// <summary>When the STUN client next needs the driver (a retransmission or a due query).</summary>
    private TimeSpan? StunDue()
    {
        TimeSpan? due = _stunClient.NextTimeout;
        foreach (var s in _stunServers)
        {
            if (s.Pending is null && (due is null || s.NextQuery < due))
            {
                due = s.NextQuery;
            }
        }

        return due;
    }

    private List<IceCandidateReport> BuildCandidateReports()
    {
        var list = new List<IceCandidateReport>();
        if (!_natModes.Any(m => m is NatTraversalMode.IceHipUdp or NatTraversalMode.IceStunUdp))
        {
            return list;
        }

        foreach (var c in _host.GatherCandidates())
        {
            if (!_ice.Gathers(c.Type))
            {
                continue;
            }

            var report = Candidate(c);
            report.Source = c.Type switch
            {
                CandidateKind.Host => _interfaceOf.TryGetValue(c.Address.Address, out var name) ? "interface " + name : "listen address",
                CandidateKind.ServerReflexive => _stunServers.FirstOrDefault(s => s.Reflexive == c.Address) is { } s ? "STUN " + s.Server : "relay REG_FROM",
                CandidateKind.Relayed => TurnSourceOf(c.Address) ?? "relay RELAYED_ADDRESS",
                _ => null,
            };
            list.Add(report);
        }

        return list;
    }

    private List<StunServerReport> BuildStunReports(TimeSpan now) => _stunServers.Select(s => new StunServerReport
    {
        Server = s.Server.ToString(),
        Local = s.Socket.ToString(),
        State = s.Reflexive is not null && s.LastError is null ? "ok" : s.LastError is not null ? "failed" : "pending",
        Reflexive = s.Reflexive?.ToString(),
        RttMs = s.Rtt is { } rtt ? Math.Round(rtt.TotalMilliseconds, 3) : null,
        LastError = s.LastError,
        NextQueryInSeconds = s.Pending is null ? Math.Round(Math.Max(0, (s.NextQuery - now).TotalSeconds), 3) : null,
    }).ToList();

    private static IceCandidateReport Candidate(IceCandidate c) => new()
    {
        Type = IcePriority.TypeName(c.Type),
        Address = c.Address.ToString(),
        Base = c.Base == c.Address ? null : c.Base.ToString(),
        Priority = c.Priority,
    };

    private static string PairText(CandidatePair p) =>
        $"{IcePriority.TypeName(p.Local.Type)} {p.Local.Address} -> {IcePriority.TypeName(p.Remote.Type)} {p.Remote.Address}";

    /// <summary>The ICE part of an association's status; null when it does not run ICE.</summary>
    private IceReport? BuildIceReport(Hit peer, TimeSpan now)
    {
        if (_host.GetIceSession(peer) is not { } ice)
        {
            return null;
        }

        var list = ice.CheckList;
        string state = ice.Failed ? "failed"
            : ice.Concluded ? "completed"
            : ice.Selected is not null ? "selected"
            : "checking";
        return new IceReport
        {
            Mode = IceSettings.ModeName(ice.Mode),
            Role = list.Controlling ? "controlling" : "controlled",
            State = state,
            Selected = ice.Selected is { } sel ? PairText(sel) : null,
            SelectedReason = ice.Selected is null || ice.SelectedReason.Length == 0 ? null : ice.SelectedReason,
            SelectedPath = ice.Selected is { } sp ? (sp.IsRelayed ? "relay" : "direct") : null,
            SelectedSecondsAgo = ice.SelectedAt is { } at ? Math.Round((now - at).TotalSeconds, 3) : null,
            StartedSecondsAgo = Math.Round((now - ice.StartedAt).TotalSeconds, 3),
            Concluded = ice.Concluded,
            Failed = ice.Failed,
            PacingMs = list.Ta.TotalMilliseconds,
            ChecksSent = list.ChecksSent,
            ChecksReceived = ice.ChecksReceived,
            ChecksRateLimited = ice.ChecksRateLimited,
            PairsPruned = list.PairsPruned,
            RemoteCandidatesDropped = list.RemoteCandidatesDropped,
            LocalCandidates = list.LocalCandidates.Select(Candidate).ToList(),
            RemoteCandidates = list.RemoteCandidates.Select(Candidate).ToList(),
            Pairs = list.Pairs.Select(p => new IcePairReport
            {
                Local = p.Local.Address.ToString(),
                LocalType = IcePriority.TypeName(p.Local.Type),
                Remote = p.Remote.Address.ToString(),
                RemoteType = IcePriority.TypeName(p.Remote.Type),
                State = p.State.ToString(),
                Nominated = p.Nominated,
                Selected = ReferenceEquals(p, ice.Selected),
                Relayed = p.IsRelayed,
                RttMs = p.State == CandidatePairState.Succeeded ? Math.Round(p.Rtt.TotalMilliseconds, 3) : null,
                ChecksSent = p.ChecksSent,
                Priority = p.Priority,
                Mapped = p.Mapped?.ToString(),
            }).ToList(),
        };
    }

    private sealed class StunServerState(TransportAddress server, TransportAddress socket)
    {
        public TransportAddress Server { get; } = server;

        /// <summary>The HIP socket (listen address) the requests leave from.</summary>
        public TransportAddress Socket { get; } = socket;

        public StunTransactionId? Pending { get; set; }

        public TimeSpan NextQuery { get; set; }

        public TimeSpan Retry { get; set; } = StunRetryMin;

        public int Queries { get; set; }

        public TransportAddress? ReceivedOn { get; set; }

        public TransportAddress? Reflexive { get; set; }

        public TransportAddress? Base { get; set; }

        public TimeSpan? Rtt { get; set; }

        public string? LastError { get; set; }
    }
}
