namespace Hipnat.Lab;

/// <summary>What to start in a host's namespace with <see cref="LabHost.Start(LabProcessOptions)"/>.</summary>
/// <param name="FileName">The program (looked up on PATH inside the namespace, as <c>ip netns exec</c> does).</param>
/// <param name="Arguments">Its arguments.</param>
public sealed record LabProcessOptions(string FileName, IReadOnlyList<string> Arguments)
{
    /// <summary>Extra environment variables; a null value removes the variable.</summary>
    public IReadOnlyDictionary<string, string?>? Environment { get; init; }

    /// <summary>Working directory, or null for the current one.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>How long <see cref="LabProcess.Stop"/> waits after SIGTERM before SIGKILL (default 3 s).</summary>
    public TimeSpan StopGracePeriod { get; init; } = TimeSpan.FromSeconds(3);
}
