namespace Hipnat.Lab;

/// <summary>A command the lab ran (ip, iptables, tc, ...) failed.</summary>
public sealed class LabCommandException : Exception
{
    /// <summary>Creates the exception for a failed command.</summary>
    public LabCommandException(LabCommandResult result)
        : base(result?.ToString())
    {
        Result = result;
    }

    /// <summary>Creates the exception with a message.</summary>
    public LabCommandException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public LabCommandException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public LabCommandException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The failed command's result, when there is one.</summary>
    public LabCommandResult? Result { get; }
}
