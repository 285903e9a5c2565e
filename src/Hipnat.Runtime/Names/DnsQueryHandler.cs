using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using Hipnat.Wire;
using Hipnat.Wire.Dns;
using Microsoft.Extensions.Logging;

namespace Hipnat.Runtime.Names;

/// <summary>
/// What the local DNS responder does with one query, apart from sockets: an A or AAAA query (class IN, opcode QUERY,
/// one question) for a name that is a HIP peer is answered here — AAAA with the peer's HIT, A with its LSI — once
/// the daemon knows the peer; a name whose HIP record is refused gets SERVFAIL; everything else goes to the upstream
/// servers verbatim and their response comes back verbatim. A query whose question cannot be read gets FORMERR;
/// a message too short for a header, or a response, is dropped and counted. Never throws for what a client sends.
/// Thread-safe.
/// </summary>
public sealed class DnsQueryHandler
{
    /// <summary>How long a name that is no peer is remembered when its server sent no SOA to say (RFC 2308 §5).</summary>
    public static readonly TimeSpan DefaultNegativeTtl = TimeSpan.FromSeconds(30);

    /// <summary>The longest a name that is no peer is remembered, whatever the SOA says: a HIP record published later is seen within this.</summary>
    public static readonly TimeSpan MaxNegativeTtl = TimeSpan.FromMinutes(5);

    /// <summary>How long a peer lookup may take before the query gets SERVFAIL (stub resolvers give up after about 5 s).</summary>
    public static readonly TimeSpan LookupTimeout = TimeSpan.FromSeconds(4);

    private const int MaxRememberedNames = 4096;

    private readonly IPeerNames _peers;
    private readonly IDnsForwarder _forwarder;
    private readonly ILogger _logger;
    private readonly Func<TimeSpan> _clock;
    private readonly ConcurrentDictionary<string, TimeSpan> _notPeers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task<PeerNameAnswer>>> _inFlight = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<DnsResponderDrop, long> _drops = new();
    private readonly LogThrottle _refusals = new(TimeSpan.FromSeconds(60));
    private readonly LogThrottle _upstreamFailures = new(TimeSpan.FromSeconds(30));
    private long _queries;
    private long _answered;
    private long _forwarded;
    private long _failed;
    private long _formatErrors;

    public DnsQueryHandler(IPeerNames peers, IDnsForwarder forwarder, ILogger logger, Func<TimeSpan> clock)
    {
        ArgumentNullException.ThrowIfNull(peers);
        ArgumentNullException.ThrowIfNull(forwarder);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(clock);
        _peers = peers;
        _forwarder = forwarder;
        _logger = logger;
        _clock = clock;
    }

    /// <summary>Queries received (dropped ones included).</summary>
    public long Queries => Interlocked.Read(ref _queries);

    /// <summary>Queries answered here with a peer's HIT or LSI (or, for a peer without LSI, no A record).</summary>
    public long Answered => Interlocked.Read(ref _answered);

    /// <summary>Queries forwarded upstream whose response was relayed back.</summary>
    public long Forwarded => Interlocked.Read(ref _forwarded);

    /// <summary>Queries answered with SERVFAIL: a refused HIP record, an unreachable peer, or no upstream response.</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>Queries answered with FORMERR: their question could not be read.</summary>
    public long FormatErrors => Interlocked.Read(ref _formatErrors);

    /// <summary>Messages dropped without an answer, by reason.</summary>
    public IReadOnlyDictionary<DnsResponderDrop, long> Drops => _drops.ToDictionary(kv => kv.Key, kv => kv.Value);

    /// <summary>Counts a message dropped before it reached <see cref="HandleAsync"/> (a busy responder, bad TCP framing).</summary>
    public void CountDrop(DnsResponderDrop reason)
    {
        Interlocked.Increment(ref _queries);
        _drops.AddOrUpdate(reason, 1, static (_, n) => n + 1);
    }

    /// <summary>The response to <paramref name="query"/>, or null when it is dropped.</summary>
    public async Task<byte[]?> HandleAsync(ReadOnlyMemory<byte> query, bool tcp, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _queries);
        var error = DnsQuery.TryParse(query.Span, out var parsed);
        if (!DnsHeader.TryRead(query.Span, out var header))
        {
            return Drop(DnsResponderDrop.Short);
        }

        if (header.IsResponse)
        {
            return Drop(DnsResponderDrop.NotAQuery);
        }

        if (error != WireError.None)
        {
            // RFC 1035 §4.1.1 RCODE 1: the question could not be interpreted.
            Interlocked.Increment(ref _formatErrors);
            return DnsResponseWriter.HeaderOnly(header, DnsResponseCode.FormatError);
        }

        var q = parsed.Question;
        bool mayBePeer = header.Opcode == 0 && header.QuestionCount == 1 && q.Class == DnsRecordTypes.ClassIn
            && q.Type is DnsRecordTypes.A or DnsRecordTypes.Aaaa && q.HostName is not null;
        if (!mayBePeer)
        {
            return await ForwardAsync(query, parsed, tcp, cancellationToken);
        }

