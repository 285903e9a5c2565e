namespace Hipnat.Core.Paths;

/// <summary>What <see cref="PathLiveness.Judge"/> says of an active path's silence.</summary>
public enum PathVerdict
{
    /// <summary>Heard recently enough, or suspected recently: look again later.</summary>
    Wait,

    /// <summary>Silent, but nothing was expected (or silent for long): left to keepalives and the peer timeout.</summary>
    Idle,

    /// <summary>Silent while traffic flowed: probe it.</summary>
    Suspect,
}
