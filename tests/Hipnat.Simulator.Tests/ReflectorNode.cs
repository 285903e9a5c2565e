using System.Text;

namespace Hipnat.Simulator.Tests;

/// <summary>A STUN-like server: answers every datagram with the text of the source endpoint it observed.</summary>
internal sealed class ReflectorNode : ISimNode
{
    public void OnDatagram(SimContext ctx, SimEndpoint local, SimEndpoint remote, ReadOnlySpan<byte> payload) =>
        ctx.Send(local, remote, Encoding.ASCII.GetBytes(remote.ToString()));

    public void OnTimer(SimContext ctx)
    {
    }

    public static SimEndpoint Decode(byte[] payload) => SimEndpoint.Parse(Encoding.ASCII.GetString(payload));
}
