using System.Diagnostics.Metrics;
using Hipnat.Runtime.Configuration;
using Hipnat.Wire.Parameters;

namespace Hipnat.Runtime.Metrics;

/// <summary>
/// The daemon's instruments on a <see cref="Meter"/> named "hipnat" (one per daemon, so several daemons in one
/// process stay apart). Counters the core keeps are exposed as observable counters and gauges over the latest
/// <see cref="MetricsSnapshot"/>; registration events are counted as they happen. Listen with any
/// <see cref="MeterListener"/> (dotnet-counters, OpenTelemetry) or scrape the Prometheus endpoint.
/// </summary>
public sealed class DaemonMetrics : IDisposable
{
    public const string MeterName = "hipnat";

    private readonly Counter<long> _registrationEvents;
    private readonly Counter<long> _pathSwitches;
    private readonly Counter<long> _handovers;
    private readonly Histogram<double> _handoverDuration;
    private readonly Counter<long> _localAddressChanges;
    private readonly Counter<long> _failovers;
    private readonly Histogram<double> _withoutPath;
    private readonly Counter<long> _stepFailures;
    private readonly Counter<long> _controlRefused;
    private MetricsSnapshot _snapshot = new();

    public DaemonMetrics()
    {
        Meter = new Meter(MeterName, "1.0");
        var m = Meter;
        m.CreateObservableCounter("hipnat.packets.received", () => Snapshot.PacketsIn, "{packet}", "Datagrams handed to the HIP core (control, ESP for the data relay, STUN)");
        m.CreateObservableCounter("hipnat.packets.sent", () => Snapshot.PacketsOut, "{packet}", "Datagrams the HIP core sent (including relayed ones)");
        m.CreateObservableCounter("hipnat.packets.dropped", DroppedMeasurements, "{packet}", "Datagrams dropped, by reason");
        m.CreateObservableCounter("hipnat.retransmissions", () => Snapshot.Retransmissions, "{packet}", "I1, I2, UPDATE and CLOSE retransmissions");
        m.CreateObservableCounter("hipnat.base_exchanges", BaseExchangeMeasurements, "{exchange}", "Base exchanges by result (established, failed)");
        m.CreateObservableGauge("hipnat.associations", AssociationMeasurements, "{association}", "Host associations by RFC 7401 state");
        m.CreateObservableGauge("hipnat.registrations", RegistrationMeasurements, "{registration}",
            "Registrations by role (client: granted to us by a relay; server: clients registered with us) and service");
        m.CreateObservableGauge("hipnat.registered_clients", () => Snapshot.RegisteredClients, "{client}", "Clients registered with this registrar");
        m.CreateObservableCounter("hipnat.relay.control.packets", () => Snapshot.RelayedControl, "{packet}", "HIP control packets relayed for registered clients (RELAY_UDP_HIP, rendezvous)");
        m.CreateObservableCounter("hipnat.relay.esp.packets", () => Snapshot.EspRelayed, "{packet}", "ESP packets forwarded by the data relay (RELAY_UDP_ESP)");
        m.CreateObservableCounter("hipnat.relay.esp.bytes", () => Snapshot.EspRelayedBytes, "By", "ESP octets forwarded by the data relay");
        m.CreateObservableGauge("hipnat.relay.ports", () => Snapshot.RelayedPortsOpen, "{port}", "Relayed UDP ports bound for data-relay clients");
        m.CreateObservableCounter("hipnat.keepalives.sent", () => Snapshot.KeepalivesSent, "{packet}", "NAT keepalives sent (RFC 9028 §4.10)");
        m.CreateObservableCounter("hipnat.stun.answered", () => Snapshot.StunAnswered, "{packet}", "STUN Binding requests answered on the HIP port");
        m.CreateObservableCounter("hipnat.probes.sent", () => Snapshot.ProbesSent, "{packet}", "Direct-path probes sent after a relayed base exchange");
        m.CreateObservableCounter("hipnat.turn.packets", TurnPacketMeasurements, "{packet}", "HIP control and ESP relayed through our TURN allocations, by direction and kind");
        m.CreateObservableCounter("hipnat.turn.bytes", TurnByteMeasurements, "By", "Octets (without TURN framing) relayed through our TURN allocations, by direction");
        m.CreateObservableGauge("hipnat.turn.allocations", () => Snapshot.TurnAllocations, "{allocation}", "TURN allocations held (relayed ICE candidates)");
        m.CreateObservableCounter("hipnat.transport.datagrams", TransportMeasurements, "{packet}", "Datagrams through the sockets, by direction");
        m.CreateObservableCounter("hipnat.transport.errors", TransportErrorMeasurements, "{error}", "Socket send and receive errors, by direction");
        m.CreateObservableGauge("hipnat.puzzle.difficulty", () => Snapshot.PuzzleDifficulty, "{bit}", "The responder's puzzle difficulty #K now (rises with the I2 load)");
        m.CreateObservableCounter("hipnat.i2.received", () => Snapshot.I2Received, "{packet}", "I2s received by the responder");
        m.CreateObservableCounter("hipnat.i2.dh_computations", () => Snapshot.I2DhComputations, "{computation}", "I2s that reached Diffie-Hellman work (replays and bad puzzles do not)");
        m.CreateObservableGauge("hipnat.uptime", () => Snapshot.UptimeSeconds, "s", "Seconds since the daemon started");
        _registrationEvents = m.CreateCounter<long>("hipnat.registration.events", "{event}",
            "Registration events by role (client, server), event (granted, refused, ended) and service");
        _pathSwitches = m.CreateCounter<long>("hipnat.path.switches", "{switch}",
            "Changes of an association's active path, by reason (ice, verified-address, relay-fallback) and whether the new path is direct");
        _handovers = m.CreateCounter<long>("hipnat.handovers", "{handover}",
            "Handovers by role (mobile: our locators changed; correspondent: the peer moved) and event (started, completed)");
        _handoverDuration = m.CreateHistogram<double>("hipnat.handover.duration", "s",
            "Time from the start of a handover to a working path, by role");
        _localAddressChanges = m.CreateCounter<long>("hipnat.local_address.changes", "{change}",
            "Changes of the local locator set after start-up (interface addresses appeared or went away)");
        _failovers = m.CreateCounter<long>("hipnat.failovers", "{failover}",
            "Active pairs replaced by a standby (hot backup), by reason (silence, peer-unheard) or kind failback");
        _withoutPath = m.CreateHistogram<double>("hipnat.failover.without_path", "s",
            "Time from the failed pair's silence to the standby taking over");
        _stepFailures = m.CreateCounter<long>("hipnat.driver.step_failures", "{failure}",
            "Unexpected exceptions in a step of the driver loop, by step; the loop carries on");
        _controlRefused = m.CreateCounter<long>("hipnat.control.refused", "{connection}",
            "Control socket connections refused, by reason (not-allowed, busy, idle, too-long)");
    }

