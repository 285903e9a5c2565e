namespace Hipnat.Runtime.Names;

/// <summary>Sends a DNS query as it came to the upstream servers and returns their response as it came.</summary>
public interface IDnsForwarder
{
    /// <summary>The upstream servers, for messages.</summary>
    string Servers { get; }

    /// <summary>
    /// Forwards <paramref name="query"/> (over TCP when <paramref name="tcp"/>: it came over TCP, RFC 7766) and
    /// returns the first upstream response that matches it (same ID and question), or null when none answered.
    /// </summary>
    Task<byte[]?> ForwardAsync(ReadOnlyMemory<byte> query, bool tcp, CancellationToken cancellationToken);
}
