using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Hipnat.Wire;

namespace Hipnat.DataPlane.Esp;

/// <summary>
/// An outbound and an inbound SA set up together for one peer, and the locator pairs they may use. One
/// association can own several pairs (simultaneous multihoming, one per interface: RFC 8047 §4); in fault-tolerance
/// mode one pair is used over several locator pairs, one of them active at a time (RFC 8047 §3, RFC 8046).
/// </summary>
/// <remarks>The SAs are fixed; the paths and the active path are swapped atomically, so I/O threads may read them
/// while the control thread changes them.</remarks>
public sealed class EspSaPair
{
    private EspPath[] _paths;
    private EspPath? _activePath;

    internal EspSaPair(Hit peerHit, EspSa outbound, EspSa inbound, ImmutableArray<EspPath> paths)
    {
        PeerHit = peerHit;
        Outbound = outbound;
        Inbound = inbound;
        _paths = paths.IsDefault ? [] : ImmutableCollectionsMarshal.AsArray(paths)!;
        _activePath = _paths.Length == 0 ? null : _paths[0];
    }

    public Hit PeerHit { get; }

    public EspSa Outbound { get; }

    public EspSa Inbound { get; }

    /// <summary>Every locator pair this SA pair may be sent over.</summary>
    public ImmutableArray<EspPath> Paths => ImmutableCollectionsMarshal.AsImmutableArray(Volatile.Read(ref _paths));

    /// <summary>The locator pair outbound packets go to now; null until paths are set.</summary>
    public EspPath? ActivePath => Volatile.Read(ref _activePath);

    /// <summary>Replaces the locator pairs and selects the active one (by index into <paramref name="paths"/>).</summary>
    public void SetPaths(IEnumerable<EspPath> paths, int activeIndex = 0)
    {
        ArgumentNullException.ThrowIfNull(paths);
        EspPath[] list = [.. paths];
        if (list.Length == 0)
        {
            Volatile.Write(ref _activePath, null);
            Volatile.Write(ref _paths, list);
            return;
        }

        ArgumentOutOfRangeException.ThrowIfNegative(activeIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(activeIndex, list.Length);
        Volatile.Write(ref _paths, list);
        Volatile.Write(ref _activePath, list[activeIndex]);
    }

    /// <summary>Makes one of <see cref="Paths"/> the active one (fault-tolerance failover). False if it is not listed.</summary>
    public bool SetActivePath(EspPath path)
    {
        if (!Paths.Contains(path))
        {
            return false;
        }

        Volatile.Write(ref _activePath, path);
        return true;
    }

    public override string ToString() => $"{PeerHit}: out 0x{Outbound.Spi:x8} in 0x{Inbound.Spi:x8} via {ActivePath?.ToString() ?? "(no path)"}";
}
