namespace Hipnat.Lab;

/// <summary>Which stream of a <see cref="LabProcess"/> a line came from.</summary>
public enum OutputStream
{
    /// <summary>Standard output.</summary>
    StandardOutput = 0,

    /// <summary>Standard error.</summary>
    StandardError = 1,
}
