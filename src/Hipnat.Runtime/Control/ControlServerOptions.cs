namespace Hipnat.Runtime.Control;

/// <summary>Limits and access rules of a <see cref="ControlServer"/>.</summary>
public sealed record ControlServerOptions
{
    /// <summary>Connections served at once by default; more are answered with an error and closed.</summary>
    public const int DefaultMaxConnections = 16;

    /// <summary>Time a client has to send a complete request line, by default.</summary>
    public static readonly TimeSpan DefaultRequestTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Who may connect; null: root and this process's effective user.</summary>
    public ControlAccessPolicy? Access { get; init; }

    public int MaxConnections { get; init; } = DefaultMaxConnections;

    /// <summary>
    /// A client must send each complete request line within this time of the server waiting for it (of connecting,
    /// or of the previous reply); otherwise it is answered with an error and closed.
    /// </summary>
    public TimeSpan RequestTimeout { get; init; } = DefaultRequestTimeout;

    /// <summary>Called once for each refused connection with the reason (not-allowed, busy, idle, too-long).</summary>
    public Action<string>? Refused { get; init; }

    /// <summary>Tests only: called with the socket file's temporary name right after bind(2), before its mode and group are set.</summary>
    internal Action<string>? AfterBind { get; init; }
}
