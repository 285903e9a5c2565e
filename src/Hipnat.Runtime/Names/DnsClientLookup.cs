using System.Net;
using System.Net.Sockets;
using DnsClient;
using DnsClient.Protocol;

namespace Hipnat.Runtime.Names;

/// <summary>
/// DNS queries through DnsClient: to the configured servers (config "dns.servers"), or else to those of the system
/// resolver (/etc/resolv.conf). Answers are not cached here; <see cref="NameResolver"/> caches resolved peers by TTL.
/// </summary>
public sealed class DnsClientLookup : IDnsLookup
{
    private readonly DnsSettings _settings;
    private readonly Lock _lock = new();
    private LookupClient? _client;

    public DnsClientLookup(DnsSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _settings = settings;
        Servers = settings.Servers.Count > 0 ? string.Join(", ", settings.Servers) : "the system resolver (/etc/resolv.conf)";
    }

    public string Servers { get; }

    public async Task<DnsRecordSet> QueryAsync(string name, ushort type, CancellationToken cancellationToken)
    {
        IDnsQueryResponse response;
        try
        {
            response = await Client().QueryAsync(name, (QueryType)type, QueryClass.IN, cancellationToken);
        }
        catch (DnsResponseException e)
        {
            throw new NameResolutionException(NameResolutionFailure.DnsFailure, $"DNS query for {name} (type {TypeName(type)}) at {Servers} failed: {e.Message}");
        }
        catch (SocketException e)
        {
            throw new NameResolutionException(NameResolutionFailure.DnsFailure, $"DNS query for {name} (type {TypeName(type)}) at {Servers} failed: {e.Message}");
        }
        catch (InvalidOperationException e)
        {
            throw new NameResolutionException(NameResolutionFailure.DnsFailure, $"DNS query for {name} (type {TypeName(type)}) at {Servers} failed: {e.Message}");
        }

        if (response.Header.ResponseCode == DnsHeaderResponseCode.NotExistentDomain)
        {
            return DnsRecordSet.Negative(DnsAnswerStatus.NameError, NegativeTtl(response));
        }

        if (response.HasError)
        {
            throw new NameResolutionException(NameResolutionFailure.DnsFailure,
                $"DNS query for {name} (type {TypeName(type)}) at {Servers} failed: {response.ErrorMessage} (RCODE {(int)response.Header.ResponseCode})");
        }

        var data = new List<byte[]>();
        int ttl = int.MaxValue;
        foreach (var record in response.Answers)
        {
            if ((ushort)record.RecordType != type)
            {
                continue;
            }

            byte[]? rdata = record switch
            {
                ARecord a => a.Address.GetAddressBytes(),
                AaaaRecord aaaa => aaaa.Address.GetAddressBytes(),
                UnknownRecord u => u.Data.ToArray(),
                _ => null,
            };
            if (rdata is not null)
            {
                data.Add(rdata);
                ttl = Math.Min(ttl, Math.Max(0, record.TimeToLive));
            }
        }

        return data.Count == 0 ? DnsRecordSet.Negative(DnsAnswerStatus.NoData, NegativeTtl(response)) : new DnsRecordSet(DnsAnswerStatus.Answer, data, TimeSpan.FromSeconds(ttl));
    }

    /// <summary>RFC 2308 §5: a negative answer is cached for the SOA's TTL or its MINIMUM field, whichever is less.</summary>
    private static TimeSpan NegativeTtl(IDnsQueryResponse response)
    {
        foreach (var soa in response.Authorities.OfType<SoaRecord>())
        {
            return TimeSpan.FromSeconds(Math.Min((long)Math.Max(0, soa.TimeToLive), (long)soa.Minimum));
        }

        return TimeSpan.Zero;
    }

    /// <summary>Made at the first query, so a host without /etc/resolv.conf runs fine until a name is asked for.</summary>
    private LookupClient Client()
    {
        lock (_lock)
        {
            if (_client is null)
            {
                var options = _settings.Servers.Count > 0
                    ? new LookupClientOptions(_settings.Servers.Select(s => new NameServer(s)).ToArray())
                    : new LookupClientOptions();
                options.UseCache = false;
                options.Timeout = _settings.Timeout;
                options.Retries = _settings.Retries;
                options.ThrowDnsErrors = false;
                options.UseTcpFallback = true;
                _client = new LookupClient(options);
            }

            return _client;
        }
    }

    private static string TypeName(ushort type) => type switch
    {
        1 => "A",
        28 => "AAAA",
        Wire.Dns.HipResourceRecord.RecordType => "HIP",
        _ => type.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
