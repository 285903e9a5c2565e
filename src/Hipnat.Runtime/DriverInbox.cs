using System.Collections.Concurrent;
using System.Threading.Channels;

namespace Hipnat.Runtime;

/// <summary>
/// Everything that reaches the driver thread from other threads: datagrams from the transports' receive threads
/// (a bounded queue; when it is full new datagrams are dropped and counted, like a full socket buffer) and work
/// items from the control socket. One event wakes the driver for either, or when <see cref="Wake"/> is called.
/// </summary>
public sealed class DriverInbox : IDisposable
{
    public const int DefaultCapacity = 4096;

    private readonly Channel<ReceivedDatagram> _datagrams;
    private readonly ConcurrentQueue<Action> _work = new();
    private readonly ManualResetEventSlim _signal = new(false, spinCount: 0);
    private long _dropped;

    public DriverInbox(int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _datagrams = Channel.CreateBounded<ReceivedDatagram>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
            AllowSynchronousContinuations = false,
        });
    }

    /// <summary>Datagrams dropped because the driver fell behind.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Called by receive threads. On a full queue the datagram's buffer is released and it is counted as dropped.</summary>
    public bool PostDatagram(in ReceivedDatagram datagram)
    {
        if (!_datagrams.Writer.TryWrite(datagram))
        {
            datagram.Release();
            Interlocked.Increment(ref _dropped);
            return false;
        }

        _signal.Set();
        return true;
    }

    /// <summary>Queues work to run on the driver thread.</summary>
    public void PostWork(Action work)
    {
        _work.Enqueue(work);
        _signal.Set();
    }

    public void Wake() => _signal.Set();

    /// <summary>Driver thread: take the next datagram, if any.</summary>
    public bool TryTakeDatagram(out ReceivedDatagram datagram) => _datagrams.Reader.TryRead(out datagram);

    /// <summary>Driver thread: take the next work item, if any.</summary>
    public bool TryTakeWork(out Action? work) => _work.TryDequeue(out work);

    /// <summary>Driver thread: clear the wake-up signal before draining, so anything posted afterwards wakes the next wait.</summary>
    public void ResetSignal() => _signal.Reset();

    /// <summary>Driver thread: sleep until something is posted or the timeout passes.</summary>
    public void Wait(TimeSpan timeout)
    {
        if (timeout <= TimeSpan.Zero)
        {
            return;
        }

        _signal.Wait(timeout);
    }

    /// <summary>Releases every queued datagram's buffer (at shutdown).</summary>
    public void DrainAndRelease()
    {
        while (_datagrams.Reader.TryRead(out var d))
        {
            d.Release();
        }
    }

    public void Dispose()
    {
        DrainAndRelease();
        _signal.Dispose();
    }
}
