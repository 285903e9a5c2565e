namespace Hipnat.Wire;

/// <summary>
/// The one error type the wire readers throw on malformed input. It never escapes the codec:
/// the packet and parameter entry points catch it and return its <see cref="WireError"/>.
/// </summary>
public sealed class HipFormatException : Exception
{
    public HipFormatException(WireError error, string? message = null)
        : base(message ?? error.ToString())
    {
        Error = error;
    }

    public HipFormatException()
        : this(WireError.InvalidParameter)
    {
    }

    public HipFormatException(string message)
        : this(WireError.InvalidParameter, message)
    {
    }

    public HipFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
        Error = WireError.InvalidParameter;
    }

    public WireError Error { get; }
}