        string name = q.HostName!;
        PeerNameAnswer answer;
        try
        {
            answer = await LookupAsync(name).WaitAsync(LookupTimeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            answer = PeerNameAnswer.Refused($"looking {name} up took longer than {LookupTimeout.TotalSeconds:0} s");
        }

        switch (answer.Outcome)
        {
            case PeerNameOutcome.Peer:
                Interlocked.Increment(ref _answered);
                return Answer(query.Span, parsed, answer);
            case PeerNameOutcome.Refused:
                Interlocked.Increment(ref _failed);
                if (_refusals.ShouldLog(name, _clock(), out long suppressed))
                {
                    _logger.LogWarning("DNS responder: SERVFAIL for {Name} ({Type}): {Reason}{Suppressed}", name, TypeName(q.Type), answer.Reason,
                        suppressed > 0 ? $" ({suppressed} more since the last line)" : string.Empty);
                }

                return DnsResponseWriter.Response(query.Span, parsed, DnsResponseCode.ServerFailure);
            default:
                return await ForwardAsync(query, parsed, tcp, cancellationToken);
        }
    }

    private static byte[] Answer(ReadOnlySpan<byte> query, in DnsQuery parsed, PeerNameAnswer peer)
    {
        uint ttl = (uint)Math.Clamp(Math.Floor(peer.Ttl.TotalSeconds), 0, DnsResponseWriter.MaxTtl);
        if (parsed.Question.Type == DnsRecordTypes.Aaaa)
        {
            // RFC 7401 §3: a HIT is an IPv6 address (an ORCHID, RFC 7343); applications use it as one.
            Span<byte> hit = stackalloc byte[Hit.Length];
            peer.Hit.WriteTo(hit);
            return DnsResponseWriter.Response(query, parsed, DnsResponseCode.NoError, ttl, hit);
        }

        if (peer.Lsi is null)
        {
            // No LSI to give: the name exists, without an A record (NODATA, RFC 2308 §2.2).
            return DnsResponseWriter.Response(query, parsed, DnsResponseCode.NoError);
        }

        Span<byte> lsi = stackalloc byte[4];
        peer.Lsi.TryWriteBytes(lsi, out _);
        return DnsResponseWriter.Response(query, parsed, DnsResponseCode.NoError, ttl, lsi);
    }

    private async Task<byte[]?> ForwardAsync(ReadOnlyMemory<byte> query, DnsQuery parsed, bool tcp, CancellationToken cancellationToken)
    {
        var response = await _forwarder.ForwardAsync(query, tcp, cancellationToken);
        if (response is not null)
        {
            Interlocked.Increment(ref _forwarded);
            return response;
        }

        Interlocked.Increment(ref _failed);
        if (_upstreamFailures.ShouldLog("upstream", _clock(), out long suppressed))
        {
            _logger.LogWarning("DNS responder: no answer from {Servers} for {Name}; SERVFAIL{Suppressed}", _forwarder.Servers,
                parsed.HasQuestion ? parsed.Question.HostName ?? "(a name that is no host name)" : "(no question)",
                suppressed > 0 ? $" ({suppressed} more since the last line)" : string.Empty);
        }

        return parsed.HasQuestion
            ? DnsResponseWriter.Response(query.Span, parsed, DnsResponseCode.ServerFailure)
            : DnsResponseWriter.HeaderOnly(parsed.Header, DnsResponseCode.ServerFailure);
    }

    /// <summary>One lookup per name at a time (A and AAAA come together); names that are no peer are remembered.</summary>
    private Task<PeerNameAnswer> LookupAsync(string name)
    {
        var now = _clock();
        if (_notPeers.TryGetValue(name, out var until))
        {
            if (until > now)
            {
                return Task.FromResult(PeerNameAnswer.NotPeer(until - now, "remembered"));
            }

            _notPeers.TryRemove(name, out _);
        }

        var lazy = _inFlight.GetOrAdd(name, n => new Lazy<Task<PeerNameAnswer>>(() => RunLookupAsync(n)));
        return lazy.Value;
    }

    private async Task<PeerNameAnswer> RunLookupAsync(string name)
    {
        try
        {
            // The lookup is shared by the queries waiting for it: it runs to its end even when one of them gives up.
            var answer = await _peers.LookupAsync(name, CancellationToken.None);
            if (answer.Outcome == PeerNameOutcome.NotPeer && answer.Ttl > TimeSpan.Zero)
            {
                if (_notPeers.Count >= MaxRememberedNames)
                {
                    _notPeers.Clear();
                }

                _notPeers[name] = _clock() + (answer.Ttl > MaxNegativeTtl ? MaxNegativeTtl : answer.Ttl);
            }

            return answer;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return PeerNameAnswer.Refused($"looking {name} up failed: {e.Message}");
        }
        finally
        {
            _inFlight.TryRemove(name, out _);
        }
    }

    private static string TypeName(ushort type) => type == DnsRecordTypes.A ? "A" : type == DnsRecordTypes.Aaaa ? "AAAA" : type.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private byte[]? Drop(DnsResponderDrop reason)
    {
        _drops.AddOrUpdate(reason, 1, static (_, n) => n + 1);
        return null;
    }
}
