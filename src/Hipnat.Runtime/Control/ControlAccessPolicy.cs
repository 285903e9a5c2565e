using System.Globalization;
using System.Runtime.InteropServices;
using Hipnat.Runtime.Configuration;

namespace Hipnat.Runtime.Control;

/// <summary>
/// Who may use the control socket: root, the daemon's own (effective) user, and members of one optional group
/// (config "controlGroup", --control-group), by the peer's effective group or any of its supplementary groups.
/// </summary>
public sealed class ControlAccessPolicy
{
    public ControlAccessPolicy(uint daemonUserId, uint? groupId = null, string? groupName = null)
    {
        DaemonUserId = daemonUserId;
        GroupId = groupId;
        GroupName = groupName ?? groupId?.ToString(CultureInfo.InvariantCulture);
    }

    public uint DaemonUserId { get; }

    /// <summary>The group whose members may use the socket too; null: none.</summary>
    public uint? GroupId { get; }

    public string? GroupName { get; }

    /// <summary>Root and this process's effective user; no group.</summary>
    public static ControlAccessPolicy ForThisProcess() => new(NativeMethods.GetEffectiveUserId());

    /// <summary>
    /// Root, this process's effective user and the group <paramref name="group"/> (a name or a numeric gid; null or
    /// empty: no group). Throws <see cref="ConfigException"/> naming the flag and key when no such group exists.
    /// </summary>
    public static ControlAccessPolicy ForThisProcess(string? group)
    {
        if (string.IsNullOrEmpty(group))
        {
            return ForThisProcess();
        }

        var (gid, name) = ResolveGroup(group);
        return new ControlAccessPolicy(NativeMethods.GetEffectiveUserId(), gid, name);
    }

    /// <summary>A group name or number as a gid and a name for messages. Throws <see cref="ConfigException"/>.</summary>
    public static (uint Gid, string Name) ResolveGroup(string group)
    {
        ArgumentException.ThrowIfNullOrEmpty(group);
        if (uint.TryParse(group, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            if (number == uint.MaxValue)
            {
                throw new ConfigException($"--control-group / config controlGroup '{group}': not a valid group id; give a group name or a gid below {uint.MaxValue}");
            }

            return (number, GroupNameOf(number) ?? group);
        }

        var entry = NativeMethods.GetGroupByName(group);
        if (entry == 0)
        {
            throw new ConfigException(
                $"--control-group / config controlGroup '{group}': no such group; create it (groupadd {group}) or give an existing group's name or gid");
        }

        return (ReadGid(entry), group);
    }

    /// <summary>True when <paramref name="peer"/> may use the socket.</summary>
    public bool Allows(PeerCredentials peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        if (peer.UserId == 0 || peer.UserId == DaemonUserId)
        {
            return true;
        }

        return GroupId is { } g && (peer.GroupId == g || peer.SupplementaryGroups.Contains(g));
    }

    /// <summary>Who is allowed, for messages: "root, uid 1000 (the daemon's user) and group hipnat (gid 990)".</summary>
    public string Describe()
    {
        var who = DaemonUserId == 0 ? "root (the daemon's user)" : $"root, uid {DaemonUserId} (the daemon's user)";
        return GroupId is { } g ? $"{who} and members of group {GroupName} (gid {g})" : $"{who}; no control group is configured";
    }

    private static string? GroupNameOf(uint gid)
    {
        var entry = NativeMethods.GetGroupById(gid);
        return entry == 0 ? null : Marshal.PtrToStringUTF8(Marshal.ReadIntPtr(entry));
    }

    /// <summary>gr_gid of a struct group: after the two pointers gr_name and gr_passwd.</summary>
    private static uint ReadGid(nint entry) => unchecked((uint)Marshal.ReadInt32(entry, 2 * IntPtr.Size));
}
