namespace Hipnat.Runtime.Control;

/// <summary>Why the daemon could not create its control socket (<see cref="ControlSocketException.Problem"/>).</summary>
public enum ControlSocketProblem
{
    /// <summary>The socket or its directory could not be created (permissions, path too long, no such directory).</summary>
    CannotCreate,

    /// <summary>Another daemon answers on the socket.</summary>
    InUse,

    /// <summary>The path holds something other than a socket: a regular file, a directory, a FIFO, a device.</summary>
    NotASocket,

    /// <summary>The path is a symbolic link: never followed nor removed.</summary>
    SymbolicLink,

    /// <summary>The socket's directory is not safe: not a directory, owned by another user, or writable by others.</summary>
    UnsafeDirectory,
}
