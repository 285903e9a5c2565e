using System.Globalization;
using System.Text;

namespace Hipnat.Simulator;

/// <summary>Network-wide counters of a <see cref="Simulation"/>.</summary>
public sealed class SimStatistics
{
    private readonly long[] _droppedBy = new long[Enum.GetValues<DropReason>().Length];

    /// <summary>Datagrams handed to the network by nodes.</summary>
    public long Sent { get; internal set; }

    /// <summary>Payload bytes handed to the network by nodes.</summary>
    public long BytesSent { get; internal set; }

    /// <summary>Datagrams (including duplicates) delivered to nodes.</summary>
    public long Delivered { get; internal set; }

    /// <summary>Payload bytes delivered to nodes.</summary>
    public long BytesDelivered { get; internal set; }

    /// <summary>Extra copies created by link duplication.</summary>
    public long Duplicated { get; internal set; }

    /// <summary>Datagrams (including duplicates) discarded for any reason.</summary>
    public long Dropped { get; internal set; }

    /// <summary>NAT address translations (outbound and inbound, all NATs).</summary>
    public long Translated { get; internal set; }

    /// <summary>Packets looped back by hairpinning NATs.</summary>
    public long Hairpinned { get; internal set; }

    /// <summary>Node timers that fired.</summary>
    public long TimersFired { get; internal set; }

    /// <summary>Events taken off the queue (deliveries, NAT hops, timers, scheduled actions).</summary>
    public long EventsProcessed { get; internal set; }

    /// <summary>Datagrams discarded for <paramref name="reason"/>.</summary>
    public long DroppedBy(DropReason reason) => _droppedBy[(int)reason];

    internal void CountDrop(DropReason reason)
    {
        _droppedBy[(int)reason]++;
        Dropped++;
    }

    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"sent={Sent} delivered={Delivered} duplicated={Duplicated} dropped={Dropped}");
        for (int i = 1; i < _droppedBy.Length; i++)
        {
            if (_droppedBy[i] != 0)
            {
                sb.Append(CultureInfo.InvariantCulture, $" {(DropReason)i}={_droppedBy[i]}");
            }
        }

        sb.Append(CultureInfo.InvariantCulture, $" translated={Translated} hairpinned={Hairpinned} timers={TimersFired} events={EventsProcessed}");
        return sb.ToString();
    }
}
