namespace Hipnat.Core.Association;

/// <summary>State of one (local, peer) locator pair (RFC 8046 §5.1 locator states; RFC 8445 §6.1.2.6 pair states).</summary>
public enum LocatorPairState
{
    /// <summary>Known but not yet used or verified.</summary>
    Unverified,

    /// <summary>Carries control and data now (return routability verified or base exchange ran over it).</summary>
    Active,

    /// <summary>Verified and usable as a backup (fault-tolerance hot backup).</summary>
    Standby,

    /// <summary>Verification or keepalives failed.</summary>
    Failed,

    /// <summary>The peer (or we) withdrew one end of the pair.</summary>
    Deprecated,
}
