namespace Hipnat.Simulator;

/// <summary>A queued event. A struct, so queueing a packet allocates nothing beyond its pooled payload buffer.</summary>
internal struct SimEvent
{
    public SimEventKind Kind;

    /// <summary>NAT traversals so far (packets only).</summary>
    public int Hops;

    public int Length;

    /// <summary>A <see cref="SimInterface"/>, <see cref="NatBox"/>, <see cref="SimHost"/> or <see cref="System.Action"/>.</summary>
    public object? Target;

    public SimEndpoint Source;

    public SimEndpoint Destination;

    public byte[]? Buffer;

    /// <summary>The packet id, or the timer generation for timer events.</summary>
    public long Id;
}
