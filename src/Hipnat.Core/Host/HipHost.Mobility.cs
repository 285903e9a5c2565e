using Hipnat.Core.Transport;

namespace Hipnat.Core.Host;

/// <summary>
/// Mobility (RFC 8046; RFC 9028 §4.9; draft-melen-hip-nat-mm §5.1): the host's own locator set changes at run
/// time and every association follows it.
/// </summary>
public sealed partial class HipHost
{
    private List<TransportAddress> _localLocators;

    /// <summary>The host's local locators now (listening addresses with their ports; host candidates).</summary>
    public IReadOnlyList<TransportAddress> LocalLocators => _localLocators;

    /// <summary>
    /// Replaces the host's local locator set (the driver watched its interfaces change). Returns true when the set
    /// changed; then registrations and associations are updated (handover).
    /// </summary>
    public bool SetLocalLocators(IReadOnlyList<TransportAddress> locators, TimeSpan now)
    {
        ArgumentNullException.ThrowIfNull(locators);
        if (locators.Count == _localLocators.Count && locators.SequenceEqual(_localLocators))
        {
            return false;
        }

        var old = _localLocators;
        _localLocators = [.. locators];
        OnLocalLocatorsChanged(old, now);
        return true;
    }

    private void OnLocalLocatorsChanged(List<TransportAddress> old, TimeSpan now)
    {
        DebugLog?.Invoke($"local locators: {string.Join(", ", old)} -> {string.Join(", ", _localLocators)} at {now}");
    }
}
