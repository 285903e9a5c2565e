namespace Hipnat.Runtime.Control;

/// <summary>The control socket could not be created. <see cref="Problem"/> says why; the message says what to do.</summary>
public sealed class ControlSocketException : Exception
{
    public ControlSocketException()
        : base("cannot create the control socket")
    {
    }

    public ControlSocketException(string message)
        : base(message)
    {
    }

    public ControlSocketException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ControlSocketException(ControlSocketProblem problem, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Problem = problem;
    }

    public ControlSocketProblem Problem { get; }
}
