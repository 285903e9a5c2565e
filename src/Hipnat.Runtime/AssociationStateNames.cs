using Hipnat.Core.Association;

namespace Hipnat.Runtime;

/// <summary>RFC 7401 §4.4.1 spellings of the association states, as status and logs show them.</summary>
public static class AssociationStateNames
{
    public static string Of(AssociationState state) => state switch
    {
        AssociationState.Unassociated => "UNASSOCIATED",
        AssociationState.I1Sent => "I1-SENT",
        AssociationState.I2Sent => "I2-SENT",
        AssociationState.R2Sent => "R2-SENT",
        AssociationState.Established => "ESTABLISHED",
        AssociationState.Closing => "CLOSING",
        AssociationState.Closed => "CLOSED",
        AssociationState.EFailed => "E-FAILED",
        _ => state.ToString().ToUpperInvariant(),
    };
}
