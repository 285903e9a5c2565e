using Hipnat.Runtime.Transports;

namespace Hipnat.Runtime.Turn;

/// <summary>
/// Sits in front of the data plane on the UDP receive threads: ChannelData on a channel one of our TURN
/// allocations has bound (first two bits 01, RFC 8656 §12) is unwrapped in place and, when it carries ESP, handed
/// to <paramref name="inner"/>; ChannelData carrying HIP control (or anything else) is left to the driver, which
/// unwraps it with the TURN client and gives it to the core as arriving on the relayed address. Everything else
/// goes to <paramref name="inner"/> unchanged. An ESP datagram whose SPI happens to look like a bound channel and
/// the exact length is taken for ChannelData; the unwrapped bytes then fail the SA lookup and are counted as a drop.
/// </summary>
internal sealed class TurnEspReceiver(IEspReceiver inner, TurnRelayTable table) : IEspReceiver
{
    public bool TryReceive(ReadOnlySpan<byte> datagram)
    {
        if (datagram[0] is >= 0x40 and <= 0x4F && table.HasChannels
            && TurnFraming.TryUnwrap(datagram, out ushort channel, out var data) && table.IsBound(channel))
        {
            if (!TurnFraming.IsEsp(data))
            {
                return false;
            }

            table.CountEspIn(data.Length);
            return inner.TryReceive(data);
        }

        return inner.TryReceive(datagram);
    }

    public bool TryReceive(ReadOnlySpan<byte> datagram, in Core.Transport.TransportAddress local, in Core.Transport.TransportAddress from)
    {
        if (datagram[0] is >= 0x40 and <= 0x4F && table.HasChannels)
        {
            return TryReceive(datagram); // through a TURN server: its address says nothing of the peer's
        }

        return inner.TryReceive(datagram, local, from);
    }

    public void BeginBatch() => inner.BeginBatch();

    public void EndBatch() => inner.EndBatch();
}
