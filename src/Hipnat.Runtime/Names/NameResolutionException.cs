namespace Hipnat.Runtime.Names;

/// <summary>A peer name that could not be resolved; the message names the name, the record and what to do.</summary>
public sealed class NameResolutionException : Exception
{
    public NameResolutionException()
        : this(NameResolutionFailure.NotFound, "the name could not be resolved")
    {
    }

    public NameResolutionException(string message)
        : this(NameResolutionFailure.NotFound, message)
    {
    }

    public NameResolutionException(string message, Exception innerException)
        : base(message, innerException)
    {
        Failure = NameResolutionFailure.DnsFailure;
    }

    public NameResolutionException(NameResolutionFailure failure, string message)
        : base(message)
    {
        Failure = failure;
    }

    public NameResolutionFailure Failure { get; }

    /// <summary>
    /// For <see cref="NameResolutionFailure.NotFound"/> and <see cref="NameResolutionFailure.NoHipRecord"/> from the
    /// DNS: how long that answer may be remembered (RFC 2308 §5, the SOA's TTL or MINIMUM, the smaller); null: unknown.
    /// </summary>
    public TimeSpan? NegativeTtl { get; init; }

    /// <summary>
    /// True for a <see cref="NameResolutionFailure.DnsFailure"/> of the HIP query itself: whether the name has a HIP
    /// record is unknown (not a record that was found and refused).
    /// </summary>
    public bool HipQueryFailed { get; init; }
}
