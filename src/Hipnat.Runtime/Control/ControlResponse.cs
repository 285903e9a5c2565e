namespace Hipnat.Runtime.Control;

/// <summary>The reply to one <see cref="ControlRequest"/>: a JSON object on one line.</summary>
public sealed class ControlResponse
{
    public bool Ok { get; set; }

    /// <summary>Why the request failed (with what to do about it) when <see cref="Ok"/> is false.</summary>
    public string? Error { get; set; }

    /// <summary>A short human-readable result for commands without a structured one.</summary>
    public string? Message { get; set; }

    public StatusReport? Status { get; set; }

    public ConnectReport? Connect { get; set; }

    public ResolveReport? Resolve { get; set; }

    public static ControlResponse Success(string? message = null) => new() { Ok = true, Message = message };

    public static ControlResponse Failure(string error) => new() { Ok = false, Error = error };
}