    public Meter Meter { get; }

    /// <summary>The latest snapshot (replaced by the driver thread).</summary>
    public MetricsSnapshot Snapshot => Volatile.Read(ref _snapshot);

    public void Update(MetricsSnapshot snapshot) => Volatile.Write(ref _snapshot, snapshot);

    /// <summary>Counts one registration event (driver thread).</summary>
    public void RegistrationEvent(string role, string outcome, RegistrationType service) =>
        _registrationEvents.Add(
            1,
            new KeyValuePair<string, object?>("role", role),
            new KeyValuePair<string, object?>("event", outcome),
            new KeyValuePair<string, object?>("service", SettingParsers.ServiceName(service)));

    /// <summary>Counts one change of an association's active path (driver thread).</summary>
    public void PathSwitch(string reason, bool direct) =>
        _pathSwitches.Add(1, new KeyValuePair<string, object?>("reason", reason), new KeyValuePair<string, object?>("direct", direct ? "true" : "false"));

    /// <summary>Counts a handover event; a completed one records its duration too (driver thread).</summary>
    public void Handover(bool mobile, TimeSpan? completedAfter)
    {
        var role = new KeyValuePair<string, object?>("role", mobile ? "mobile" : "correspondent");
        _handovers.Add(1, role, new KeyValuePair<string, object?>("event", completedAfter is null ? "started" : "completed"));
        if (completedAfter is { } d)
        {
            _handoverDuration.Record(d.TotalSeconds, role);
        }
    }
    /// <summary>Counts a failover or failback and records how long the association had no working path (driver thread).</summary>
    public void Failover(string reason, TimeSpan withoutPath)
    {
        _failovers.Add(1, new KeyValuePair<string, object?>("reason", reason));
        if (withoutPath > TimeSpan.Zero)
        {
            _withoutPath.Record(withoutPath.TotalSeconds);
        }
    }

