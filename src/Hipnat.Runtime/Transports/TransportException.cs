namespace Hipnat.Runtime.Transports;

/// <summary>A transport could not be opened (address in use, not available, missing privileges). The message says what to do.</summary>
public sealed class TransportException : Exception
{
    public TransportException()
        : base("transport error")
    {
    }

    public TransportException(string message)
        : base(message)
    {
    }

    public TransportException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
