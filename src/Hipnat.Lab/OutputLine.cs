namespace Hipnat.Lab;

/// <summary>One line a <see cref="LabProcess"/> wrote, with the time it was read.</summary>
/// <param name="Timestamp">When the lab read the line (UTC).</param>
/// <param name="Stream">stdout or stderr.</param>
/// <param name="Text">The line without its newline.</param>
public readonly record struct OutputLine(DateTimeOffset Timestamp, OutputStream Stream, string Text)
{
    /// <inheritdoc />
    public override string ToString() => $"{Timestamp:HH:mm:ss.fff} {(Stream == OutputStream.StandardError ? "err" : "out")} {Text}";
}
