using System.Net;

namespace Hipnat.Nat.Turn;

/// <summary>
/// The client's copy of one channel binding (RFC 8656 §12): a channel number, the peer transport address, and
/// the refresh time that keeps it within its 10-minute lifetime.
/// </summary>
internal sealed class TurnChannelBinding(ushort number, IPEndPoint peer)
{
    public ushort Number { get; } = number;

    public IPEndPoint Peer { get; } = peer;

    /// <summary>The server confirmed the binding; data to the peer may use ChannelData.</summary>
    public bool Bound { get; set; }

    /// <summary>A ChannelBind for it is on its way.</summary>
    public bool InFlight { get; set; }

    public TimeSpan? RefreshAt { get; set; }
}
