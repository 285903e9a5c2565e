using System.Runtime.CompilerServices;

namespace Hipnat.Core.Host;

/// <summary>
/// The detail text of <see cref="HipHost.Drop(Hipnat.Core.Host.DropReason, ref DropDetailHandler)"/>: an interpolated
/// string that is only formatted when the host has a <see cref="HipHost.DebugLog"/>. With logging off a drop costs
/// a counter increment: the holes' values are neither formatted nor boxed.
/// </summary>
[InterpolatedStringHandler]
internal ref struct DropDetailHandler
{
    private DefaultInterpolatedStringHandler _text;

    public DropDetailHandler(int literalLength, int formattedCount, HipHost host, out bool enabled)
    {
        Enabled = enabled = host.DebugLog is not null;
        _text = enabled ? new DefaultInterpolatedStringHandler(literalLength, formattedCount) : default;
    }

    /// <summary>True when the text is being built (the host logs).</summary>
    public bool Enabled { get; }

    public void AppendLiteral(string value) => _text.AppendLiteral(value);

    public void AppendFormatted<T>(T value) => _text.AppendFormatted(value);

    public void AppendFormatted<T>(T value, string? format) => _text.AppendFormatted(value, format);

    public void AppendFormatted<T>(T value, int alignment) => _text.AppendFormatted(value, alignment);

    public void AppendFormatted<T>(T value, int alignment, string? format) => _text.AppendFormatted(value, alignment, format);

    public void AppendFormatted(ReadOnlySpan<char> value) => _text.AppendFormatted(value);

    public void AppendFormatted(string? value) => _text.AppendFormatted(value);

    /// <summary>The text; empty when it was not built.</summary>
    public string ToStringAndClear() => Enabled ? _text.ToStringAndClear() : string.Empty;
}
