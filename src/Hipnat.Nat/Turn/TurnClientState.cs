namespace Hipnat.Nat.Turn;

/// <summary>Life cycle of a <see cref="TurnClient"/>'s allocation.</summary>
public enum TurnClientState
{
    /// <summary>Nothing requested yet.</summary>
    Idle,

    /// <summary>An Allocate transaction (with its 401 / 438 retries) is under way.</summary>
    Allocating,

    /// <summary>The server holds an allocation; refreshes keep it.</summary>
    Allocated,

    /// <summary>A Refresh with LIFETIME 0 is under way.</summary>
    Deallocating,

    /// <summary>The allocation was deleted on request.</summary>
    Closed,

    /// <summary>The allocation could not be made or was lost; see the <see cref="TurnFailed"/> event.</summary>
    Failed,
}
