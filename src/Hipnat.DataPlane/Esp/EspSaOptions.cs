namespace Hipnat.DataPlane.Esp;

/// <summary>Local policy of one ESP SA. HIP negotiates no lifetimes; all of these are local (RFC 7402 §3.3.7).</summary>
public sealed record EspSaOptions
{
    public static EspSaOptions Default { get; } = new();

    /// <summary>
    /// 64-bit extended sequence numbers (RFC 4303 §2.2.1); RFC 7402 §3.3.6 makes them mandatory with HIP, so this
    /// is true by default. False gives plain 32-bit sequence numbers (interoperability and tests only).
    /// </summary>
    public bool ExtendedSequenceNumbers { get; init; } = true;

    /// <summary>Anti-replay window size W of an inbound SA (RFC 6479; at least 64).</summary>
    public int ReplayWindowSize { get; init; } = ReplayWindow.DefaultSize;

    /// <summary>
    /// <see cref="EspSa.NeedsRekey"/> turns true when fewer than this many sequence numbers are left before the
    /// counter would cycle (RFC 4303 §3.3.3: never cycle; RFC 7402 §3.3.6: rekey before 2^64).
    /// </summary>
    public ulong SequenceRekeyMargin { get; init; } = 1UL << 26;

    /// <summary>Soft limit on packets after which <see cref="EspSa.NeedsRekey"/> is true; null for none.</summary>
    public ulong? PacketLimit { get; init; }

    /// <summary>Soft limit on payload octets after which <see cref="EspSa.NeedsRekey"/> is true; null for none.</summary>
    public ulong? ByteLimit { get; init; }

    /// <summary>Soft lifetime after which <see cref="EspSa.NeedsRekey"/> is true; null for none.</summary>
    public TimeSpan? Lifetime { get; init; }

    /// <summary>Clock for lifetimes and last-use times.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
