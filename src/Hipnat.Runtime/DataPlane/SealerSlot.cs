using Hipnat.DataPlane.Esp;

namespace Hipnat.Runtime.DataPlane;

/// <summary>
/// One TUN queue reader among several sealing for the same SAs (<see cref="EspSa.TrySeal(ReadOnlySpan{byte}, byte, Span{byte}, int, out int, out bool)"/>):
/// its index, how it sends what it holds, and the SAs it sealed with since it last sent — each told once the batch
/// is out (<see cref="EspSa.MarkSent"/>), so the other readers may go on.
/// </summary>
internal sealed class SealerSlot(int index)
{
    private readonly List<EspSa> _touched = [];

    public int Index { get; } = index;

    /// <summary>Sends the reader's batch (set by the reader once its buffers exist).</summary>
    public Action Flush { get; set; } = static () => { };

    /// <summary>Times this reader waited for another to send first.</summary>
    public long Waits { get; set; }

    public void Note(EspSa sa)
    {
        foreach (var t in _touched)
        {
            if (ReferenceEquals(t, sa))
            {
                return;
            }
        }

        _touched.Add(sa);
    }

    /// <summary>The batch is out: every SA it used hears so.</summary>
    public void Sent()
    {
        foreach (var sa in _touched)
        {
            sa.MarkSent(Index);
        }

        _touched.Clear();
    }
}
