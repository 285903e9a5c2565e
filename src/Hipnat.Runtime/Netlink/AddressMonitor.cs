using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hipnat.Runtime.Netlink;

/// <summary>
/// Watches the host's links and addresses through rtnetlink (rtnetlink(7)). It joins RTMGRP_LINK,
/// RTMGRP_IPV4_IFADDR, RTMGRP_IPV6_IFADDR, RTMGRP_IPV4_ROUTE and RTMGRP_IPV6_ROUTE; a dedicated thread blocks in
/// poll(2) on that socket (and an eventfd that <see cref="Dispose"/> signals). A change is debounced: once
/// <see cref="Debounce"/> has passed without another message (or <see cref="MaxDelay"/> since the first, so a
/// storm still reports) the monitor dumps links and addresses afresh (RTM_GETLINK, RTM_GETADDR) on a second
/// socket and, when the snapshot differs from the last one, raises <see cref="Changed"/> on its thread. Lost
/// notifications (ENOBUFS, the socket overran) are recovered by the same fresh dump. Malformed messages are counted
/// and skipped; nothing the kernel sends makes the thread throw.
/// </summary>
public sealed class AddressMonitor : IDisposable
{
    public static readonly TimeSpan DefaultDebounce = TimeSpan.FromMilliseconds(50);

    /// <summary>RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_IFADDR | RTMGRP_IPV6_ROUTE (linux/rtnetlink.h).</summary>
    private const uint Groups = 0x1 | 0x10 | 0x40 | 0x100 | 0x400;

    private const int ReceiveBufferSize = 1 << 20;

    /// <summary>Large enough for any rtnetlink datagram (dumps are sent in chunks of at most 32 KiB).</summary>
    private const int DatagramBufferSize = 64 * 1024;

    private const int DumpAttempts = 5;

    private static readonly TimeSpan DumpTimeout = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan DumpRetry = TimeSpan.FromSeconds(1);

    private readonly ILogger _logger;
    private readonly NetlinkSocket _events;
    private readonly NetlinkSocket _dumps;
    private readonly int _wake;
    private readonly byte[] _buffer = new byte[DatagramBufferSize];
    private readonly List<NetlinkMessage> _messages = [];
    private InterfaceSnapshot _snapshot;
    private Thread? _thread;
    private uint _sequence;
    private long _malformed;
    private long _overruns;
    private long _reports;
    private volatile bool _stopping;
    private int _disposed;

