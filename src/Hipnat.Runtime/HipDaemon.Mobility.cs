using System.Net;
using Hipnat.Core.Host;
using Hipnat.Core.Transport;
using Hipnat.Runtime.Netlink;
using Microsoft.Extensions.Logging;

namespace Hipnat.Runtime;

/// <summary>
/// The daemon's side of mobility (RFC 8046): when the host's addresses change, the new locator set goes to the
/// core on the driver thread (<see cref="Core.Host.HipHost.SetLocalLocators"/>), which updates its associations
/// and registrations.
/// </summary>
public sealed partial class HipDaemon
{
    private long _localAddressChanges;

    /// <summary>Times the local locator set changed after start-up.</summary>
    public long LocalAddressChanges => Interlocked.Read(ref _localAddressChanges);

    /// <summary>
    /// Follows <paramref name="monitor"/>: each snapshot it reports is turned into locators by
    /// <paramref name="locatorsOf"/> (on the monitor's thread) and handed to the core on the driver thread with
    /// <see cref="UpdateLocalLocators"/>. The caller starts and disposes the monitor (before the daemon).
    /// </summary>
    public void FollowAddresses(AddressMonitor monitor, Func<InterfaceSnapshot, IReadOnlyList<TransportAddress>> locatorsOf)
    {
        ArgumentNullException.ThrowIfNull(monitor);
        ArgumentNullException.ThrowIfNull(locatorsOf);
        monitor.Changed += snapshot =>
        {
            if (_stopping || Volatile.Read(ref _disposed) != 0)
            {
                return;
            }

            var locators = locatorsOf(snapshot);
            var interfaceOf = snapshot.InterfaceOf();
            _inbox.PostWork(() => UpdateLocalLocators(locators, interfaceOf));
        };
    }

    /// <summary>
    /// Driver thread: replaces the core's local locators (<paramref name="interfaceOf"/> names each address's
    /// interface for status). Logs and counts the change; true when the set changed.
    /// </summary>
    internal bool UpdateLocalLocators(IReadOnlyList<TransportAddress> locators, IReadOnlyDictionary<IPAddress, string> interfaceOf)
    {
        _interfaceOf = interfaceOf;
        var old = _host.LocalLocators.ToList();
        if (!_host.SetLocalLocators(locators, Now))
        {
            return false;
        }

        _localLocators = locators;
        ReallocateTurnAfterMove(Now);
        Interlocked.Increment(ref _localAddressChanges);
        Metrics.LocalAddressesChanged();
        var added = locators.Where(l => !old.Contains(l)).ToList();
        var removed = old.Where(l => !locators.Contains(l)).ToList();
        _logger.LogInformation(
            "local addresses changed: added {Added}; removed {Removed}; now {Locators}",
            added.Count == 0 ? "none" : string.Join(", ", added),
            removed.Count == 0 ? "none" : string.Join(", ", removed),
            string.Join(", ", locators));
        return true;
    }

    /// <summary>The metric reason of an active-path change (hipnat.path.switches).</summary>
    private static string SwitchReason(ActivePathChanged p) => p.Reason switch
    {
        var r when r.StartsWith("failover", StringComparison.Ordinal) => "failover",
        var r when r.StartsWith("failback", StringComparison.Ordinal) => "failback",
        var r when r.StartsWith("the peer's traffic arrives on our other uplink", StringComparison.Ordinal) => "follow",
        var r when !p.Verified || r.Contains("within credit", StringComparison.Ordinal) => "credit",
        var r when r.StartsWith("direct path answered", StringComparison.Ordinal) || r.StartsWith("the address used within credit", StringComparison.Ordinal) => "verified-address",
        var r when p.Direct || r.Contains("nominated", StringComparison.Ordinal) || r.StartsWith("first working", StringComparison.Ordinal) => "ice",
        _ => "relay-fallback",
    };
}
