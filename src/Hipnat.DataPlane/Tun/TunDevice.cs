using System.Runtime.InteropServices;
using System.Text;

namespace Hipnat.DataPlane.Tun;

/// <summary>
/// A Linux TUN interface (<c>/dev/net/tun</c>, IFF_TUN | IFF_NO_PI): every read returns one IP packet the local stack
/// routed to the interface, every write injects one IP packet into the stack. The interface exists while the
/// device is open (it is not made persistent). Addresses, routes and MTU are set with <see cref="TunConfigurator"/>.
/// </summary>
/// <remarks>
/// The descriptor is non-blocking; <see cref="TryRead"/> and <see cref="TryWrite"/> wait in poll(2) on it and on an
/// eventfd, so <see cref="Shutdown"/> wakes every waiting thread at once and they return false. Reads and writes
/// allocate nothing. Several threads may read and write concurrently (each call is one syscall on one packet); with
/// <c>multiQueue</c>, each <see cref="Create"/> with the same name attaches another queue, for one reader per queue.
/// Requires CAP_NET_ADMIN.
/// </remarks>
public sealed unsafe class TunDevice : IDisposable
{
    private const string ClonePath = "/dev/net/tun";

    private readonly FileDescriptorHandle _tun;
    private readonly FileDescriptorHandle _wake;
    private volatile bool _shutdown;

    private TunDevice(FileDescriptorHandle tun, FileDescriptorHandle wake, string name, int vnetHeaderLength, TunOffloads offloads)
    {
        _tun = tun;
        _wake = wake;
        Name = name;
        VnetHeaderLength = vnetHeaderLength;
        Offloads = offloads;
    }

    /// <summary>
    /// <see cref="VirtioNetHeader.Size"/> when the device was opened with IFF_VNET_HDR: then every buffer read
    /// starts with a virtio_net_hdr in front of the packet, and every buffer written must; 0 for plain packets.
    /// </summary>
    public int VnetHeaderLength { get; }

    /// <summary>The offloads the kernel accepted (TUNSETOFFLOAD): what reads may hand over unfinished.</summary>
    public TunOffloads Offloads { get; }

    /// <summary>Every offload the data plane can finish itself, in the order they are given up when refused.</summary>
    public const TunOffloads AllOffloads =
        TunOffloads.Checksum | TunOffloads.Tso4 | TunOffloads.Tso6 | TunOffloads.TsoEcn | TunOffloads.Uso4 | TunOffloads.Uso6;

    /// <summary>The interface name the kernel assigned (the requested one, or the expansion of a pattern such as <c>hip%d</c>).</summary>
    public string Name { get; }

    /// <summary>True once <see cref="Shutdown"/> (or <see cref="Dispose"/>) was called.</summary>
    public bool IsShutdown => _shutdown;

    /// <summary>
    /// Opens <c>/dev/net/tun</c> and attaches it to the TUN interface <paramref name="name"/> (at most 15 characters),
    /// creating the interface if needed (TUNSETIFF with IFF_TUN | IFF_NO_PI: plain IP packets without the 4-octet
    /// packet information header).
    /// </summary>
    /// <param name="offloads">
    /// Offloads to ask for (<see cref="AllOffloads"/> for all): the device is then opened with IFF_VNET_HDR and
    /// TUNSETOFFLOAD, giving up USO, then ECN, then TSO, as the kernel refuses them (Documentation/networking/tuntap.rst);
    /// where IFF_VNET_HDR itself is refused, the device is plain. <see cref="VnetHeaderLength"/> and
    /// <see cref="Offloads"/> say what was granted.
    /// </param>
    /// <exception cref="IOException">The device cannot be opened or attached (errno in the message; EPERM without CAP_NET_ADMIN).</exception>
    public static TunDevice Create(string name, bool multiQueue = false, TunOffloads offloads = TunOffloads.None)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (Encoding.UTF8.GetByteCount(name) >= TunNativeMethods.IfNameSize)
        {
            throw new ArgumentException($"'{name}': interface names have at most {TunNativeMethods.IfNameSize - 1} octets", nameof(name));
        }

        int fd = TunNativeMethods.Open(ClonePath, TunNativeMethods.ORdWr | TunNativeMethods.ONonBlock | TunNativeMethods.OCloExec);
        if (fd < 0)
        {
            throw LastError($"open {ClonePath}");
        }