    /// <summary>
    /// Opens the sockets in the calling thread's network namespace, subscribes, and takes the first snapshot
    /// (subscribing first, so no change between the two is missed). Throws <see cref="IOException"/> when rtnetlink
    /// cannot be opened. <paramref name="maxDelay"/> defaults to ten times the debounce, at least 500 ms.
    /// </summary>
    public AddressMonitor(TimeSpan? debounce = null, TimeSpan? maxDelay = null, ILogger? logger = null)
    {
        Debounce = debounce ?? DefaultDebounce;
        ArgumentOutOfRangeException.ThrowIfLessThan(Debounce, TimeSpan.Zero, nameof(debounce));
        MaxDelay = maxDelay ?? TimeSpan.FromTicks(Math.Max(Debounce.Ticks * 10, TimeSpan.FromMilliseconds(500).Ticks));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDelay, Debounce, nameof(maxDelay));
        _logger = logger ?? NullLogger.Instance;
        _events = NetlinkSocket.Open(Groups, ReceiveBufferSize);
        try
        {
            _dumps = NetlinkSocket.Open(0, 0);
            _dumps.SetReceiveTimeout(DumpTimeout);
            _wake = NativeMethods.EventFd(0, NativeMethods.EfdCloexec | NativeMethods.EfdNonBlock);
            if (_wake < 0)
            {
                throw NetlinkSocket.Failure("eventfd");
            }

            _snapshot = Dump(_dumps, ref _sequence, _buffer, _messages, ref _malformed);
        }
        catch
        {
            _events.Dispose();
            _dumps?.Dispose();
            if (_wake > 0)
            {
                _ = NativeMethods.Close(_wake);
            }

            throw;
        }
    }

    /// <summary>Raised on the monitor's thread with each new snapshot. Handlers should be quick (post the work elsewhere).</summary>
    public event Action<InterfaceSnapshot>? Changed;

    /// <summary>Quiet time after the last message before the fresh snapshot is taken.</summary>
    public TimeSpan Debounce { get; }

    /// <summary>The longest a change waits for a snapshot while messages keep coming.</summary>
    public TimeSpan MaxDelay { get; }

    /// <summary>The latest snapshot (the first one is taken by the constructor).</summary>
    public InterfaceSnapshot Snapshot => Volatile.Read(ref _snapshot);

    /// <summary>Messages skipped because they did not parse.</summary>
    public long MalformedMessages => Interlocked.Read(ref _malformed);

    /// <summary>Times the notification socket overran (ENOBUFS) and the state was dumped again.</summary>
    public long Overruns => Interlocked.Read(ref _overruns);

    /// <summary>Snapshots reported through <see cref="Changed"/>.</summary>
    public long Reports => Interlocked.Read(ref _reports);

    /// <summary>
    /// One snapshot of the calling thread's network namespace without subscribing (start-up). Throws
    /// <see cref="IOException"/> when rtnetlink cannot be opened or does not answer.
    /// </summary>
    public static InterfaceSnapshot ReadSnapshot()
    {
        using var socket = NetlinkSocket.Open(0, 0);
        socket.SetReceiveTimeout(DumpTimeout);
        uint sequence = 0;
        long malformed = 0;
        return Dump(socket, ref sequence, new byte[DatagramBufferSize], [], ref malformed);
    }

    /// <summary>Starts the monitor's thread.</summary>
    public void Start()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_thread is not null)
        {
            throw new InvalidOperationException("the address monitor is already started");
        }

        _thread = new Thread(Run) { Name = "hipnat-netlink", IsBackground = true };
        _thread.Start();
    }

    /// <summary>Stops the thread (it wakes at once) and closes the sockets.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stopping = true;
        Span<byte> one = stackalloc byte[8];
        one.Clear();
        one[BitConverter.IsLittleEndian ? 0 : 7] = 1;
        _ = NativeMethods.Write(_wake, one, 8);
        if (_thread is not null && _thread != Thread.CurrentThread && !_thread.Join(TimeSpan.FromSeconds(5)))
        {
            // Do not close descriptors a live thread may still use; they go with the process.
            _logger.LogWarning("netlink monitor thread did not stop within 5 s");
            return;
        }

        _events.Dispose();
        _dumps.Dispose();
        _ = NativeMethods.Close(_wake);
    }

    private void Run()
    {
        var clock = Stopwatch.StartNew();
        bool pending = false;
        TimeSpan first = TimeSpan.Zero, due = TimeSpan.Zero;
        Span<NativeMethods.PollFd> fds = stackalloc NativeMethods.PollFd[2];
        while (!_stopping)
        {
            try
            {
                int timeout = -1;
                if (pending)
                {
                    var wait = due - clock.Elapsed;
                    timeout = wait <= TimeSpan.Zero ? 0 : (int)Math.Ceiling(wait.TotalMilliseconds);
                }

                fds[0] = new NativeMethods.PollFd { Fd = _events.Fd, Events = NativeMethods.PollIn };
                fds[1] = new NativeMethods.PollFd { Fd = _wake, Events = NativeMethods.PollIn };
                int ready = NativeMethods.Poll(fds, 2, timeout);
                if (ready < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno != NativeMethods.EIntr)
                    {
                        _logger.LogWarning("netlink monitor: poll failed (errno {Errno}); retrying", errno);
                        Thread.Sleep(100);
                    }

                    continue;
                }

                if (_stopping || fds[1].ReturnedEvents != 0)
                {
                    break;
                }

                // POLLERR without POLLIN is how an overrun shows; the receive then returns ENOBUFS.
                if (fds[0].ReturnedEvents != 0 && Drain())
                {
                    var now = clock.Elapsed;
                    if (!pending)
                    {
                        pending = true;
                        first = now;
                    }

                    // RFC-free debounce: wait for quiet, but never longer than MaxDelay after the first message.
                    due = Min(now + Debounce, first + MaxDelay);
                }

                if (pending && clock.Elapsed >= due)
                {
                    pending = false;
                    if (!TryReport())
                    {
                        pending = true;
                        first = clock.Elapsed;
                        due = first + DumpRetry;
                    }
                }
            }
            catch (Exception e)
            {
                _logger.LogError(e, "netlink monitor: unexpected error; carrying on");
                Thread.Sleep(100);
            }
        }
    }

    /// <summary>Reads everything queued on the notification socket; true when something changed (or was lost).</summary>
    private bool Drain()
    {
        bool changed = false;
        while (true)
        {
            int n = _events.Receive(_buffer, dontWait: true, out int errno);
            if (n < 0)
            {
                if (errno == NativeMethods.ENoBufs)
                {
                    // netlink(7): the socket's buffer overran and notifications were dropped; a fresh dump recovers.
                    Interlocked.Increment(ref _overruns);
                    _logger.LogDebug("netlink monitor: notifications lost (ENOBUFS); dumping again");
                    changed = true;
                    continue;
                }

                if (errno != NativeMethods.EAgain)
                {
                    _logger.LogWarning("netlink monitor: recv failed (errno {Errno})", errno);
                }

                return changed;
            }

            if (n > _buffer.Length)
            {
                Interlocked.Increment(ref _malformed);
                changed = true;
                continue;
            }

            _messages.Clear();
            int malformed = NetlinkParser.Parse(_buffer.AsSpan(0, n), _messages);
            if (malformed > 0)
            {
                Interlocked.Add(ref _malformed, malformed);
                _logger.LogDebug("netlink monitor: {Count} malformed message(s) skipped", malformed);
            }

            foreach (var m in _messages)
            {
                changed |= m.IsChange || m.Kind == NetlinkMessageKind.Overrun;
            }
        }
    }

    /// <summary>Takes a fresh snapshot and reports it when it differs; false when the dump failed.</summary>
    private bool TryReport()
    {
        InterfaceSnapshot fresh;
        try
        {
            fresh = Dump(_dumps, ref _sequence, _buffer, _messages, ref _malformed);
        }
        catch (IOException e)
        {
            _logger.LogWarning("netlink monitor: {Message}; trying again in {Seconds} s", e.Message, DumpRetry.TotalSeconds);
            return false;
        }

        if (fresh.SameAs(Snapshot))
        {
            return true;
        }

        Volatile.Write(ref _snapshot, fresh);
        Interlocked.Increment(ref _reports);
        try
        {
            Changed?.Invoke(fresh);
        }
        catch (Exception e)
        {
            _logger.LogError(e, "netlink monitor: a change handler failed");
        }

        return true;
    }

    /// <summary>RTM_GETLINK then RTM_GETADDR (every family) on <paramref name="socket"/>; retried when the kernel marks a dump interrupted.</summary>
    private static InterfaceSnapshot Dump(NetlinkSocket socket, ref uint sequence, byte[] buffer, List<NetlinkMessage> messages, ref long malformed)
    {
        for (int attempt = 1; ; attempt++)
        {
            var links = new List<InterfaceLink>();
            var addresses = new List<InterfaceAddress>();
            bool interrupted = DumpOne(socket, NetlinkParser.RtmGetLink, ++sequence, buffer, messages, ref malformed, links, addresses);
            interrupted |= DumpOne(socket, NetlinkParser.RtmGetAddr, ++sequence, buffer, messages, ref malformed, links, addresses);
            if (!interrupted || attempt == DumpAttempts)
            {
                return new InterfaceSnapshot(links, addresses);
            }
        }
    }

    /// <summary>One dump, read up to its NLMSG_DONE. True when NLM_F_DUMP_INTR says it was inconsistent.</summary>
    private static bool DumpOne(NetlinkSocket socket, ushort type, uint sequence, byte[] buffer, List<NetlinkMessage> messages, ref long malformed,
        List<InterfaceLink> links, List<InterfaceAddress> addresses)
    {
        socket.Send(NetlinkParser.DumpRequest(type, sequence));
        bool interrupted = false;
        while (true)
        {
            int n = socket.Receive(buffer, dontWait: false, out int errno);
            if (n < 0)
            {
                throw new IOException(errno == NativeMethods.EAgain
                    ? $"netlink: no answer to a dump request within {DumpTimeout.TotalSeconds} s"
                    : $"netlink: recv failed during a dump (errno {errno})");
            }

            if (n > buffer.Length)
            {
                throw new IOException($"netlink: a dump datagram of {n} octets did not fit the {buffer.Length}-octet buffer");
            }

            messages.Clear();
            malformed += NetlinkParser.Parse(buffer.AsSpan(0, n), messages);
            foreach (var m in messages)
            {
                if (m.Sequence != sequence)
                {
                    continue;
                }

                interrupted |= (m.HeaderFlags & NetlinkMessage.FlagDumpInterrupted) != 0;
                switch (m.Kind)
                {
                    case NetlinkMessageKind.Done:
                        return interrupted;
                    case NetlinkMessageKind.Error when m.Error != 0:
                        throw new IOException($"netlink: dump request {type} refused (errno {-m.Error})");
                    case NetlinkMessageKind.NewLink:
                        links.Add(m.Link!);
                        break;
                    case NetlinkMessageKind.NewAddress:
                        addresses.Add(m.Address!);
                        break;
                }
            }
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
