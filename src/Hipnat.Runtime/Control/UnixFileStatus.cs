using System.Runtime.InteropServices;

namespace Hipnat.Runtime.Control;

/// <summary>
/// What statx(2) says about a path itself (a symbolic link is reported as a link, never followed): its type,
/// permission bits, owner and identity (device and inode), as the control socket's checks need them.
/// </summary>
internal readonly record struct UnixFileStatus(uint Mode, uint Uid, uint Gid, ulong Inode, uint DeviceMajor, uint DeviceMinor)
{
    private const uint TypeMask = 0xF000;

    /// <summary>The permission bits (e.g. 0660 for rw-rw----).</summary>
    public uint Permissions => Mode & 0xFFF;

    public bool IsSocket => (Mode & TypeMask) == 0xC000;

    public bool IsSymbolicLink => (Mode & TypeMask) == 0xA000;

    public bool IsDirectory => (Mode & TypeMask) == 0x4000;

    public bool IsRegularFile => (Mode & TypeMask) == 0x8000;

    /// <summary>The same file (device and inode) as <paramref name="other"/>.</summary>
    public bool SameFileAs(UnixFileStatus other) =>
        Inode == other.Inode && DeviceMajor == other.DeviceMajor && DeviceMinor == other.DeviceMinor;

    /// <summary>A name for the file's type, for error messages.</summary>
    public string TypeName => (Mode & TypeMask) switch
    {
        0xC000 => "a socket",
        0xA000 => "a symbolic link",
        0x4000 => "a directory",
        0x8000 => "a regular file",
        0x1000 => "a FIFO",
        0x2000 => "a character device",
        0x6000 => "a block device",
        _ => "a file of unknown type",
    };

    /// <summary>
    /// Reads <paramref name="path"/>'s status without following a final symbolic link. False with the errno in
    /// <paramref name="error"/> (ENOENT: nothing there).
    /// </summary>
    public static bool TryRead(string path, out UnixFileStatus status, out int error)
    {
        Span<byte> buffer = stackalloc byte[256];
        buffer.Clear();
        if (NativeMethods.Statx(NativeMethods.AtFdCwd, path, NativeMethods.AtSymlinkNoFollow, NativeMethods.StatxBasic, buffer) != 0)
        {
            status = default;
            error = Marshal.GetLastPInvokeError();
            return false;
        }

        // struct statx (native byte order): stx_uid at 20, stx_gid at 24, stx_mode (u16) at 28, stx_ino at 32, stx_dev_major/minor at 136/140.
        status = new UnixFileStatus(
            MemoryMarshal.Read<ushort>(buffer[28..]),
            MemoryMarshal.Read<uint>(buffer[20..]),
            MemoryMarshal.Read<uint>(buffer[24..]),
            MemoryMarshal.Read<ulong>(buffer[32..]),
            MemoryMarshal.Read<uint>(buffer[136..]),
            MemoryMarshal.Read<uint>(buffer[140..]));
        error = 0;
        return true;
    }
}
