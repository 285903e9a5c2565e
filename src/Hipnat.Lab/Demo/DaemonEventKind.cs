namespace Hipnat.Lab.Demo;

/// <summary>Which mobility or path line of a daemon's log a <see cref="DaemonEvent"/> came from.</summary>
public enum DaemonEventKind
{
    /// <summary><c>local addresses changed: added ...; removed ...; now ...</c></summary>
    AddressesChanged = 0,

    /// <summary><c>handover with PEER started (we moved|the peer moved): REASON</c></summary>
    HandoverStarted = 1,

    /// <summary><c>handover with PEER done in N ms (ROLE): PATH</c></summary>
    HandoverDone = 2,

    /// <summary><c>path to PEER: FROM -> TO (direct|via relay): REASON</c></summary>
    PathChanged = 3,

    /// <summary><c>path to PEER suspected: REASON</c></summary>
    PathSuspected = 4,

    /// <summary><c>ICE with PEER completed in N ms after K checks: PAIR (direct|via data relay)</c></summary>
    IceSelected = 5,
}
