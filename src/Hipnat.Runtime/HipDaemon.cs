using System.Diagnostics;
using System.Globalization;
using Hipnat.Core.Association;
using Hipnat.Core.Host;
using Hipnat.Core.Registration;
using Hipnat.Core.Transport;
using Hipnat.Runtime.Configuration;
using Hipnat.Runtime.Control;
using Hipnat.Runtime.DataPlane;
using Hipnat.Runtime.Metrics;
using Hipnat.Runtime.Transports;
using Hipnat.Wire;
using Hipnat.Wire.Parameters;
using Microsoft.Extensions.Logging;

namespace Hipnat.Runtime;

/// <summary>
/// Runs one <see cref="HipHost"/> on a dedicated driver thread, the only thread that touches it. Each turn of the
/// loop: run queued control work, feed received datagrams to the core, fire the core's timer when it is due,
/// send everything the core queued, and turn the core's events into log lines and answers to waiting "connect"
/// requests; then sleep until a datagram or request arrives or the next timer is due. The clock is a stopwatch
/// started with the daemon. An exception while handling one datagram is logged and counted; the loop goes on. So
/// does an exception in any step of the loop (<see cref="DriverSteps"/>): it is counted per step
/// (<see cref="StepFailures"/>, metric hipnat.driver.step_failures), logged with the step's name the first time and
/// then at most once per <see cref="StepFailureLogInterval"/> per step, and the loop carries on with the next step.
/// </summary>
public sealed partial class HipDaemon : IControlHandler, IDisposable
{
    /// <summary>Datagrams handled before the loop looks at timers and control work again.</summary>
    private const int DatagramBatch = 256;

    private static readonly TimeSpan MaxSleep = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan ExceptionLogInterval = TimeSpan.FromSeconds(5);

    /// <summary>How long to sleep when working out the sleep time failed.</summary>
    private static readonly TimeSpan SleepAfterFailure = TimeSpan.FromMilliseconds(100);

    private readonly HipHost _host;
    private readonly IReadOnlyList<IHipTransport> _transports;
    private readonly ILogger _logger;
    private readonly DriverInbox _inbox;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<ConnectWaiter> _waiters = [];
    private readonly HashSet<Hit> _knownPeers = [];

    /// <summary>The peers and locators the configuration lists (driver thread once started): what a reload compares with.</summary>
    private Dictionary<Hit, HashSet<TransportAddress>> _configPeers = [];
    private readonly List<RelayClient> _relays = [];
    private readonly HashSet<(Hit Client, RegistrationType Service)> _serverRegistrations = [];
    private readonly IRelayedPorts? _relayedPorts;
    private readonly string _identityDescription;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Thread? _driver;
    private DataPlaneService? _dataPlane;
    private volatile bool _stopping;
    private TimeSpan _gracefulClose;
    private long _handlerExceptions;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _stepFailures = new(StringComparer.Ordinal);
    private readonly LogThrottle _stepFailureLog = new(StepFailureLogInterval);
    private TimeSpan _lastExceptionLog = TimeSpan.MinValue;
    private int _started;
    private int _disposed;

