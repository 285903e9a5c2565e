namespace Hipnat.Lab.Demo;

/// <summary>A demo step failed and said why in the result's failures: the demo stops and tears the lab down.</summary>
internal sealed class DemoStoppedException : Exception
{
    public DemoStoppedException()
        : base("the demo stopped after a failed step")
    {
    }

    public DemoStoppedException(string message)
        : base(message)
    {
    }

    public DemoStoppedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
