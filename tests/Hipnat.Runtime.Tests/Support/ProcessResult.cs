namespace Hipnat.Runtime.Tests.Support;

/// <summary>Exit code and output of a finished command.</summary>
public sealed record ProcessResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}
