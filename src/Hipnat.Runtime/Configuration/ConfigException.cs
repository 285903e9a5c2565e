namespace Hipnat.Runtime.Configuration;

/// <summary>Invalid configuration (file or flags). The message names the key or flag, the bad value and the fix.</summary>
public sealed class ConfigException : Exception
{
    public ConfigException()
        : base("invalid configuration")
    {
    }

    public ConfigException(string message)
        : base(message)
    {
    }

    public ConfigException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
