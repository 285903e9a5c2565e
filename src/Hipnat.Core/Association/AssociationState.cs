namespace Hipnat.Core.Association;

/// <summary>Host association states (RFC 7401 §4.4.1).</summary>
public enum AssociationState
{
    Unassociated,
    I1Sent,
    I2Sent,
    R2Sent,
    Established,
    Closing,
    Closed,
    EFailed,
}
