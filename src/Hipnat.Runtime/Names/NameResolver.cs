using System.Collections.Concurrent;
using System.Net;
using Hipnat.Core.Transport;
using Hipnat.Crypto;
using Hipnat.Runtime.Configuration;
using Hipnat.Wire;
using Hipnat.Wire.Dns;

namespace Hipnat.Runtime.Names;

/// <summary>
/// Turns a peer's name into its HIT and locators, for <c>hipnat connect NAME</c>, <c>hipnat ping NAME</c> and named
/// config "peers". The names file is asked first; then the DNS: the HIP record at the name (RFC 8005 §3.2, type 55),
/// whose HIT must be ORCHID(HI) (§4.1), and the A and AAAA records of each rendezvous server it lists — the relays
/// the peer is registered with, reached on the HIP port like <c>--peer HIT=RELAYADDR:10500</c>. A record without
/// rendezvous servers names a host reachable at its own addresses (§4.1), so the name's A and AAAA records are used.
/// Answers are cached until the smallest TTL of the records used runs out (§4.2). Runs on the caller's (thread pool)
/// thread, never on the daemon's driver thread; safe to call concurrently.
/// </summary>
public sealed class NameResolver
{
    private const ushort TypeA = 1;
    private const ushort TypeAaaa = 28;

    private readonly IDnsLookup _dns;
    private readonly string? _namesFilePath;
    private readonly bool _namesFileRequired;
    private readonly Func<TimeSpan> _clock;
    private readonly ushort _port;
    private readonly ConcurrentDictionary<string, ResolvedPeer> _cache = new(StringComparer.Ordinal);
    private readonly Lock _namesFileLock = new();
    private NamesFile? _namesFile;
    private DateTime _namesFileStamp;

    /// <param name="dns">The DNS queries.</param>
    /// <param name="namesFilePath">A names file; null: none.</param>
    /// <param name="namesFileRequired">False for the default path: a missing file is then no error.</param>
    /// <param name="clock">The time against which TTLs run out.</param>
    /// <param name="port">The HIP port of rendezvous servers and of hosts found by their A/AAAA records.</param>
    public NameResolver(IDnsLookup dns, string? namesFilePath, bool namesFileRequired, Func<TimeSpan> clock, ushort port = TransportAddress.DefaultHipPort)
    {
        ArgumentNullException.ThrowIfNull(dns);
        ArgumentNullException.ThrowIfNull(clock);
        _dns = dns;
        _namesFilePath = namesFilePath;
        _namesFileRequired = namesFileRequired;
        _clock = clock;
        _port = port;
    }

    /// <summary>The DNS servers asked, for messages.</summary>
    public string DnsServers => _dns.Servers;

    /// <summary>The names file consulted, or null.</summary>
    public string? NamesFilePath => _namesFilePath;

    /// <summary>
    /// Reads the names file now (at start-up, so a bad line stops the daemon with its line number). Throws
    /// <see cref="ConfigException"/>.
    /// </summary>
    public void LoadNamesFile() => CurrentNamesFile();

    /// <summary>
    /// Resolves <paramref name="name"/>. Throws <see cref="NameResolutionException"/> with a message that names the
    /// name, the record and the fix.
    /// </summary>
    public async Task<ResolvedPeer> ResolveAsync(string name, CancellationToken cancellationToken)
    {
        if (!DnsName.TryNormalize(name, out var normalized, out var nameError))
        {
            throw new NameResolutionException(NameResolutionFailure.InvalidName, "peer name " + nameError);
        }

        NamesFile? file;
        try
        {
            file = CurrentNamesFile();
        }
        catch (ConfigException e)
        {
            throw new NameResolutionException(NameResolutionFailure.NamesFile, e.Message);
        }

        if (file?.Find(normalized) is { } entry)
        {
            return new ResolvedPeer(normalized, entry.Hit, entry.Locators, $"names file {file.Path} line {entry.Line}", [], null);
        }

        var now = _clock();
        if (_cache.TryGetValue(normalized, out var cached) && cached.Expires > now)
        {
            return cached;
        }

        var resolved = await ResolveInDnsAsync(normalized, file?.Path, now, cancellationToken);
        if (resolved.Expires > now)
        {
            _cache[normalized] = resolved;
        }
        else
        {
            _cache.TryRemove(normalized, out _);
        }

        return resolved;
    }

