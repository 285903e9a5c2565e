namespace Hipnat.Core.Association;

/// <summary>Why a signed-echo probe (RFC 8046 §5.4) was sent, which decides what its answer does.</summary>
internal enum PathProbePurpose
{
    /// <summary>Return routability of a new peer address: the answer makes the pair active.</summary>
    Verify,

    /// <summary>The active pair went silent: the answer says it still works (it stays, or becomes a standby).</summary>
    Liveness,

    /// <summary>A hot-standby pair is kept verified and its NAT state alive (draft §3.2.1): the answer refreshes it.</summary>
    Keepalive,
}
