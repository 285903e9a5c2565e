namespace Hipnat.Crypto;

/// <summary>A host identity key (file) could not be loaded: wrong format, unsupported algorithm or curve, bad key.</summary>
public sealed class HostIdentityFormatException : Exception
{
    public HostIdentityFormatException()
        : base("invalid host identity key")
    {
    }

    public HostIdentityFormatException(string message)
        : base(message)
    {
    }

    public HostIdentityFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
