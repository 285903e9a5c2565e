using Hipnat.DataPlane.Tun;

namespace Hipnat.Runtime.DataPlane;

/// <summary>
/// Writes to a multi-queue TUN device through the queue of the packet's flow (<see cref="FlowHash"/>). The kernel
/// sends a flow's outbound packets to the queue its packets were last written on (tun_flow_update), so each flow, in
/// and out, stays with one queue and one reader thread: its packets keep their order.
/// </summary>
internal sealed class MultiQueueWriter(IPacketWriter[] queues) : IPacketWriter
{
    public int VnetHeaderLength => queues[0].VnetHeaderLength;

    public bool TryWrite(ReadOnlySpan<byte> packet)
    {
        int header = VnetHeaderLength;
        uint hash = packet.Length > header ? FlowHash.Symmetric(packet[header..]) : 0;
        return queues[(int)(hash % (uint)queues.Length)].TryWrite(packet);
    }
}
