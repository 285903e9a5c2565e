namespace Hipnat.Simulator.Tests;

/// <summary>Answers every datagram with the same payload, back to where it came from.</summary>
internal sealed class EchoNode : ISimNode
{
    public long Echoed { get; private set; }

    public void OnDatagram(SimContext ctx, SimEndpoint local, SimEndpoint remote, ReadOnlySpan<byte> payload)
    {
        Echoed++;
        ctx.Send(local, remote, payload);
    }

    public void OnTimer(SimContext ctx)
    {
    }
}
