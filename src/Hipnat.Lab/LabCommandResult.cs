namespace Hipnat.Lab;

/// <summary>The outcome of a short command run to completion (see <see cref="LabHost.Run(string, string[])"/>).</summary>
/// <param name="Command">The command line, for messages.</param>
/// <param name="ExitCode">The process exit code.</param>
/// <param name="StandardOutput">Everything written to stdout.</param>
/// <param name="StandardError">Everything written to stderr.</param>
public sealed record LabCommandResult(string Command, int ExitCode, string StandardOutput, string StandardError)
{
    /// <summary>True when the exit code is 0.</summary>
    public bool Succeeded => ExitCode == 0;

    /// <summary>Throws <see cref="LabCommandException"/> unless the command exited with 0.</summary>
    public LabCommandResult EnsureSuccess() => Succeeded ? this : throw new LabCommandException(this);

    /// <inheritdoc />
    public override string ToString() =>
        $"`{Command}` exited {ExitCode}" +
        (StandardOutput.Length > 0 ? $"\nstdout: {StandardOutput.TrimEnd()}" : string.Empty) +
        (StandardError.Length > 0 ? $"\nstderr: {StandardError.TrimEnd()}" : string.Empty);
}
