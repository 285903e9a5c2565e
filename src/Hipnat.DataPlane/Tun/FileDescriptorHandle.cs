using System.Runtime.InteropServices;

namespace Hipnat.DataPlane.Tun;

/// <summary>
/// A Linux file descriptor whose close(2) waits until no call that took a reference (DangerousAddRef) is still in
/// flight, so disposing never closes a descriptor under a blocked reader (and never closes a reused number).
/// </summary>
internal sealed class FileDescriptorHandle : SafeHandle
{
    public FileDescriptorHandle(int fd)
        : base(new IntPtr(-1), ownsHandle: true)
    {
        SetHandle(new IntPtr(fd));
    }

    public override bool IsInvalid => handle.ToInt64() < 0;

    /// <summary>The descriptor number; only valid while a reference is held.</summary>
    public int Fd => (int)handle.ToInt64();

    protected override bool ReleaseHandle() => TunNativeMethods.Close(Fd) == 0;
}
