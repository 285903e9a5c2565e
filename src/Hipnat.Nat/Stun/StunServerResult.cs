namespace Hipnat.Nat.Stun;

/// <summary>The outcome of <see cref="StunServer.Handle"/>: the action, the response to send back to the source, and the parsed message.</summary>
public readonly record struct StunServerResult(StunServerAction Action, byte[]? Response, StunMessage? Message, StunError Error)
{
    /// <summary>The error code of <see cref="Response"/> when it is an error response.</summary>
    public int? ResponseErrorCode { get; init; }
}