    private async Task<ResolvedPeer> ResolveInDnsAsync(string name, string? namesFile, TimeSpan now, CancellationToken cancellationToken)
    {
        // RFC 8005 §3: the Initiator first asks for the HIP records at the Responder's name.
        DnsRecordSet hip;
        try
        {
            hip = await _dns.QueryAsync(name, HipResourceRecord.RecordType, cancellationToken);
        }
        catch (NameResolutionException e) when (e.Failure == NameResolutionFailure.DnsFailure)
        {
            throw new NameResolutionException(e.Failure, e.Message) { HipQueryFailed = true };
        }

        switch (hip.Status)
        {
            case DnsAnswerStatus.NameError:
                throw new NameResolutionException(NameResolutionFailure.NotFound, namesFile is null
                    ? $"{name} does not exist in DNS ({_dns.Servers}): NXDOMAIN; check the name, or name the peer in a names file (config \"namesFile\")"
                    : $"{name} does not exist: neither names file {namesFile} nor DNS ({_dns.Servers}) has it (NXDOMAIN)")
                {
                    NegativeTtl = hip.Ttl > TimeSpan.Zero ? hip.Ttl : null,
                };
            case DnsAnswerStatus.NoData:
                throw new NameResolutionException(NameResolutionFailure.NoHipRecord,
                    $"{name} has no HIP record (type 55) in DNS ({_dns.Servers}); publish one written by `hipnat dns-record --key KEY --name {name}`, or give the HIT")
                {
                    NegativeTtl = hip.Ttl > TimeSpan.Zero ? hip.Ttl : null,
                };
        }

        // RFC 8005 §4.2: how to choose among several records is left open; the first usable one is taken, with the
        // rendezvous servers of that same record (a host MUST use an RVS associated with the HI it uses).
        HipResourceRecord? record = null;
        Hit hit = default;
        NameResolutionException? firstProblem = null;
        foreach (var rdata in hip.Data)
        {
            var wire = HipResourceRecord.TryDecode(rdata, out var candidate);
            if (wire != WireError.None || candidate is null)
            {
                firstProblem ??= new NameResolutionException(NameResolutionFailure.BadRecord,
                    $"the HIP record of {name} is malformed ({wire}, RFC 8005 §5); fix the zone");
                continue;
            }

            if (!HipRecordIdentity.TryVerify(candidate, out hit, out var verifyError))
            {
                string record55 = $"{name} IN HIP {Cut(candidate.ToPresentation())}";
                bool mismatch = candidate.Hit is { } stated && hit != default && stated != hit;
                firstProblem ??= new NameResolutionException(
                    mismatch ? NameResolutionFailure.HitMismatch : NameResolutionFailure.BadRecord,
                    $"refusing the HIP record of {name} ({record55}): {verifyError}; the record was not written for this key (or was tampered with) — publish the one `hipnat dns-record` prints for the peer's key");
                continue;
            }

            record = candidate;
            break;
        }

        if (record is null)
        {
            throw firstProblem ?? new NameResolutionException(NameResolutionFailure.NoHipRecord, $"{name} has no HIP record");
        }

        TimeSpan ttl = hip.Ttl;
        var locators = new List<TransportAddress>();
        var unresolved = new List<string>();
        // RFC 8005 §4.1: no rendezvous server means the host is reached at the addresses of its own name.
        IReadOnlyList<string> targets = record.RendezvousServers.Count > 0 ? record.RendezvousServers : [name];
        foreach (var target in targets)
        {
            bool any = false;
            foreach (var type in new[] { TypeA, TypeAaaa })
            {
                DnsRecordSet set;
                try
                {
                    set = await _dns.QueryAsync(target, type, cancellationToken);
                }
                catch (NameResolutionException) when (targets.Count > 1)
                {
                    // Another rendezvous server may still answer.
                    continue;
                }

                if (set.Status != DnsAnswerStatus.Answer)
                {
                    continue;
                }

                ttl = Min(ttl, set.Ttl);
                foreach (var octets in set.Data)
                {
                    if (octets.Length is 4 or 16)
                    {
                        var locator = TransportAddress.Udp(new IPAddress(octets), _port);
                        if (!locators.Contains(locator))
                        {
                            locators.Add(locator);
                        }

                        any = true;
                    }
                }
            }

            if (!any)
            {
                unresolved.Add(target);
            }
        }

        if (locators.Count == 0)
        {
            string what = record.RendezvousServers.Count > 0
                ? $"none of its rendezvous servers ({string.Join(", ", record.RendezvousServers)}) has an A or AAAA record"
                : $"its HIP record lists no rendezvous server and {name} has no A or AAAA record";
            throw new NameResolutionException(NameResolutionFailure.NoLocators,
                $"{name} (HIT {hit}) cannot be reached: {what} in DNS ({_dns.Servers}); publish the relays' addresses");
        }

        return new ResolvedPeer(name, hit, locators, "DNS", record.RendezvousServers, now + ttl);
    }

    private NamesFile? CurrentNamesFile()
    {
        if (_namesFilePath is null)
        {
            return null;
        }

        lock (_namesFileLock)
        {
            DateTime stamp;
            try
            {
                stamp = File.Exists(_namesFilePath) ? File.GetLastWriteTimeUtc(_namesFilePath) : DateTime.MinValue;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                stamp = DateTime.MinValue;
            }

            if (stamp == DateTime.MinValue)
            {
                if (_namesFileRequired)
                {
                    throw new ConfigException($"names file {_namesFilePath} does not exist; create it (NAME HIT [LOCATOR...] a line) or fix config \"namesFile\"");
                }

                _namesFile = null;
                return null;
            }

            // Read again whenever it changed, so edits take effect without a restart.
            if (_namesFile is null || stamp != _namesFileStamp)
            {
                _namesFile = NamesFile.Load(_namesFilePath);
                _namesFileStamp = stamp;
            }

            return _namesFile;
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static string Cut(string s) => s.Length > 96 ? s[..60] + " ... " + s[^30..] : s;
}
