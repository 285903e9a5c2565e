namespace Hipnat.Cli;

/// <summary>
/// What the user typed on <c>hipnat run</c> or <c>hipnat relay</c>, unparsed: <see cref="DaemonCommandLine.BuildSettings"/>
/// checks each value and names the flag in its error.
/// </summary>
internal sealed record DaemonFlags
{
    public string? ConfigFile { get; init; }

    public string? Key { get; init; }

    public IReadOnlyList<string> Listen { get; init; } = [];

    public IReadOnlyList<string> Peers { get; init; } = [];

    public bool Raw { get; init; }

    public string? Control { get; init; }

    public string? ControlGroup { get; init; }

    public string? LogLevel { get; init; }

    public string? LogFormat { get; init; }

    public string? Metrics { get; init; }

    public string? KeepaliveInterval { get; init; }

    public string? PeerTimeout { get; init; }

    // run: registering with relays

    public IReadOnlyList<string> Relays { get; init; } = [];

    public bool RelayEsp { get; init; }

    public bool NoRelayEsp { get; init; }

    public string? RegistrationLifetime { get; init; }

    // run: ICE policy

    public string? NatModes { get; init; }

    public string? IceCandidates { get; init; }

    public IReadOnlyList<string> IceInterfaces { get; init; } = [];

    public IReadOnlyList<string> IceIgnoreInterfaces { get; init; } = [];

    public string? IcePacing { get; init; }

    public string? IceRelayFallback { get; init; }

    public string? IceDirectRetry { get; init; }

    public string? IceNominationWait { get; init; }

    public bool IceAggressive { get; init; }

    public IReadOnlyList<string> StunServers { get; init; } = [];

    /// <summary>--multihoming: failover, hot-standby or load-balance.</summary>
    public string? Multihoming { get; init; }

    // relay: the registrar

    /// <summary>True for <c>hipnat relay</c>: registrar services are offered even without a "registrar" config section.</summary>
    public bool Registrar { get; init; }

    public IReadOnlyList<string> Allow { get; init; } = [];

    public bool AllowAny { get; init; }

    public string? Services { get; init; }

    public string? RelayAddress { get; init; }

    public string? RelayPorts { get; init; }

    public string? MaxClients { get; init; }

    public string? LifetimeMin { get; init; }

    public string? LifetimeMax { get; init; }
}
