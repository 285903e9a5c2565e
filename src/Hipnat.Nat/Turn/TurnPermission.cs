using System.Net;

namespace Hipnat.Nat.Turn;

/// <summary>
/// The client's copy of one permission (RFC 8656 §9): a peer IP address the server relays from. It lasts
/// 5 minutes on the server, so the client refreshes it before then.
/// </summary>
internal sealed class TurnPermission(IPAddress address)
{
    public IPAddress Address { get; } = address;

    /// <summary>The server confirmed it (CreatePermission or ChannelBind success).</summary>
    public bool Active { get; set; }

    /// <summary>A CreatePermission for it is on its way.</summary>
    public bool InFlight { get; set; }

    public TimeSpan? RefreshAt { get; set; }
}
