using System.Collections.Concurrent;
using System.Threading.Channels;
using Hipnat.Core.Transport;

namespace Hipnat.Runtime;

/// <summary>
/// Everything that reaches the driver thread from other threads: datagrams from the transports' receive threads
/// and work items from the control socket. One event wakes the driver for either, or when <see cref="Wake"/> is called.
/// Datagrams go to one of two bounded queues (when one is full new datagrams are dropped and counted, like a full
/// socket buffer): I1 and I2, the base-exchange work anyone can send, wait in a small queue of their own; everything
/// else (ESP, UPDATE, NOTIFY, CLOSE, R1, R2, STUN, TURN) goes first, so a flood of I1/I2 cannot delay the traffic,
/// keepalives and timers of established associations. The base-exchange queue still gets one datagram after every
/// <see cref="PriorityRun"/> from the other queue, so it is never starved.
/// </summary>
public sealed class DriverInbox : IDisposable
{
    public const int DefaultCapacity = 4096;

    /// <summary>Default bound of the I1/I2 queue: a few hundred milliseconds of DH and signature work.</summary>
    public const int DefaultBaseExchangeCapacity = 256;

    /// <summary>Datagrams taken from the priority queue before one waiting I1/I2 is taken.</summary>
    public const int PriorityRun = 8;

    private readonly Channel<ReceivedDatagram> _datagrams;
    private readonly Channel<ReceivedDatagram> _baseExchange;
    private readonly ConcurrentQueue<Action> _work = new();
    private readonly ManualResetEventSlim _signal = new(false, spinCount: 0);
    private long _dropped;
    private long _droppedBaseExchange;
    private int _run;

    public DriverInbox(int capacity = DefaultCapacity, int baseExchangeCapacity = DefaultBaseExchangeCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(baseExchangeCapacity, 1);
        _datagrams = Channel.CreateBounded<ReceivedDatagram>(Bounded(capacity));
        _baseExchange = Channel.CreateBounded<ReceivedDatagram>(Bounded(baseExchangeCapacity));
    }

    /// <summary>Datagrams dropped because the driver fell behind (both queues).</summary>
    public long Dropped => Interlocked.Read(ref _dropped) + DroppedBaseExchange;

    /// <summary>I1 and I2 datagrams dropped because their queue was full.</summary>
    public long DroppedBaseExchange => Interlocked.Read(ref _droppedBaseExchange);

    /// <summary>
    /// True for a datagram carrying an I1 or I2 (RFC 7401 §5.3.1, §5.3.3): over UDP after the RFC 9028 §5.1 zero
    /// marker, or a raw HIP packet; the packet type is the low 7 bits of the third octet of the HIP header (§5.1).
    /// A cheap look at two octets, on the receive thread; the core validates everything later.
    /// </summary>
    public static bool IsBaseExchange(in ReceivedDatagram datagram)
    {
        var p = datagram.Payload;
        int hip;
        if (datagram.Local.Kind == TransportKind.RawHip)
        {
            hip = 0;
        }
        else if (p.Length >= 4 + 8 && p[0] == 0 && p[1] == 0 && p[2] == 0 && p[3] == 0)
        {
            hip = 4;
        }
        else
        {
            return false; // ESP (non-zero SPI), STUN, TURN
        }

        if (p.Length < hip + 8)
        {
            return false;
        }

        int type = p[hip + 2] & 0x7F;
        return type is 1 or 3; // I1, I2
    }

    /// <summary>Called by receive threads. On a full queue the datagram's buffer is released and it is counted as dropped.</summary>
    public bool PostDatagram(in ReceivedDatagram datagram)
    {
        bool baseExchange = IsBaseExchange(datagram);
        if (!(baseExchange ? _baseExchange : _datagrams).Writer.TryWrite(datagram))
        {
            datagram.Release();
            Interlocked.Increment(ref baseExchange ? ref _droppedBaseExchange : ref _dropped);
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

    /// <summary>Driver thread: take the next datagram, if any: the priority queue first, except that one waiting
    /// I1/I2 is taken after every <see cref="PriorityRun"/> priority datagrams.</summary>
    public bool TryTakeDatagram(out ReceivedDatagram datagram)
    {
        if (_run >= PriorityRun && _baseExchange.Reader.TryRead(out datagram))
        {
            _run = 0;
            return true;
        }

        if (_datagrams.Reader.TryRead(out datagram))
        {
            _run++;
            return true;
        }

        _run = 0;
        return _baseExchange.Reader.TryRead(out datagram);
    }

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

        while (_baseExchange.Reader.TryRead(out var d))
        {
            d.Release();
        }
    }

    private static BoundedChannelOptions Bounded(int capacity) => new(capacity)
    {
        SingleReader = true,
        SingleWriter = false,
        FullMode = BoundedChannelFullMode.Wait,
        AllowSynchronousContinuations = false,
    };

    public void Dispose()
    {
        DrainAndRelease();
        _signal.Dispose();
    }
}
