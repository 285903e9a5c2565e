using System.Collections.Concurrent;
using System.Globalization;
using Hipnat.Runtime.Control;
using Hipnat.Runtime.Names;
using Hipnat.Wire;
using Microsoft.Extensions.Logging;

namespace Hipnat.Runtime;

/// <summary>
/// Peers named by host name: <c>connect</c> and <c>resolve</c> requests that carry a name, and config "peers" keyed
/// by name. The <see cref="NameResolver"/> runs on thread-pool threads (DNS queries never block the driver); only
/// its result — a HIT and locators — is handed to the core on the driver thread, as <c>--peer HIT=ADDR:PORT</c> would.
/// The local DNS responder asks here too (<see cref="IPeerNames"/>).
/// </summary>
public sealed partial class HipDaemon : IPeerNames
{
    /// <summary>How long the DNS responder's answer for a names-file entry may be cached (the file has no TTLs).</summary>
    public static readonly TimeSpan NamesFileAnswerTtl = TimeSpan.FromSeconds(60);

    /// <summary>A named peer whose resolution failed is tried again after this long, doubling up to <see cref="NameRetryMax"/>.</summary>
    private static readonly TimeSpan NameRetryMin = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan NameRetryMax = TimeSpan.FromSeconds(60);

    /// <summary>A named peer is looked up again at least this often (names-file entries, very long TTLs).</summary>
    private static readonly TimeSpan NameRefreshMax = TimeSpan.FromHours(1);

    /// <summary>... and at most this often, however short the TTL.</summary>
    private static readonly TimeSpan NameRefreshMin = TimeSpan.FromSeconds(30);

    private readonly CancellationTokenSource _namesStop = new();
    private readonly List<string> _peerNames = [];

    /// <summary>The refresh loop of each named peer, to stop one a reload takes out.</summary>
    private readonly Dictionary<string, CancellationTokenSource> _nameLoops = new(StringComparer.Ordinal);
    private NameResolver? _names;

    /// <summary>Names whose resolution was logged, with the HIT they had: a name looked up again is logged only when it changed.</summary>
    private readonly ConcurrentDictionary<string, Hit> _namesLogged = new(StringComparer.Ordinal);

    private readonly LogThrottle _hipQueryFailures = new(TimeSpan.FromSeconds(60));

    /// <summary>Resolves peer names for this daemon (before <see cref="Start"/>).</summary>
    public void AttachNameResolver(NameResolver resolver)
    {
        ArgumentNullException.ThrowIfNull(resolver);
        if (Volatile.Read(ref _started) != 0)
        {
            throw new InvalidOperationException("the name resolver is attached before the daemon starts");
        }

        _names = resolver;
    }

    /// <summary>A peer named by host name (config "peers", --peer NAME): resolved once the daemon runs, and kept fresh.</summary>
    public void AddPeerName(string name)
    {
        if (Volatile.Read(ref _started) != 0)
        {
            throw new InvalidOperationException("named peers are added before the daemon starts");
        }

        _peerNames.Add(name);
    }

    private void StartNamedPeers()
    {
        if (_names is null)
        {
            return;
        }

        foreach (var name in _peerNames)
        {
            StartNamedPeer(name);
        }
    }

