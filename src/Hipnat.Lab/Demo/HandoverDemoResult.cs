using System.Text.Json;

namespace Hipnat.Lab.Demo;

/// <summary>The outcome of a handover demo run.</summary>
public sealed class HandoverDemoResult
{
    /// <summary>True when every step worked and every move recovered within <see cref="HandoverDemoOptions.RecoveryLimit"/>.</summary>
    public bool Success => Failures.Count == 0;

    /// <summary>Why the demo failed, one line each; empty on success.</summary>
    public List<string> Failures { get; } = [];

    public string? LabId { get; internal set; }

    /// <summary>The moves made, in order.</summary>
    public List<HandoverMove> Moves { get; } = [];

    /// <summary>alice's and bob's handover and path lines, in time order.</summary>
    public List<DaemonEvent> Events { get; } = [];

    /// <summary>The ping over hip0, once it stopped.</summary>
    public PingTrace? Trace { get; internal set; }

    /// <summary>The SVG written, if any.</summary>
    public string? PlotPath { get; internal set; }

    /// <summary>alice's last handover (<c>lastHandover</c> of status --json), if she had one.</summary>
    public JsonElement? LastHandover { get; internal set; }
}
