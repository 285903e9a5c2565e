namespace Hipnat.Simulator.Tests;

/// <summary>A node that records what it receives and optionally reacts through callbacks.</summary>
internal sealed class RecordingNode : ISimNode
{
    public List<ReceivedDatagram> Received { get; } = [];

    public List<TimeSpan> TimerFirings { get; } = [];

    public Action<SimContext, SimEndpoint, SimEndpoint, byte[]>? OnReceive { get; set; }

    public Action<SimContext>? OnTimerFired { get; set; }

    public void OnDatagram(SimContext ctx, SimEndpoint local, SimEndpoint remote, ReadOnlySpan<byte> payload)
    {
        var data = payload.ToArray();
        Received.Add(new ReceivedDatagram(ctx.Now, local, remote, data));
        OnReceive?.Invoke(ctx, local, remote, data);
    }

    public void OnTimer(SimContext ctx)
    {
        TimerFirings.Add(ctx.Now);
        OnTimerFired?.Invoke(ctx);
    }
}