    /// <summary>Counts one failure of a driver step (driver thread).</summary>
    public void DriverStepFailed(string step) => _stepFailures.Add(1, new KeyValuePair<string, object?>("step", step));

    /// <summary>Counts one refused control connection (any thread).</summary>
    public void ControlRefused(string reason) => _controlRefused.Add(1, new KeyValuePair<string, object?>("reason", reason));

    /// <summary>Counts one change of the local locator set (driver thread).</summary>
    public void LocalAddressesChanged() => _localAddressChanges.Add(1);

    public void Dispose() => Meter.Dispose();

    private IEnumerable<Measurement<long>> DroppedMeasurements()
    {
        var s = Snapshot;
        for (int i = 0; i < MetricsSnapshot.DropReasons.Length; i++)
        {
            yield return new Measurement<long>(s.Drops[i], new KeyValuePair<string, object?>("reason", MetricsSnapshot.DropReasons[i].ToString()));
        }

        yield return new Measurement<long>(s.QueueDropped, new KeyValuePair<string, object?>("reason", "QueueFull"));
        yield return new Measurement<long>(s.TransportBadChecksum, new KeyValuePair<string, object?>("reason", "TransportBadChecksum"));
        yield return new Measurement<long>(s.TransportMalformed, new KeyValuePair<string, object?>("reason", "TransportMalformed"));
    }

    private IEnumerable<Measurement<long>> BaseExchangeMeasurements()
    {
        var s = Snapshot;
        yield return new Measurement<long>(s.Established, new KeyValuePair<string, object?>("result", "established"));
        yield return new Measurement<long>(s.Failed, new KeyValuePair<string, object?>("result", "failed"));
    }

    private IEnumerable<Measurement<int>> AssociationMeasurements()
    {
        var s = Snapshot;
        for (int i = 0; i < MetricsSnapshot.States.Length; i++)
        {
            yield return new Measurement<int>(s.AssociationsByState[i], new KeyValuePair<string, object?>("state", AssociationStateNames.Of(MetricsSnapshot.States[i])));
        }
    }

    private IEnumerable<Measurement<int>> RegistrationMeasurements()
    {
        var s = Snapshot;
        for (int i = 0; i < MetricsSnapshot.Services.Length; i++)
        {
            var service = new KeyValuePair<string, object?>("service", SettingParsers.ServiceName(MetricsSnapshot.Services[i]));
            yield return new Measurement<int>(s.ClientRegistrations[i], new KeyValuePair<string, object?>("role", "client"), service);
            yield return new Measurement<int>(s.ServerRegistrations[i], new KeyValuePair<string, object?>("role", "server"), service);
        }
    }

    private IEnumerable<Measurement<long>> TransportMeasurements()
    {
        var s = Snapshot;
        yield return new Measurement<long>(s.TransportReceived, new KeyValuePair<string, object?>("direction", "received"));
        yield return new Measurement<long>(s.TransportSent, new KeyValuePair<string, object?>("direction", "sent"));
    }

    private IEnumerable<Measurement<long>> TransportErrorMeasurements()
    {
        var s = Snapshot;
        yield return new Measurement<long>(s.TransportReceiveErrors, new KeyValuePair<string, object?>("direction", "received"));
        yield return new Measurement<long>(s.TransportSendErrors, new KeyValuePair<string, object?>("direction", "sent"));
    }

    private IEnumerable<Measurement<long>> TurnPacketMeasurements()
    {
        var s = Snapshot;
        yield return new Measurement<long>(s.TurnControlPacketsOut, new KeyValuePair<string, object?>("direction", "out"), new KeyValuePair<string, object?>("kind", "control"));
        yield return new Measurement<long>(s.TurnControlPacketsIn, new KeyValuePair<string, object?>("direction", "in"), new KeyValuePair<string, object?>("kind", "control"));
        yield return new Measurement<long>(s.TurnEspPacketsOut, new KeyValuePair<string, object?>("direction", "out"), new KeyValuePair<string, object?>("kind", "esp"));
        yield return new Measurement<long>(s.TurnEspPacketsIn, new KeyValuePair<string, object?>("direction", "in"), new KeyValuePair<string, object?>("kind", "esp"));
    }

    private IEnumerable<Measurement<long>> TurnByteMeasurements()
    {
        var s = Snapshot;
        yield return new Measurement<long>(s.TurnBytesOut, new KeyValuePair<string, object?>("direction", "out"));
        yield return new Measurement<long>(s.TurnBytesIn, new KeyValuePair<string, object?>("direction", "in"));
    }
}
