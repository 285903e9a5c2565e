using System.Globalization;
using System.Text;

namespace Hipnat.Simulator;

/// <summary>One packet event with its virtual timestamp.</summary>
/// <param name="Time">Virtual time since simulation start.</param>
/// <param name="Kind">What happened.</param>
/// <param name="PacketId">Identifier of the datagram (copies made by duplication keep it; 0 for mapping events).</param>
/// <param name="Where">Name of the host or NAT where it happened.</param>
/// <param name="Source">Source endpoint before any translation at this step.</param>
/// <param name="Destination">Destination endpoint before any translation at this step.</param>
/// <param name="Length">Payload length in bytes.</param>
/// <param name="Reason">Why the packet was dropped, for <see cref="TraceKind.Dropped"/>.</param>
/// <param name="NewSource">Source after translation, for <see cref="TraceKind.Translated"/> and <see cref="TraceKind.Hairpinned"/>.</param>
/// <param name="NewDestination">Destination after translation.</param>
public readonly record struct TraceRecord(
    TimeSpan Time,
    TraceKind Kind,
    long PacketId,
    string Where,
    SimEndpoint Source,
    SimEndpoint Destination,
    int Length,
    DropReason Reason,
    SimEndpoint NewSource,
    SimEndpoint NewDestination)
{
    /// <summary>A stable one-line rendering, identical for identical runs.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder(96);
        AppendTime(sb, Time);
        sb.Append(' ').Append(Kind.ToString()).Append(" #").Append(PacketId.ToString(CultureInfo.InvariantCulture));
        sb.Append(' ').Append(Where).Append(' ').Append(Source.ToString()).Append(" -> ").Append(Destination.ToString());
        switch (Kind)
        {
            case TraceKind.MappingCreated:
            case TraceKind.MappingExpired:
                break;
            default:
                sb.Append(" len=").Append(Length.ToString(CultureInfo.InvariantCulture));
                break;
        }

        if (Kind == TraceKind.Dropped)
        {
            sb.Append(" reason=").Append(Reason.ToString());
        }

        if (Kind is TraceKind.Translated or TraceKind.Hairpinned)
        {
            sb.Append(" => ").Append(NewSource.ToString()).Append(" -> ").Append(NewDestination.ToString());
        }

        return sb.ToString();
    }

    /// <summary>Formats a virtual time as seconds with 100 ns precision, e.g. "12.3456789".</summary>
    internal static void AppendTime(StringBuilder sb, TimeSpan time)
    {
        long ticks = time.Ticks;
        sb.Append((ticks / TimeSpan.TicksPerSecond).ToString(CultureInfo.InvariantCulture))
          .Append('.')
          .Append((ticks % TimeSpan.TicksPerSecond).ToString("D7", CultureInfo.InvariantCulture));
    }
}