    /// <summary>Resolves <paramref name="name"/> and keeps it fresh until the daemon stops or a reload takes it out.</summary>
    private void StartNamedPeer(string name)
    {
        if (_names is null)
        {
            return;
        }

        var stop = CancellationTokenSource.CreateLinkedTokenSource(_namesStop.Token);
        lock (_nameLoops)
        {
            if (_nameLoops.Remove(name, out var old))
            {
                old.Cancel();
            }

            _nameLoops[name] = stop;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await KeepNamedPeerAsync(name, stop.Token);
            }
            finally
            {
                lock (_nameLoops)
                {
                    if (_nameLoops.TryGetValue(name, out var current) && ReferenceEquals(current, stop))
                    {
                        _nameLoops.Remove(name);
                    }
                }

                stop.Dispose();
            }
        });
    }

    /// <summary>Stops keeping <paramref name="name"/> fresh (a reload took it out of the configuration).</summary>
    private void StopNamedPeer(string name)
    {
        lock (_nameLoops)
        {
            if (_nameLoops.Remove(name, out var stop))
            {
                stop.Cancel(); // the loop's task disposes it when it ends
            }
        }
    }

    private void StopNamedPeers()
    {
        try
        {
            _namesStop.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>Resolves <paramref name="name"/> and hands its HIT and locators to the core; off the driver thread.</summary>
    private async Task<ResolvedPeer> ResolveAndAddAsync(string name, CancellationToken cancellationToken)
    {
        if (_names is null)
        {
            throw new NameResolutionException(NameResolutionFailure.NotFound, $"cannot resolve {name}: this daemon has no name resolver; give the peer's HIT");
        }

        var peer = await _names.ResolveAsync(name, cancellationToken);
        if (peer.Hit == _host.LocalHit)
        {
            throw new NameResolutionException(NameResolutionFailure.BadRecord, $"{name} resolves to {peer.Hit}, this daemon's own HIT ({peer.Source})");
        }

        await AddResolvedAsync(peer, cancellationToken);
        return peer;
    }

    /// <summary>
    /// Hands a resolved peer's locators to the core (driver thread) and gives it its LSI; returns the LSI (0: none)
    /// and whether any locator is known for it now.
    /// </summary>
    private async Task<(uint Lsi, bool Reachable)> AddResolvedAsync(ResolvedPeer peer, CancellationToken cancellationToken)
    {
        var result = await InvokeAsync(_ =>
        {
            foreach (var l in peer.Locators)
            {
                AddPeerOnDriver(peer.Hit, l);
            }

            uint lsi = _dataPlane?.Engine.EnsurePeer(peer.Hit) ?? 0;
            bool reachable = _host.GetPeerLocators(peer.Hit).Count > 0 || _host.GetState(peer.Hit) != Core.Association.AssociationState.Unassociated;
            return (lsi, reachable);
        }).WaitAsync(cancellationToken);
        bool changed = !_namesLogged.TryGetValue(peer.Name, out var logged) || logged != peer.Hit;
        _namesLogged[peer.Name] = peer.Hit;
        _logger.Log(changed ? LogLevel.Information : LogLevel.Debug, "{Name} is {Hit} via {Locators} ({Source}{Servers})", peer.Name, peer.Hit,
            peer.Locators.Count == 0 ? "no locator" : string.Join(", ", peer.Locators), peer.Source,
            peer.RendezvousServers.Count > 0 ? "; rendezvous servers " + string.Join(", ", peer.RendezvousServers) : string.Empty);
        return result;
    }

    /// <summary>
    /// For the local DNS responder: resolves <paramref name="name"/> as <c>connect NAME</c> would (names file, then the
    /// HIP record, whose HIT must be ORCHID(HI), RFC 8005 §4.1) and registers the peer — locators or relays, LSI —
    /// before answering, so the first packet an application sends to the HIT or LSI starts a base exchange to them.
    /// </summary>
    public async Task<PeerNameAnswer> LookupAsync(string name, CancellationToken cancellationToken)
    {
        if (_names is null)
        {
            return PeerNameAnswer.NotPeer(TimeSpan.Zero, "this daemon has no name resolver");
        }

        ResolvedPeer peer;
        try
        {
            peer = await _names.ResolveAsync(name, cancellationToken);
        }
        catch (NameResolutionException e)
        {
            return e.Failure switch
            {
                // No HIP record, or no such name: an ordinary name, for the upstream servers to answer.
                NameResolutionFailure.NotFound or NameResolutionFailure.NoHipRecord or NameResolutionFailure.InvalidName =>
                    PeerNameAnswer.NotPeer(e.NegativeTtl ?? DnsQueryHandler.DefaultNegativeTtl, e.Message),
                // A broken names file must not take every other name down with it: forward, and look again next time.
                NameResolutionFailure.NamesFile => PeerNameAnswer.NotPeer(TimeSpan.Zero, e.Message),
                // The servers do not answer HIP queries (some drop unknown types): the name is treated as an ordinary
                // one — no weaker than DNS itself, where whoever can block the HIP answer can also forge its absence.
                NameResolutionFailure.DnsFailure when e.HipQueryFailed => HipQueryFailed(name, e),
                // A record whose HIT is not its key's, a malformed record, no locator, a DNS failure: never an address.
                _ => PeerNameAnswer.Refused(e.Message),
            };
        }

        if (peer.Hit == _host.LocalHit)
        {
            // This host's own name: its real addresses, from upstream.
            return PeerNameAnswer.NotPeer(DnsQueryHandler.DefaultNegativeTtl, $"{name} is this host ({peer.Hit})");
        }

        var (lsi, reachable) = await AddResolvedAsync(peer, cancellationToken);
        if (!reachable)
        {
            return PeerNameAnswer.Refused(
                $"{name} is {peer.Hit} ({peer.Source}) but no locator is known for it; give its locators or relay in the names file, or `hipnat peers add {peer.Hit} ADDR:PORT`");
        }

        var ttl = peer.Expires is { } expires ? expires - Now : NamesFileAnswerTtl;
        return PeerNameAnswer.Peer(peer.Hit, lsi == 0 ? null : Hipnat.DataPlane.Beet.BeetPacket.FromLsi(lsi), ttl < TimeSpan.Zero ? TimeSpan.Zero : ttl, peer.Source);
    }

    private PeerNameAnswer HipQueryFailed(string name, NameResolutionException e)
    {
        if (_hipQueryFailures.ShouldLog("hip", Now, out long suppressed))
        {
            _logger.LogWarning("DNS responder: no answer to the HIP query for {Name} ({Reason}); its A/AAAA queries are forwarded as for an ordinary name for {Seconds} s{Suppressed}",
                name, e.Message, DnsQueryHandler.DefaultNegativeTtl.TotalSeconds, suppressed > 0 ? $" ({suppressed} more such names since the last line)" : string.Empty);
        }

        return PeerNameAnswer.NotPeer(DnsQueryHandler.DefaultNegativeTtl, e.Message);
    }

    private async Task<ControlResponse> ConnectByNameAsync(ControlAction.ConnectName connect, CancellationToken cancellationToken)
    {
        ResolvedPeer peer;
        try
        {
            peer = await ResolveAndAddAsync(connect.Name, cancellationToken);
        }
        catch (NameResolutionException e)
        {
            _logger.LogWarning("cannot connect to {Name}: {Reason}", connect.Name, e.Message);
            return ControlResponse.Failure(e.Message);
        }

        var reply = await InvokeAsync(_ => BeginConnect(peer.Hit, connect.Timeout)).WaitAsync(cancellationToken);
        var response = await reply.WaitAsync(cancellationToken);
        if (response.Connect is { } report)
        {
            report.Name = peer.Name;
            report.Resolve = Report(peer);
        }
        else if (!response.Ok)
        {
            response.Error = $"{peer.Name} ({peer.Source}): {response.Error}";
        }

        return response;
    }

    private async Task<ControlResponse> ResolveByNameAsync(ControlAction.Resolve resolve, CancellationToken cancellationToken)
    {
        try
        {
            var peer = await ResolveAndAddAsync(resolve.Name, cancellationToken);
            return new ControlResponse { Ok = true, Resolve = Report(peer) };
        }
        catch (NameResolutionException e)
        {
            return ControlResponse.Failure(e.Message);
        }
    }

    private ResolveReport Report(ResolvedPeer peer) => new()
    {
        Name = peer.Name,
        Hit = peer.Hit.ToString(),
        Locators = peer.Locators.Select(l => l.ToString()).ToList(),
        Source = peer.Source,
        RendezvousServers = [.. peer.RendezvousServers],
        TtlSeconds = peer.Expires is { } e ? Math.Max(0, Math.Round((e - Now).TotalSeconds, 1)) : null,
    };

    /// <summary>Keeps a config-named peer resolved: again when its records expire, with backoff after failures.</summary>
    private async Task KeepNamedPeerAsync(string name, CancellationToken cancellationToken)
    {
        var retry = NameRetryMin;
        while (!cancellationToken.IsCancellationRequested)
        {
            TimeSpan wait;
            try
            {
                var peer = await ResolveAndAddAsync(name, cancellationToken);
                retry = NameRetryMin;
                wait = peer.Expires is { } expires ? expires - Now : NameRefreshMax;
                wait = wait < NameRefreshMin ? NameRefreshMin : wait > NameRefreshMax ? NameRefreshMax : wait;
            }
            catch (NameResolutionException e)
            {
                _logger.LogWarning("peer {Name} from the config: {Reason}; trying again in {Seconds} s", name, e.Message,
                    retry.TotalSeconds.ToString("0", CultureInfo.InvariantCulture));
                wait = retry;
                retry = retry * 2 > NameRetryMax ? NameRetryMax : retry * 2;
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception e)
            {
                _logger.LogWarning("peer {Name} from the config could not be resolved: {Reason}", name, e.Message);
                wait = retry;
                retry = retry * 2 > NameRetryMax ? NameRetryMax : retry * 2;
            }

            try
            {
                await Task.Delay(wait, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
