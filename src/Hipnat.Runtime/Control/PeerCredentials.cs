using System.Globalization;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Hipnat.Runtime.Control;

/// <summary>
/// Who is at the other end of an accepted control connection, as the kernel recorded it when the peer called
/// connect(2): SO_PEERCRED (process, effective user and group) and SO_PEERGROUPS (supplementary groups). Neither can
/// be forged by the peer.
/// </summary>
public sealed record PeerCredentials(int ProcessId, uint UserId, uint GroupId, IReadOnlyList<uint> SupplementaryGroups)
{
    private const int UcredLength = 12;

    /// <summary>The credentials of <paramref name="socket"/>'s peer; null when the kernel does not say (then refuse).</summary>
    public static PeerCredentials? Read(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        Span<byte> ucred = stackalloc byte[UcredLength];
        try
        {
            if (socket.GetRawSocketOption(NativeMethods.SolSocket, NativeMethods.SoPeerCred, ucred) != UcredLength)
            {
                return null;
            }
        }
        catch (Exception e) when (e is SocketException or PlatformNotSupportedException)
        {
            return null;
        }

        int pid = MemoryMarshal.Read<int>(ucred);
        uint uid = MemoryMarshal.Read<uint>(ucred[4..]);
        uint gid = MemoryMarshal.Read<uint>(ucred[8..]);
        return new PeerCredentials(pid, uid, gid, ReadGroups(socket) ?? ReadProcGroups(pid, uid) ?? []);
    }

    /// <summary>SO_PEERGROUPS; null when the kernel has no such option (before Linux 4.13).</summary>
    private static uint[]? ReadGroups(Socket socket)
    {
        // NGROUPS_MAX is 65536; most users have a handful. Try a small buffer first.
        foreach (int count in (ReadOnlySpan<int>)[64, 65536])
        {
            var buffer = new byte[count * sizeof(uint)];
            try
            {
                int length = socket.GetRawSocketOption(NativeMethods.SolSocket, NativeMethods.SoPeerGroups, buffer);
                return MemoryMarshal.Cast<byte, uint>(buffer.AsSpan(0, length - (length % sizeof(uint)))).ToArray();
            }
            catch (SocketException)
            {
                // ERANGE (more groups than fit: try the large buffer) or no SO_PEERGROUPS in this kernel.
            }
            catch (PlatformNotSupportedException)
            {
                return null;
            }
        }

        return null;
    }

    /// <summary>
    /// The "Groups:" line of /proc/PID/status, used only when SO_PEERGROUPS is missing, and only while that process
    /// still runs as <paramref name="uid"/> (a process id can be reused after the peer exits).
    /// </summary>
    private static uint[]? ReadProcGroups(int pid, uint uid)
    {
        if (pid <= 0)
        {
            return null;
        }

        try
        {
            uint[]? groups = null;
            bool sameUser = false;
            foreach (var line in File.ReadLines($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/status"))
            {
                if (line.StartsWith("Uid:", StringComparison.Ordinal))
                {
                    // Real, effective, saved and filesystem uid: the effective one is what SO_PEERCRED reported.
                    var ids = line[4..].Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
                    sameUser = ids.Length >= 2 && uint.TryParse(ids[1], NumberStyles.None, CultureInfo.InvariantCulture, out var euid) && euid == uid;
                }
                else if (line.StartsWith("Groups:", StringComparison.Ordinal))
                {
                    var list = new List<uint>();
                    foreach (var part in line[7..].Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries))
                    {
                        if (uint.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var g))
                        {
                            list.Add(g);
                        }
                    }

                    groups = [.. list];
                }
            }

            return sameUser ? groups : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
