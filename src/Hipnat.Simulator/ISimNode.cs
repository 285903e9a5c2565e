namespace Hipnat.Simulator;

/// <summary>
/// A node driven by the <see cref="Simulation"/>. Nodes are sans-IO state machines: they only act when the
/// simulation hands them a datagram or fires their timer, and they talk back through the <see cref="SimContext"/>.
/// </summary>
public interface ISimNode
{
    /// <summary>A datagram arrived on one of this node's addresses. <paramref name="payload"/> is only valid during the call.</summary>
    void OnDatagram(SimContext ctx, SimEndpoint local, SimEndpoint remote, ReadOnlySpan<byte> payload);

    /// <summary>The timer set through <see cref="SimContext.SetTimer"/> fired (one timer per node; re-arming replaces it).</summary>
    void OnTimer(SimContext ctx);
}
