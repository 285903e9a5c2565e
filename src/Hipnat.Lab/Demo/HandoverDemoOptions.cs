namespace Hipnat.Lab.Demo;

/// <summary>What <see cref="HandoverDemo"/> builds and how it reports.</summary>
public sealed record HandoverDemoOptions
{
    /// <summary>The longest gap after a new uplink that still counts as recovered.</summary>
    public static readonly TimeSpan RecoveryLimit = TimeSpan.FromSeconds(1);

    /// <summary>The hipnat.dll the daemons run (<c>dotnet hipnat.dll ...</c> inside the namespaces).</summary>
    public required string HipnatDll { get; init; }

    /// <summary>The NATs alice moves between (nat1 and nat3).</summary>
    public DemoNat AliceNat { get; init; } = DemoNat.Eim;

    /// <summary>The NAT in front of bob (nat2).</summary>
    public DemoNat BobNat { get; init; } = DemoNat.Eim;

    /// <summary>How many times alice moves (nat1 → nat3 → nat1 ...), or, with <see cref="Failover"/>, how many times the
    /// uplink she uses fails.</summary>
    public int Moves { get; init; } = 4;

    /// <summary>
    /// The failover scenario instead of moves: alice has a second uplink behind nat3 from the start, and the NAT of the
    /// uplink her association uses starts dropping everything (no link event on alice) for a few seconds each time.
    /// </summary>
    public bool Failover { get; init; }

    /// <summary>With <see cref="Failover"/>: how long the failed NAT drops everything before it works again.</summary>
    public TimeSpan FailureLength { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>How long alice has no link at each move (break-before-make).</summary>
    public TimeSpan Outage { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Where the SVG plot goes.</summary>
    public required string PlotPath { get; init; }

    /// <summary>Where the progress, time line and summary go.</summary>
    public TextWriter Output { get; init; } = Console.Out;
}
