namespace Hipnat.Runtime.Control;

/// <summary>No daemon answers on the control socket. The message says which path was tried and what to do.</summary>
public sealed class ControlUnavailableException : Exception
{
    public ControlUnavailableException()
        : base("the hipnat daemon is not reachable")
    {
    }

    public ControlUnavailableException(string message)
        : base(message)
    {
    }

    public ControlUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