        var tun = new FileDescriptorHandle(fd);
        try
        {
            byte* ifr = stackalloc byte[TunNativeMethods.IfReqSize];
            var request = new Span<byte>(ifr, TunNativeMethods.IfReqSize);
            request.Clear();
            Encoding.UTF8.GetBytes(name, request[..(TunNativeMethods.IfNameSize - 1)]);
            short flags = (short)(TunNativeMethods.IffTun | TunNativeMethods.IffNoPi | (multiQueue ? TunNativeMethods.IffMultiQueue : 0));
            bool vnet = offloads != TunOffloads.None;
            short requested = vnet ? (short)(flags | TunNativeMethods.IffVnetHdr) : flags;
            MemoryMarshal.Write(request[TunNativeMethods.IfNameSize..], in requested);
            if (TunNativeMethods.Ioctl(fd, TunNativeMethods.TunSetIff, ifr) < 0)
            {
                if (!vnet || Marshal.GetLastPInvokeError() != TunNativeMethods.EInval)
                {
                    throw LastError($"TUNSETIFF {name}");
                }

                // No virtio_net_hdr here (or an existing queue without it): plain packets.
                vnet = false;
                MemoryMarshal.Write(request[TunNativeMethods.IfNameSize..], in flags);
                if (TunNativeMethods.Ioctl(fd, TunNativeMethods.TunSetIff, ifr) < 0)
                {
                    throw LastError($"TUNSETIFF {name}");
                }
            }

            var assigned = request[..TunNativeMethods.IfNameSize];
            int end = assigned.IndexOf((byte)0);
            string actual = Encoding.UTF8.GetString(end < 0 ? assigned : assigned[..end]);

            int wake = TunNativeMethods.EventFd(0, TunNativeMethods.ONonBlock | TunNativeMethods.OCloExec);
            if (wake < 0)
            {
                throw LastError("eventfd");
            }

            var granted = vnet ? SetOffloads(fd, offloads) : TunOffloads.None;
            return new TunDevice(tun, new FileDescriptorHandle(wake), actual, vnet ? VirtioNetHeader.Size : 0, granted);
        }
        catch
        {
            tun.Dispose();
            throw;
        }
    }

    /// <summary>
    /// TUNSETVNETHDRSZ to the 10-octet header, then TUNSETOFFLOAD with <paramref name="wanted"/>; a kernel refuses
    /// flags it does not know (EINVAL), so USO (Linux 6.2+), then ECN, then TSO are given up in turn. Returns what was
    /// granted (None: the header is still there, always with nothing to finish).
    /// </summary>
    private static TunOffloads SetOffloads(int fd, TunOffloads wanted)
    {
        int size = VirtioNetHeader.Size;
        _ = TunNativeMethods.Ioctl(fd, TunNativeMethods.TunSetVnetHdrSz, (byte*)&size); // 10 is also the default

        // TSO needs the checksum offload (tun_set_offload); each step drops what the previous kernel refused.
        ReadOnlySpan<TunOffloads> dropInTurn = [TunOffloads.None, TunOffloads.Uso4 | TunOffloads.Uso6, TunOffloads.TsoEcn, TunOffloads.Tso4 | TunOffloads.Tso6];
        var flags = wanted.HasFlag(TunOffloads.Checksum) ? wanted : TunOffloads.None;
        foreach (var drop in dropInTurn)
        {
            flags &= ~drop;
            if (flags == TunOffloads.None)
            {
                break;
            }

            if (TunNativeMethods.Ioctl(fd, TunNativeMethods.TunSetOffload, (byte*)(nuint)(uint)flags) == 0)
            {
                return flags;
            }
        }

        return TunOffloads.None;
    }

    /// <summary>True when the process may create TUN devices here: effective uid 0 and <c>/dev/net/tun</c> present.</summary>
    public static bool IsSupported =>
        OperatingSystem.IsLinux() && File.Exists(ClonePath) && TunNativeMethods.GetEffectiveUserId() == 0;

    /// <summary>
    /// Reads one packet, waiting until one arrives. False (length 0) once the device is shut down. A packet larger
    /// than the buffer is truncated by the kernel, so use a buffer of at least the interface MTU (with offloads:
    /// <see cref="VnetHeaderLength"/> + 65,535; the length then counts the header, which comes first).
    /// </summary>
    /// <exception cref="IOException">read(2) or poll(2) failed for another reason.</exception>
    public bool TryRead(Span<byte> buffer, out int length) => Read(buffer, out length, wait: true);

    /// <summary>
    /// Reads one packet if one is queued now, without waiting (for draining a burst into a batch after a
    /// <see cref="TryRead"/>). False when none is queued or the device is shut down.
    /// </summary>
    /// <exception cref="IOException">read(2) failed for another reason.</exception>
    public bool TryReadNow(Span<byte> buffer, out int length) => Read(buffer, out length, wait: false);

    private bool Read(Span<byte> buffer, out int length, bool wait)
    {
        length = 0;
        if (!TryAddRefs())
        {
            return false;
        }

        try
        {
            fixed (byte* p = buffer)
            {
                while (!_shutdown)
                {
                    nint n = TunNativeMethods.Read(_tun.Fd, p, (nuint)buffer.Length);
                    if (n >= 0)
                    {
                        length = (int)n;
                        return true;
                    }

                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == TunNativeMethods.EAgain)
                    {
                        if (!wait || !Wait(TunNativeMethods.PollIn))
                        {
                            return false;
                        }
                    }
                    else if (errno != TunNativeMethods.EIntr)
                    {
                        throw Error("read", errno);
                    }
                }

                return false;
            }
        }
        finally
        {
            ReleaseRefs();
        }
    }

    /// <summary>
    /// Writes one IP packet into the local stack (preceded by its virtio_net_hdr when <see cref="VnetHeaderLength"/>
    /// is not 0). False once the device is shut down.
    /// </summary>
    /// <exception cref="IOException">write(2) failed (for example EIO while the interface is down, EINVAL for a malformed packet).</exception>
    public bool TryWrite(ReadOnlySpan<byte> packet)
    {
        if (!TryAddRefs())
        {
            return false;
        }

        try
        {
            fixed (byte* p = packet)
            {
                while (!_shutdown)
                {
                    nint n = TunNativeMethods.Write(_tun.Fd, p, (nuint)packet.Length);
                    if (n >= 0)
                    {
                        return true;
                    }

                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == TunNativeMethods.EAgain)
                    {
                        if (!Wait(TunNativeMethods.PollOut))
                        {
                            return false;
                        }
                    }
                    else if (errno != TunNativeMethods.EIntr)
                    {
                        throw Error("write", errno);
                    }
                }

                return false;
            }
        }
        finally
        {
            ReleaseRefs();
        }
    }

    /// <summary>Wakes every thread waiting in <see cref="TryRead"/> or <see cref="TryWrite"/>; they, and all later calls, return false.</summary>
    public void Shutdown()
    {
        if (_shutdown)
        {
            return;
        }

        _shutdown = true;
        bool added = false;
        try
        {
            _wake.DangerousAddRef(ref added);
            ulong one = 1;
            _ = TunNativeMethods.Write(_wake.Fd, (byte*)&one, sizeof(ulong));
        }
        catch (ObjectDisposedException)
        {
        }
        finally
        {
            if (added)
            {
                _wake.DangerousRelease();
            }
        }
    }

    /// <summary>Shuts down and closes the device (the descriptors close when the last in-flight call returns); a non-persistent interface disappears.</summary>
    public void Dispose()
    {
        Shutdown();
        _tun.Dispose();
        _wake.Dispose();
    }

    public override string ToString() => $"tun {Name}";

    /// <summary>Waits until the TUN descriptor is ready for <paramref name="events"/>; false when woken by <see cref="Shutdown"/>.</summary>
    private bool Wait(short events)
    {
        var fds = stackalloc TunNativeMethods.PollFd[2];
        fds[0] = new TunNativeMethods.PollFd { Fd = _tun.Fd, Events = events };
        fds[1] = new TunNativeMethods.PollFd { Fd = _wake.Fd, Events = TunNativeMethods.PollIn };
        while (true)
        {
            int r = TunNativeMethods.Poll(fds, 2, -1);
            if (r < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == TunNativeMethods.EIntr)
                {
                    continue;
                }

                throw Error("poll", errno);
            }

            if (fds[1].Revents != 0 || _shutdown)
            {
                return false;
            }

            if (fds[0].Revents != 0)
            {
                return true; // ready, or an error the next read/write reports
            }
        }
    }

    private bool TryAddRefs()
    {
        if (_shutdown)
        {
            return false;
        }

        bool tunAdded = false;
        bool wakeAdded = false;
        try
        {
            _tun.DangerousAddRef(ref tunAdded);
            _wake.DangerousAddRef(ref wakeAdded);
            return true;
        }
        catch (ObjectDisposedException)
        {
            if (tunAdded)
            {
                _tun.DangerousRelease();
            }

            return false;
        }
    }

    private void ReleaseRefs()
    {
        _tun.DangerousRelease();
        _wake.DangerousRelease();
    }

    private static IOException LastError(string what) => Error(what, Marshal.GetLastPInvokeError());

    private static IOException Error(string what, int errno) =>
        new($"{what}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})", errno);
}
