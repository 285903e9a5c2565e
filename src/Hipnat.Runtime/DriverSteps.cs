namespace Hipnat.Runtime;

/// <summary>
/// The steps of the daemon's driver loop, as named in logs and in the metric hipnat.driver.step_failures{step}. Each
/// turn runs them in this order; an exception in one is counted and logged and the loop carries on with the next.
/// </summary>
public static class DriverSteps
{
    /// <summary>Work posted to the driver: control requests, address changes, the data plane's reports.</summary>
    public const string Work = "work";

    /// <summary>Received datagrams into the core (each datagram is guarded on its own too).</summary>
    public const string Datagrams = "datagrams";

    /// <summary>The core's retransmission and expiry timers.</summary>
    public const string Timers = "timers";

    /// <summary>The ESP data plane's tick (path liveness, SA lifetimes).</summary>
    public const string DataPlane = "data-plane";

    /// <summary>Registering with relays and keeping the registrations.</summary>
    public const string Registrations = "registrations";

    /// <summary>STUN Binding requests for server-reflexive candidates.</summary>
    public const string Stun = "stun";

    /// <summary>TURN allocations, refreshes, permissions and channels.</summary>
    public const string Turn = "turn";

    /// <summary>Answering "connect" requests whose time is up.</summary>
    public const string Waiters = "waiters";

    /// <summary>Sending what the core queued and handling its events.</summary>
    public const string Flush = "flush";

    /// <summary>One event of the core (log line, connect answer, registration bookkeeping, data plane).</summary>
    public const string Events = "events";

    /// <summary>Working out how long to sleep until the next timer.</summary>
    public const string SleepTime = "sleep-time";

    /// <summary>Releasing TURN allocations when the daemon stops.</summary>
    public const string TurnRelease = "turn-release";
}