    public HipDaemon(HipHost host, IReadOnlyList<IHipTransport> transports, ILogger logger, string? identityDescription = null, DriverInbox? inbox = null)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(transports);
        _host = host;
        _transports = transports;
        _logger = logger;
        _identityDescription = identityDescription ?? string.Empty;
        _inbox = inbox ?? new DriverInbox();
        _relayedPorts = transports.OfType<IRelayedPorts>().FirstOrDefault();
    }

    /// <summary>The daemon's instruments (Meter "hipnat"); <see cref="RefreshMetricsAsync"/> brings them up to date.</summary>
    public DaemonMetrics Metrics { get; } = new();

    /// <summary>Shown in status when a Prometheus endpoint serves <see cref="Metrics"/>.</summary>
    public string? MetricsUrl { get; set; }

    /// <summary>The local DNS responder, for status; null when it is off.</summary>
    public Names.DnsResponder? DnsResponder { get; set; }

    /// <summary>True when an ESP data plane (TUN device) is attached.</summary>
    public bool HasDataPlane => _dataPlane is not null;

    public Hit LocalHit => _host.LocalHit;

    /// <summary>Completes when the driver thread has exited (after <see cref="Stop"/>, or if it crashed).</summary>
    public Task Completion => _completion.Task;

    /// <summary>The daemon's clock: time since it was created.</summary>
    public TimeSpan Now => _clock.Elapsed;

    /// <summary>Exceptions caught while handling datagrams or timers.</summary>
    public long HandlerExceptions => Interlocked.Read(ref _handlerExceptions);

    /// <summary>A failing driver step is logged the first time, then at most once per this interval.</summary>
    public static TimeSpan StepFailureLogInterval { get; } = TimeSpan.FromSeconds(30);

    /// <summary>Failures of all driver steps so far.</summary>
    public long TotalStepFailures => _stepFailures.Values.Sum();

    /// <summary>
    /// Tests only: called on the driver thread with the step's name (<see cref="DriverSteps"/>) as each guarded
    /// step starts; an exception it throws counts as that step's failure.
    /// </summary>
    internal Action<string>? StepHook { get; set; }

    /// <summary>Failures of driver step <paramref name="step"/> (<see cref="DriverSteps"/>) so far.</summary>
    public long StepFailures(string step) => _stepFailures.TryGetValue(step, out var n) ? n : 0;

    /// <summary>Adds a peer locator. Before <see cref="Start"/> it is applied directly; afterwards on the driver thread.</summary>
    public void AddPeerLocator(Hit peer, TransportAddress locator)
    {
        if (Volatile.Read(ref _started) == 0)
        {
            // Before the start: the configuration's peers, which a reload may take out again.
            if (!_configPeers.TryGetValue(peer, out var configured))
            {
                _configPeers[peer] = configured = [];
            }

            configured.Add(locator);
            AddPeerOnDriver(peer, locator);
        }
        else
        {
            _inbox.PostWork(() => AddPeerOnDriver(peer, locator));
        }
    }

    /// <summary>
    /// Registers with <paramref name="relay"/> once the daemon runs, and keeps the registration: the core renews it
    /// before it expires; when the base exchange with the relay fails, the registration is refused or it ends,
    /// the daemon registers again with exponential backoff (2 s up to 60 s). Call before <see cref="Start"/>.
    /// </summary>
    public void AddRelay(RelayServerSettings relay)
    {
        ArgumentNullException.ThrowIfNull(relay);
        if (Volatile.Read(ref _started) != 0)
        {
            throw new InvalidOperationException("relays are added before the daemon starts");
        }

        if (relay.Hit == _host.LocalHit)
        {
            throw new ConfigException($"--relay {relay.Hit}: that is this daemon's own HIT; give the relay's HIT (`hipnat status` on the relay shows it)");
        }

        _relays.RemoveAll(r => r.Settings.Hit == relay.Hit);
        _relays.Add(new RelayClient(relay));
        AddPeerOnDriver(relay.Hit, relay.Address);
    }

    /// <summary>Attaches the ESP data plane (before <see cref="Start"/>); the daemon feeds it events and disposes it.</summary>
    public void AttachDataPlane(DataPlaneService dataPlane)
    {
        ArgumentNullException.ThrowIfNull(dataPlane);
        if (Volatile.Read(ref _started) != 0)
        {
            throw new InvalidOperationException("the data plane is attached before the daemon starts");
        }

        _dataPlane = dataPlane;
        foreach (var peer in _knownPeers)
        {
            dataPlane.OnPeerAdded(peer);
        }
    }

    /// <summary>Takes a fresh <see cref="MetricsSnapshot"/> on the driver thread (waits at most <paramref name="timeout"/>).</summary>
    public async Task RefreshMetricsAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        try
        {
            var snapshot = await InvokeAsync(_ => BuildMetricsSnapshot()).WaitAsync(timeout, cancellationToken);
            Metrics.Update(snapshot);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            // Serve the previous snapshot: a scrape must not hang on a busy or stopping driver.
        }
    }

    /// <summary>Starts the transports' receive threads and the driver thread.</summary>
    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("the daemon is already started");
        }

        _dataPlane?.Start(_inbox.PostWork, () => Now);
        foreach (var t in _transports)
        {
            t.Start(_inbox);
        }

        _driver = new Thread(DriverMain) { Name = "hipnat-driver", IsBackground = true };
        _driver.Start();
        _logger.LogInformation("hipnat daemon up: HIT {Hit}, listening on {Listen}", _host.LocalHit, string.Join(", ", ListenAddresses()));
        StartNamedPeers();
    }

    /// <summary>
    /// Stops the driver. With a positive <paramref name="gracefulClose"/> established associations are sent CLOSE
    /// first and given up to that long to be acknowledged.
    /// </summary>
    public void Stop(TimeSpan gracefulClose = default)
    {
        _gracefulClose = gracefulClose;
        _stopping = true;
        StopNamedPeers();
        _inbox.Wake();
        if (_driver is not null && _driver != Thread.CurrentThread)
        {
            _driver.Join(gracefulClose + TimeSpan.FromSeconds(5));
        }
    }

    /// <summary>Runs <paramref name="func"/> on the driver thread (the only safe way to touch the core from outside).</summary>
    public Task<T> InvokeAsync<T>(Func<HipHost, T> func)
    {
        var tcs = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (_stopping || _completion.Task.IsCompleted || Volatile.Read(ref _started) == 0)
        {
            tcs.SetException(new OperationCanceledException("the daemon is not running"));
            return tcs.Task;
        }

        _inbox.PostWork(() =>
        {
            try
            {
                tcs.TrySetResult(func(_host));
            }
            catch (Exception e)
            {
                tcs.TrySetException(e);
            }
        });
        return tcs.Task;
    }

    public async Task<ControlResponse> HandleAsync(ControlRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!ControlAction.TryParse(request, out var action, out var error))
        {
            return ControlResponse.Failure(error);
        }

        switch (action)
        {
            case ControlAction.Connect connect:
                {
                    var reply = await InvokeAsync(_ => BeginConnect(connect.Peer, connect.Timeout)).WaitAsync(cancellationToken);
                    return await reply.WaitAsync(cancellationToken);
                }

            case ControlAction.ConnectName connectName:
                return await ConnectByNameAsync(connectName, cancellationToken);

            case ControlAction.Resolve resolve:
                return await ResolveByNameAsync(resolve, cancellationToken);

            case ControlAction.Close close:
                return await InvokeAsync(_ => CloseOnDriver(close.Peer)).WaitAsync(cancellationToken);

            case ControlAction.AddPeer add:
                return await InvokeAsync(_ =>
                {
                    foreach (var l in add.Locators)
                    {
                        AddPeerOnDriver(add.Peer, l);
                    }

                    return ControlResponse.Success($"{add.Peer}: {string.Join(", ", _host.GetPeerLocators(add.Peer))}");
                }).WaitAsync(cancellationToken);

            default:
                return await InvokeAsync(_ => new ControlResponse { Ok = true, Status = BuildStatus() }).WaitAsync(cancellationToken);
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Stop(_gracefulClose);
        _dataPlane?.Dispose();
        foreach (var t in _transports)
        {
            t.Dispose();
        }

        _inbox.Dispose();
        Metrics.Dispose();
        _namesStop.Dispose();
    }

    private void AddPeerOnDriver(Hit peer, TransportAddress locator)
    {
        _host.AddPeerLocator(peer, locator);
        _knownPeers.Add(peer);
        _dataPlane?.OnPeerAdded(peer);
    }

    private IEnumerable<string> ListenAddresses() => _transports.SelectMany(t => t.LocalAddresses).Select(a => a.ToString());

    private void DriverMain()
    {
        try
        {
            RunLoop();
            CloseGracefully();
            RunStep(DriverSteps.TurnRelease, static d => d.ReleaseTurn());
            FailAllWaiters("the daemon is stopping");
            _completion.TrySetResult();
        }
        catch (Exception e)
        {
            _logger.LogCritical(e, "driver thread failed");
            FailAllWaiters("the daemon's driver failed: " + e.Message);
            _completion.TrySetException(e);
        }
    }

    private void RunLoop()
    {
        while (!_stopping)
        {
            _inbox.ResetSignal();
            bool more = Turn();
            if (_stopping)
            {
                break;
            }

            _inbox.Wait(more ? TimeSpan.Zero : RunStep(DriverSteps.SleepTime, static d => d.SleepTime(), SleepAfterFailure));
        }

        // Answer control work that arrived while stopping.
        RunStep(DriverSteps.Work, static d => d.RunWork());
    }

    /// <summary>One turn of the loop; true when datagrams are still queued. Each step is guarded on its own.</summary>
    private bool Turn()
    {
        RunStep(DriverSteps.Work, static d => d.RunWork());
        bool more = RunStep(DriverSteps.Datagrams, static d => d.DrainDatagrams(), false);
        RunStep(DriverSteps.Timers, static d => d.RunTimers());
        RunStep(DriverSteps.DataPlane, static d => d._dataPlane?.OnTurn(d.Now));
        RunStep(DriverSteps.Registrations, static d => d.MaintainRegistrations());
        RunStep(DriverSteps.Stun, static d => d.MaintainStun());
        RunStep(DriverSteps.Turn, static d => d.MaintainTurn());
        RunStep(DriverSteps.Waiters, static d => d.ExpireWaiters());
        RunStep(DriverSteps.Flush, static d => d.Flush());
        return more;
    }

    /// <summary>Runs one driver step; an exception is counted and logged (<see cref="StepFailed"/>) and the loop goes on.</summary>
    private void RunStep(string step, Action<HipDaemon> action)
    {
        try
        {
            StepHook?.Invoke(step);
            action(this);
        }
        catch (Exception e)
        {
            StepFailed(step, e);
        }
    }

    /// <summary>As <see cref="RunStep(string, Action{HipDaemon})"/> for a step with a result; <paramref name="onFailure"/> if it fails.</summary>
    private T RunStep<T>(string step, Func<HipDaemon, T> func, T onFailure)
    {
        try
        {
            StepHook?.Invoke(step);
            return func(this);
        }
        catch (Exception e)
        {
            StepFailed(step, e);
            return onFailure;
        }
    }

    /// <summary>
    /// Counts a failure of <paramref name="step"/> and logs it with the exception: the first one, then at most one
    /// per <see cref="StepFailureLogInterval"/> for that step (saying how many were not logged in between).
    /// </summary>
    private void StepFailed(string step, Exception e, string? what = null)
    {
        _stepFailures.AddOrUpdate(step, 1, (_, n) => n + 1);
        Metrics.DriverStepFailed(step);
        if (_stepFailureLog.ShouldLog(step, Now, out long suppressed))
        {
            _logger.LogError(e, "driver step {Step} failed{What}; carrying on{Suppressed}",
                step,
                what is null ? string.Empty : " (" + what + ")",
                suppressed > 0 ? $" ({suppressed} more failures of this step since the last such line)" : string.Empty);
        }
    }

    private void RunWork()
    {
        while (_inbox.TryTakeWork(out var work))
        {
            try
            {
                work!();
            }
            catch (Exception e)
            {
                StepFailed(DriverSteps.Work, e);
            }
        }

        Flush();
    }

    private bool DrainDatagrams()
    {
        for (int i = 0; i < DatagramBatch; i++)
        {
            if (!_inbox.TryTakeDatagram(out var d))
            {
                return false;
            }

            try
            {
                if (!TryTakeStunAnswer(d) && !TryTakeTurn(d))
                {
                    _host.HandleDatagram(d.Local, d.Remote, d.Payload, Now);
                }
            }
            catch (Exception e)
            {
                CountHandlerException(e, $"datagram from {d.Remote} ({d.Length} bytes)");
            }
            finally
            {
                d.Release();
            }
        }

        return true;
    }

    private void RunTimers()
    {
        var now = Now;
        if (_host.NextTimeout is { } due && due <= now)
        {
            try
            {
                _host.HandleTimeout(now);
            }
            catch (Exception e)
            {
                Interlocked.Increment(ref _handlerExceptions);
                StepFailed(DriverSteps.Timers, e);
            }
        }
    }

    private TimeSpan SleepTime()
    {
        var now = Now;
        var wake = now + MaxSleep;
        TimeSpan? due;
        try
        {
            due = _host.NextTimeout;
        }
        catch (Exception e)
        {
            CountHandlerException(e, "next timeout");
            due = null;
        }

        if (due is { } d && d < wake)
        {
            wake = d;
        }

        if (_dataPlane?.TickDue is { } tickDue && tickDue < wake)
        {
            // ESP bypasses this thread: the data plane's tick is how the core hears of it (path liveness).
            wake = tickDue < now ? now : tickDue;
        }

        if (StunDue() is { } stunDue && stunDue < wake)
        {
            wake = stunDue;
        }

        if (TurnDue() is { } turnDue && turnDue < wake)
        {
            wake = turnDue;
        }

        foreach (var w in _waiters)
        {
            if (w.Deadline < wake)
            {
                wake = w.Deadline;
            }
        }

        var sleep = wake - now;

        // A timer still due right after it ran would spin; give it a millisecond.
        return sleep < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : sleep;
    }

    private void Flush()
    {
        while (_host.TryPollTransmit(out var t))
        {
            try
            {
                var transport = TransportFor(t.Remote.Kind);
                if (TryRelayViaTurn(t))
                {
                    // From a TURN relayed address: relayed through the TURN server.
                }
                else if (transport is null)
                {
                    _logger.LogDebug("no {Kind} transport for a datagram to {Remote}; dropped", t.Remote.Kind, t.Remote);
                }
                else
                {
                    transport.Send(t);
                }
            }
            catch (Exception e)
            {
                CountHandlerException(e, $"send to {t.Remote}");
            }
            finally
            {
                t.Release();
            }
        }

        while (_host.TryPollEvent(out var ev))
        {
            try
            {
                _dataPlane?.OnEvent(ev);
            }
            catch (Exception e)
            {
                StepFailed(DriverSteps.Events, e, "data plane: " + ev);
            }

            try
            {
                OnEvent(ev);
            }
            catch (Exception e)
            {
                StepFailed(DriverSteps.Events, e, ev.ToString());
            }
        }
    }

    private IHipTransport? TransportFor(TransportKind kind)
    {
        foreach (var t in _transports)
        {
            if (t.Kind == kind)
            {
                return t;
            }
        }

        return null;
    }

    private void OnEvent(HipEvent ev)
    {
        switch (ev)
        {
            case AssociationEstablished e:
                _logger.LogInformation(
                    "established with {Peer} via {PeerAddress} as {Role} in {ElapsedMs:0.0} ms",
                    e.Peer, e.PeerAddress, e.AsInitiator ? "initiator" : "responder", e.Elapsed.TotalMilliseconds);
                CompleteWaiters(e.Peer, w => new ControlResponse
                {
                    Ok = true,
                    Connect = new ConnectReport
                    {
                        Hit = e.Peer.ToString(),
                        PeerAddress = e.PeerAddress.ToString(),
                        ElapsedMs = Math.Max(0, (e.At - w.StartedAt).TotalMilliseconds),
                    },
                });
                break;
            case AssociationFailed f:
                _logger.LogWarning("association with {Peer} failed: {Reason}", f.Peer, f.Reason);
                if (FindRelay(f.Peer) is { } relay)
                {
                    relay.Granted.Clear();
                    relay.LastError = $"base exchange with the relay at {relay.Settings.Address} failed ({f.Reason}); " +
                        "check that `hipnat relay` runs there, its HIT and its address; retrying";
                }

                CompleteWaiters(f.Peer, _ => ControlResponse.Failure($"base exchange with {f.Peer} failed: {f.Reason}"));
                break;
            case AssociationClosed c:
                _logger.LogInformation("association with {Peer} closed {By}", c.Peer, c.ByPeer ? "by the peer" : "locally");
                CompleteWaiters(c.Peer, _ => ControlResponse.Failure($"association with {c.Peer} was closed {(c.ByPeer ? "by the peer" : "locally")} before it was established"));
                break;
            case AssociationStateChanged s:
                _logger.LogDebug("{Peer}: {From} -> {To}", s.Peer, AssociationStateNames.Of(s.From), AssociationStateNames.Of(s.To));
                break;
            case UpdateCompleted u:
                _logger.LogInformation("UPDATE {UpdateId} with {Peer} completed{Rekeyed}", u.UpdateId, u.Peer, u.Rekeyed ? " (rekeyed)" : string.Empty);
                break;
            case NotifyReceived n:
                _logger.LogInformation("NOTIFY type {Type} from {Peer} ({Length} bytes of data)", n.MessageType, n.Peer, n.Data.Length);
                break;
            case RegistrationGranted g:
                OnRegistrationGranted(g);
                break;
            case RegistrationRefused r:
                OnRegistrationRefused(r);
                break;
            case RegistrationEnded e:
                _logger.LogWarning(
                    "registration with relay {Relay} for {Service} {How}; registering again",
                    e.Peer, SettingParsers.ServiceName(e.Type), e.Cancelled ? "was cancelled" : "expired");
                Metrics.RegistrationEvent("client", "ended", e.Type);
                if (FindRelay(e.Peer) is { } ended)
                {
                    ended.Granted.Remove(e.Type);
                    ended.NextAttempt = TimeSpan.Zero;
                }

                break;
            case ClientRegistered c:
                if (_serverRegistrations.Add((c.Peer, c.Type)))
                {
                    _logger.LogInformation(
                        "client {Client} registered for {Service} from {ClientAddress}, lifetime {Lifetime:0} s",
                        c.Peer, SettingParsers.ServiceName(c.Type), c.ClientAddress, c.Lifetime.TotalSeconds);
                    Metrics.RegistrationEvent("server", "granted", c.Type);
                }
                else
                {
                    _logger.LogDebug("client {Client} renewed {Service} from {ClientAddress}, lifetime {Lifetime:0} s",
                        c.Peer, SettingParsers.ServiceName(c.Type), c.ClientAddress, c.Lifetime.TotalSeconds);
                    Metrics.RegistrationEvent("server", "renewed", c.Type);
                }

                break;
            case ClientUnregistered u:
                _serverRegistrations.Remove((u.Peer, u.Type));
                _logger.LogInformation("client {Client} unregistered from {Service} ({How})",
                    u.Peer, SettingParsers.ServiceName(u.Type), u.Cancelled ? "cancelled or its association ended" : "expired");
                Metrics.RegistrationEvent("server", "ended", u.Type);
                break;
            case RelayedPortChanged p:
                OnRelayedPortChanged(p);
                break;
            case ActivePathChanged p:
                _logger.LogInformation("path to {Peer}: {From} -> {To} ({Path}): {Reason}",
                    p.Peer, p.From, p.To, p.Direct ? "direct" : "via relay", p.Reason);
                Metrics.PathSwitch(SwitchReason(p), p.Direct);
                break;
            case PathFailedOver f:
                _logger.LogInformation("path to {Peer}: {Kind} {FromLocal} -> {FromPeer} to {ToLocal} -> {ToPeer} after {WithoutPathMs:0} ms without a path: {Reason}",
                    f.Peer, f.Failback ? "failback from" : "failover from", f.FromLocal, f.FromPeer, f.ToLocal, f.ToPeer, f.WithoutPath.TotalMilliseconds, f.Reason);
                Metrics.Failover(f.Failback ? "failback" : f.Reason.Contains("the peer hears nothing", StringComparison.Ordinal) ? "peer-unheard" : "silence", f.WithoutPath);
                break;
            case HandoverStarted h:
                _logger.LogInformation("handover with {Peer} started ({Role}): {Reason}", h.Peer, h.Mobile ? "we moved" : "the peer moved", h.Reason);
                Metrics.Handover(h.Mobile, null);
                break;
            case HandoverCompleted h:
                _logger.LogInformation("handover with {Peer} done in {DurationMs:0} ms ({Role}): {Path}", h.Peer, h.Duration.TotalMilliseconds, h.Mobile ? "we moved" : "the peer moved", h.Path);
                Metrics.Handover(h.Mobile, h.Duration);
                break;
            case PathSuspected s:
                _logger.LogInformation("path to {Peer} suspected: {Reason}", s.Peer, s.Reason);
                break;
            case IceCompleted ic:
                _logger.LogInformation("ICE with {Peer} completed in {ElapsedMs:0} ms after {Checks} checks: {Pair} ({Path})",
                    ic.Peer, ic.Elapsed.TotalMilliseconds, ic.ChecksSent, ic.Pair, ic.Relayed ? "via data relay" : "direct");
                break;
            case IceChecksFailed icf:
                _logger.LogWarning("ICE with {Peer}: every candidate pair failed after {Checks} checks; staying on the base exchange's path",
                    icf.Peer, icf.ChecksSent);
                break;
            case EspSaReady e:
                _logger.LogDebug("ESP SA pair with {Peer} ready: inbound SPI {Inbound:x8}, outbound SPI {Outbound:x8}, suite {Suite}{Replaces}",
                    e.Peer, e.Sa.InboundSpi, e.Sa.OutboundSpi, e.Sa.Suite, e.Replaces is { } replaced ? $" (replaces {replaced:x8})" : string.Empty);
                break;
            default:
                _logger.LogDebug("event {Event}", ev);
                break;
        }
    }

    private Task<ControlResponse> BeginConnect(Hit peer, TimeSpan timeout)
    {
        var now = Now;
        if (_stopping)
        {
            return Task.FromResult(ControlResponse.Failure("the daemon is stopping"));
        }

        if (peer == _host.LocalHit)
        {
            return Task.FromResult(ControlResponse.Failure($"{peer} is this daemon's own HIT; give the peer's HIT"));
        }

        var state = _host.GetState(peer);
        if (state == AssociationState.Established)
        {
            var info = _host.GetAssociation(peer);
            return Task.FromResult(new ControlResponse
            {
                Ok = true,
                Connect = new ConnectReport { Hit = peer.ToString(), PeerAddress = info?.PeerAddress?.ToString(), AlreadyEstablished = true },
            });
        }

        if (_host.GetPeerLocators(peer).Count == 0)
        {
            return Task.FromResult(ControlResponse.Failure(
                $"no locator known for {peer}; start the daemon with --peer {peer}=ADDR:PORT or run `hipnat peers add {peer} ADDR:PORT`"));
        }

        var waiter = new ConnectWaiter(peer, now, now + timeout);
        _waiters.Add(waiter);
        try
        {
            _host.Connect(peer, now);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            _waiters.Remove(waiter);
            return Task.FromResult(ControlResponse.Failure($"cannot connect to {peer}: {e.Message}"));
        }

        _logger.LogInformation("connecting to {Peer} at {Locators}", peer, string.Join(", ", _host.GetPeerLocators(peer)));
        return waiter.Reply.Task;
    }

    private ControlResponse CloseOnDriver(Hit peer)
    {
        var state = _host.GetState(peer);
        if (state is AssociationState.Unassociated)
        {
            return ControlResponse.Failure($"no association with {peer}; `hipnat status` lists them");
        }

        _host.Close(peer, Now);
        return ControlResponse.Success($"closing the association with {peer} (was {AssociationStateNames.Of(state)})");
    }

    private void CompleteWaiters(Hit peer, Func<ConnectWaiter, ControlResponse> reply)
    {
        for (int i = _waiters.Count - 1; i >= 0; i--)
        {
            var w = _waiters[i];
            if (w.Peer == peer)
            {
                _waiters.RemoveAt(i);
                w.Reply.TrySetResult(reply(w));
            }
        }
    }

    private void ExpireWaiters()
    {
        if (_waiters.Count == 0)
        {
            return;
        }

        var now = Now;
        for (int i = _waiters.Count - 1; i >= 0; i--)
        {
            var w = _waiters[i];
            if (w.Deadline > now)
            {
                continue;
            }

            _waiters.RemoveAt(i);
            var state = _host.GetState(w.Peer);
            var locators = string.Join(", ", _host.GetPeerLocators(w.Peer));
            w.Reply.TrySetResult(ControlResponse.Failure(
                $"no association with {w.Peer} after {(w.Deadline - w.StartedAt).TotalSeconds:0.#} s (state {AssociationStateNames.Of(state)}, tried {locators}); " +
                "check that the peer's daemon runs, that its HIT is right and that the locator is reachable" + RelayHint(w.Peer, state)));
        }
    }

    private void FailAllWaiters(string reason)
    {
        foreach (var w in _waiters)
        {
            w.Reply.TrySetResult(ControlResponse.Failure(reason));
        }

        _waiters.Clear();
    }

    private void CloseGracefully()
    {
        if (_gracefulClose <= TimeSpan.Zero)
        {
            return;
        }

        try
        {
            var open = _host.GetAssociations().Where(a => a.State == AssociationState.Established).Select(a => a.PeerHit).ToList();
            if (open.Count == 0)
            {
                return;
            }

            _logger.LogInformation("closing {Count} association(s)", open.Count);
            foreach (var peer in open)
            {
                _host.Close(peer, Now);
            }

            var deadline = Now + _gracefulClose;
            while (Now < deadline)
            {
                _inbox.ResetSignal();
                DrainDatagrams();
                RunTimers();
                Flush();
                if (!_host.GetAssociations().Any(a => a.State == AssociationState.Closing))
                {
                    break;
                }

                _inbox.Wait(TimeSpan.FromMilliseconds(20));
            }
        }
        catch (Exception e)
        {
            _logger.LogWarning(e, "closing associations at shutdown failed");
        }
    }

    private void CountHandlerException(Exception e, string what)
    {
        Interlocked.Increment(ref _handlerExceptions);
        var now = Now;
        if (_lastExceptionLog == TimeSpan.MinValue || now - _lastExceptionLog >= ExceptionLogInterval)
        {
            _lastExceptionLog = now;
            _logger.LogError(e, "unexpected exception handling {What}; dropped it and carrying on", what);
        }
        else
        {
            _logger.LogDebug("unexpected exception handling {What}: {Message}", what, e.Message);
        }
    }

    private StatusReport BuildStatus()
    {
        var now = Now;
        var c = _host.Counters;
        var report = new StatusReport
        {
            LocalHit = _host.LocalHit.ToString(),
            HostIdentity = _identityDescription,
            Transport = string.Join("+", _transports.Select(t => t.Kind == TransportKind.RawHip ? "raw" : "udp").Distinct()),
            Listen = ListenAddresses().ToList(),
            UptimeSeconds = Math.Round(now.TotalSeconds, 3),
            ProcessId = Environment.ProcessId,
            Counters = new CountersReport
            {
                PacketsIn = c.PacketsIn,
                PacketsOut = c.PacketsOut,
                Retransmissions = c.Retransmissions,
                Established = c.Established,
                Failed = c.Failed,
                Dropped = c.DroppedTotal,
                Drops = c.Drops.ToDictionary(kv => kv.Key.ToString(), kv => kv.Value),
                TransportReceived = _transports.Sum(t => t.Counters.Received),
                TransportSent = _transports.Sum(t => t.Counters.Sent),
                TransportSendErrors = _transports.Sum(t => t.Counters.SendErrors),
                TransportReceiveErrors = _transports.Sum(t => t.Counters.ReceiveErrors),
                TransportBadChecksum = _transports.Sum(t => t.Counters.BadChecksum),
                TransportMalformed = _transports.Sum(t => t.Counters.Malformed),
                QueueDropped = _inbox.Dropped,
                QueueDroppedBaseExchange = _inbox.DroppedBaseExchange,
                HandlerExceptions = HandlerExceptions,
                StepFailures = _stepFailures.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal),
                Relayed = c.Relayed,
                EspRelayed = c.EspRelayed,
                EspRelayedBytes = c.EspRelayedBytes,
                KeepalivesSent = c.KeepalivesSent,
                StunAnswered = c.StunAnswered,
                PuzzleDifficulty = c.PuzzleDifficulty,
                I2WorkInWindow = c.I2WorkInWindow,
                I2Received = c.I2Received,
                I2DhComputations = c.I2DhComputations,
                ProbesSent = c.ProbesSent,
                PathsSuspected = c.PathsSuspected,
                TurnPacketsOut = (_turnTable?.ControlPacketsOut ?? 0) + (_turnTable?.EspPacketsOut ?? 0),
                TurnPacketsIn = (_turnTable?.ControlPacketsIn ?? 0) + (_turnTable?.EspPacketsIn ?? 0),
                TurnBytesOut = _turnTable?.BytesOut ?? 0,
                TurnBytesIn = _turnTable?.BytesIn ?? 0,
                TurnEspPacketsOut = _turnTable?.EspPacketsOut ?? 0,
                TurnEspPacketsIn = _turnTable?.EspPacketsIn ?? 0,
            },
            MetricsUrl = MetricsUrl,
        };

        foreach (var peer in _knownPeers.OrderBy(p => p))
        {
            report.Peers.Add(new PeerReport { Hit = peer.ToString(), Locators = _host.GetPeerLocators(peer).Select(l => l.ToString()).ToList() });
        }

        foreach (var a in _host.GetAssociations().OrderBy(a => a.PeerHit))
        {
            var active = a.Pairs.FirstOrDefault(p => p.State == LocatorPairState.Active && p.Local == a.LocalAddress && p.Peer == a.PeerAddress)
                ?? a.Pairs.FirstOrDefault(p => p.Local == a.LocalAddress && p.Peer == a.PeerAddress)
                ?? a.Pairs.FirstOrDefault(p => p.Peer == a.PeerAddress);
            string? turnServer = a.LocalAddress is { } la ? TurnServerOf(la) : null;
            bool relayedPath = turnServer is not null || (active is { } ap && (ap.ThroughRelay || ap.RelayedTo is not null || ap.ViaDataRelay));
            report.Associations.Add(new AssociationReport
            {
                PeerHit = a.PeerHit.ToString(),
                State = AssociationStateNames.Of(a.State),
                Initiator = a.Initiator,
                LocalAddress = a.LocalAddress?.ToString(),
                PeerAddress = a.PeerAddress?.ToString(),
                EstablishedSecondsAgo = a.EstablishedAt is { } at ? Math.Round((now - at).TotalSeconds, 3) : null,
                LastSeenSecondsAgo = Math.Round((now - a.LastSeen).TotalSeconds, 3),
                PeerLocators = a.PeerLocators.Select(l => l.ToString()).ToList(),
                DhGroup = a.DhGroup,
                Cipher = a.Cipher,
                HitSuite = a.HitSuite,
                EspSuite = a.EspSuite,
                SecurityAssociations = a.SaPairs.Select(s => new SaReport
                {
                    InboundSpi = s.InboundSpi.ToString("x8", CultureInfo.InvariantCulture),
                    OutboundSpi = s.OutboundSpi.ToString("x8", CultureInfo.InvariantCulture),
                    Suite = s.Suite,
                    KeymatIndex = s.KeymatIndex,
                    Generation = s.Generation,
                    BoundLocal = s.BoundLocal?.ToString(),
                    BoundPeer = s.BoundPeer?.ToString(),
                    BoundState = s.BoundState?.ToString().ToLowerInvariant(),
                }).ToList(),
                LocatorPairs = a.Pairs.Select(p => new LocatorPairReport
                {
                    Local = p.Local.ToString(),
                    Peer = p.Peer.ToString(),
                    State = p.State.ToString(),
                    RttMs = Math.Round(p.Rtt.TotalMilliseconds, 3),
                    ThroughRelay = p.ThroughRelay || p.RelayedTo is not null,
                    RelayedTo = p.RelayedTo?.ToString(),
                    ViaDataRelay = p.ViaDataRelay,
                    LastReceivedSecondsAgo = p.LastReceived > TimeSpan.Zero ? Math.Round((now - p.LastReceived).TotalSeconds, 3) : null,
                }).ToList(),
                LastHandover = a.LastHandover is { } h ? new HandoverReport
                {
                    Role = h.Mobile ? "mobile" : "correspondent",
                    Reason = h.Reason,
                    StartedSecondsAgo = Math.Round((now - h.Started).TotalSeconds, 3),
                    DurationMs = h.Completed is { } done ? Math.Round((done - h.Started).TotalMilliseconds, 1) : null,
                    Steps = h.Steps.Select(s => new HandoverStepReport { Step = s.Step, AtMs = Math.Round(s.At.TotalMilliseconds, 1) }).ToList(),
                } : null,
                LastFailover = a.LastFailover is { } f ? new FailoverReport
                {
                    Kind = f.Failback ? "failback" : "failover",
                    From = f.From,
                    To = f.To,
                    Reason = f.Reason,
                    SecondsAgo = Math.Round((now - f.At).TotalSeconds, 3),
                } : null,
                ActivePath = a.PeerAddress is null ? null : relayedPath ? "relay" : "direct",
                RelayAddress = turnServer ?? (relayedPath ? active!.Peer.ToString() : null),
                ViaDataRelay = turnServer is null && (active?.ViaDataRelay ?? false),
                ViaTurn = turnServer is not null,
                Ice = BuildIceReport(a.PeerHit, now),
            });
        }

        report.Registrations = BuildRegistrationReports(now);
        report.Registrar = BuildRegistrarReport(now);
        report.DataPlane = _dataPlane?.BuildReport();
        report.DnsResponder = DnsResponder?.BuildReport();
        report.NatTraversalModes = _natModes.Select(IceSettings.ModeName).ToList();
        report.IceCandidates = BuildCandidateReports();
        report.StunServers = BuildStunReports(now);
        report.TurnServers = BuildTurnReports(now);
        return report;
    }
}
