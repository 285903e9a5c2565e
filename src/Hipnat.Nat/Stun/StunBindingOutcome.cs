namespace Hipnat.Nat.Stun;

/// <summary>How a Binding transaction ended.</summary>
public enum StunBindingOutcome
{
    /// <summary>A success response with a reflexive transport address.</summary>
    Success,

    /// <summary>No usable response within the RFC 8489 §6.2.1 schedule.</summary>
    Timeout,

    /// <summary>An error response (RFC 8489 §6.3.4); the code is in the result.</summary>
    ErrorResponse,

    /// <summary>Responses arrived but none passed the integrity check (RFC 8489 §9.1.4).</summary>
    IntegrityViolation,

    /// <summary>The response carried unknown comprehension-required attributes (RFC 8489 §6.3.3, §6.3.4).</summary>
    UnknownComprehensionRequired,

    /// <summary>A success response without XOR-MAPPED-ADDRESS (or MAPPED-ADDRESS) (RFC 8489 §6.3.3).</summary>
    MissingMappedAddress,

    /// <summary>An error response without ERROR-CODE (RFC 8489 §6.3.4).</summary>
    MalformedResponse,
}
