using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace Hipnat.Wire.Dns;

/// <summary>
/// The RDATA of a HIP resource record (RFC 8005 §5, RR type 55): HIT length, PK algorithm, PK length, HIT, Public
/// Key and, optionally, the domain names of rendezvous servers in order of preference. Also its presentation form
/// (RFC 8005 §6): <c>( pk-algorithm base16-hit base64-public-key rendezvous-server... )</c>. Decoding untrusted
/// octets never throws: it ends in a <see cref="WireError"/>.
/// </summary>
public sealed class HipResourceRecord
{
    /// <summary>The RR type number of HIP (RFC 8005 §9).</summary>
    public const ushort RecordType = 55;

    /// <summary>HIT length, PK algorithm and PK length (RFC 8005 §5).</summary>
    public const int FixedLength = 4;

    /// <summary>Largest RDATA (RDLENGTH is 16 bits, RFC 1035 §3.2.1).</summary>
    public const int MaxLength = ushort.MaxValue;

    private readonly byte[] _hit;
    private readonly byte[] _publicKey;

    private HipResourceRecord(HipRecordAlgorithm algorithm, byte[] hit, byte[] publicKey, IReadOnlyList<string> rendezvousServers)
    {
        Algorithm = algorithm;
        _hit = hit;
        _publicKey = publicKey;
        RendezvousServers = rendezvousServers;
    }

    /// <summary>The PK algorithm (RFC 8005 §5.2).</summary>
    public HipRecordAlgorithm Algorithm { get; }

    /// <summary>The HIT field as stored (RFC 8005 §5.4); 16 octets for a HIPv2 HIT.</summary>
    public ReadOnlyMemory<byte> HitBytes => _hit;

    /// <summary>The HIT field as a <see cref="Wire.Hit"/>; null when it is not 16 octets long.</summary>
    public Hit? Hit => _hit.Length == Wire.Hit.Length ? new Hit(_hit) : null;

    /// <summary>The Public Key field (RFC 8005 §5.5), in the format the PK algorithm implies.</summary>
    public ReadOnlyMemory<byte> PublicKey => _publicKey;

    /// <summary>Rendezvous servers, most preferred first, absolute and in lower case (RFC 8005 §5.6).</summary>
    public IReadOnlyList<string> RendezvousServers { get; }

    /// <summary>
    /// Builds a record. Throws <see cref="ArgumentException"/> for values no record can carry (a HIT of 0 or more than
    /// 255 octets, an empty key, an invalid rendezvous server name, RDATA over 65535 octets).
    /// </summary>
    public static HipResourceRecord Create(HipRecordAlgorithm algorithm, ReadOnlySpan<byte> hit, ReadOnlySpan<byte> publicKey, IEnumerable<string>? rendezvousServers = null)
    {
        if (hit.Length is 0 or > byte.MaxValue)
        {
            throw new ArgumentException("the HIT field holds 1-255 octets", nameof(hit));
        }

        if (publicKey.Length is 0 or > ushort.MaxValue)
        {
            throw new ArgumentException("the Public Key field holds 1-65535 octets", nameof(publicKey));
        }

        var servers = new List<string>();
        foreach (var s in rendezvousServers ?? [])
        {
            if (!DnsName.TryNormalize(s, out var name, out var error))
            {
                throw new ArgumentException("rendezvous server " + error, nameof(rendezvousServers));
            }

            servers.Add(name);
        }

        var record = new HipResourceRecord(algorithm, hit.ToArray(), publicKey.ToArray(), servers);
        if (record.EncodedLength > MaxLength)
        {
            throw new ArgumentException($"the record's RDATA would be {record.EncodedLength} octets; at most {MaxLength} fit", nameof(publicKey));
        }

        return record;
    }

    /// <summary>Length of the RDATA <see cref="Encode"/> writes.</summary>
    public int EncodedLength => FixedLength + _hit.Length + _publicKey.Length + RendezvousServers.Sum(DnsName.WireLength);

    /// <summary>Writes the RDATA (RFC 8005 §5); returns the octets written.</summary>
    public int Encode(Span<byte> destination)
    {
        int total = EncodedLength;
        if (destination.Length < total)
        {
            throw new ArgumentException($"the record needs {total} octets", nameof(destination));
        }

        destination[0] = (byte)_hit.Length;
        destination[1] = (byte)Algorithm;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)_publicKey.Length);
        int o = FixedLength;
        _hit.CopyTo(destination[o..]);
        o += _hit.Length;
        _publicKey.CopyTo(destination[o..]);
        o += _publicKey.Length;
        foreach (var s in RendezvousServers)
        {
            o += DnsName.Write(s, destination[o..]);
        }

        return o;
    }

    /// <summary>The RDATA as a new array.</summary>
    public byte[] ToArray()
    {
        var buffer = new byte[EncodedLength];
        Encode(buffer);
        return buffer;
    }

    /// <summary>
    /// Decodes untrusted RDATA (RFC 8005 §5). The HIT and the key must be non-empty and fit the RDATA; whatever
    /// follows them is a series of uncompressed domain names (§5.6) that must end exactly at the end of the RDATA.
    /// </summary>
    public static WireError TryDecode(ReadOnlySpan<byte> rdata, [NotNullWhen(true)] out HipResourceRecord? record)
    {
        record = null;
        if (rdata.Length < FixedLength)
        {
            return WireError.Truncated;
        }

        if (rdata.Length > MaxLength)
        {
            return WireError.TooLong;
        }

        int hitLength = rdata[0];
        var algorithm = (HipRecordAlgorithm)rdata[1];
        int pkLength = BinaryPrimitives.ReadUInt16BigEndian(rdata[2..]);
        if (hitLength == 0 || pkLength == 0)
        {
            // RFC 8005 §5: HIT and Public Key are REQUIRED.
            return WireError.InvalidParameter;
        }

        if (FixedLength + hitLength + pkLength > rdata.Length)
        {
            return WireError.Truncated;
        }

        var hit = rdata.Slice(FixedLength, hitLength).ToArray();
        var key = rdata.Slice(FixedLength + hitLength, pkLength).ToArray();
        var servers = new List<string>();
        var rest = rdata[(FixedLength + hitLength + pkLength)..];
        while (!rest.IsEmpty)
        {
            var error = DnsName.TryRead(rest, out var name, out int consumed);
            if (error != WireError.None)
            {
                return error;
            }

            servers.Add(name);
            rest = rest[consumed..];
        }

        record = new HipResourceRecord(algorithm, hit, key, servers);
        return WireError.None;
    }

    /// <summary>
    /// The RDATA in presentation form (RFC 8005 §6) on one line: <c>( 2 HEXHIT BASE64KEY rvs1.example. )</c>.
    /// </summary>
    public string ToPresentation()
    {
        var sb = new StringBuilder("( ");
        sb.Append(((byte)Algorithm).ToString(CultureInfo.InvariantCulture)).Append(' ');
        sb.Append(Convert.ToHexString(_hit)).Append(' ');
        sb.Append(Convert.ToBase64String(_publicKey));
        foreach (var s in RendezvousServers)
        {
            sb.Append(' ').Append(s);
        }

        return sb.Append(" )").ToString();
    }

    /// <summary>
    /// The RDATA in the generic form of RFC 3597 §5, <c>\# LENGTH HEX</c>, for DNS servers whose zone files do not
    /// know the HIP type by name (write it after <c>TYPE55</c>).
    /// </summary>
    public string ToGenericPresentation() =>
        string.Create(CultureInfo.InvariantCulture, $"\\# {EncodedLength} {Convert.ToHexString(ToArray()).ToLowerInvariant()}");

    /// <summary>
    /// Parses the RDATA part of a HIP record in presentation form (RFC 8005 §6): PK algorithm, base16 HIT, base64
    /// public key and any rendezvous servers, separated by white space, optionally in parentheses and over several
    /// lines; or the generic form <c>\# LENGTH HEX</c> (RFC 3597 §5). Never throws.
    /// </summary>
    public static bool TryParsePresentation(string? text, [NotNullWhen(true)] out HipResourceRecord? record, [NotNullWhen(false)] out string? error)
    {
        record = null;
        var tokens = Tokenize(text ?? string.Empty, out var tokenError);
        if (tokens is null)
        {
            error = tokenError ?? "unreadable record data";
            return false;
        }

        if (tokens.Count > 0 && tokens[0] == "\\#")
        {
            return TryParseGeneric(tokens, out record, out error);
        }

        if (tokens.Count < 3)
        {
            error = "a HIP record needs at least a PK algorithm, a base16 HIT and a base64 public key (RFC 8005 §6)";
            return false;
        }

        if (!byte.TryParse(tokens[0], NumberStyles.None, CultureInfo.InvariantCulture, out byte algorithm))
        {
            error = $"PK algorithm '{tokens[0]}' is not a number 0-255 (2 = RSA, 3 = ECDSA; RFC 8005 §5.2)";
            return false;
        }

        byte[] hit;
        try
        {
            hit = Convert.FromHexString(tokens[1]);
        }
        catch (FormatException)
        {
            error = $"HIT '{tokens[1]}' is not base16 (hexadecimal without separators, RFC 8005 §6)";
            return false;
        }

        if (hit.Length is 0 or > byte.MaxValue)
        {
            error = $"HIT '{tokens[1]}' must be 1-255 octets";
            return false;
        }

        byte[] key;
        try
        {
            key = Convert.FromBase64String(tokens[2]);
        }
        catch (FormatException)
        {
            error = $"public key '{Cut(tokens[2])}' is not base64 without white space (RFC 8005 §6)";
            return false;
        }

        if (key.Length is 0 or > ushort.MaxValue)
        {
            error = "the public key must be 1-65535 octets";
            return false;
        }

        var servers = new List<string>();
        foreach (var t in tokens.Skip(3))
        {
            if (!t.EndsWith('.'))
            {
                error = $"rendezvous server '{t}' is not an absolute name; write it with its trailing dot ('{t}.')";
                return false;
            }

            if (!DnsName.TryNormalize(t, out var name, out var nameError))
            {
                error = "rendezvous server " + nameError;
                return false;
            }

            servers.Add(name);
        }

        var r = new HipResourceRecord((HipRecordAlgorithm)algorithm, hit, key, servers);
        if (r.EncodedLength > MaxLength)
        {
            error = $"the record's RDATA would be {r.EncodedLength} octets; at most {MaxLength} fit";
            return false;
        }

        record = r;
        error = null;
        return true;
    }

    private static bool TryParseGeneric(List<string> tokens, [NotNullWhen(true)] out HipResourceRecord? record, [NotNullWhen(false)] out string? error)
    {
        record = null;
        if (tokens.Count < 2 || !int.TryParse(tokens[1], NumberStyles.None, CultureInfo.InvariantCulture, out int length))
        {
            error = "generic RDATA must read \\# LENGTH HEX (RFC 3597 §5)";
            return false;
        }

        byte[] rdata;
        try
        {
            rdata = Convert.FromHexString(string.Concat(tokens.Skip(2)));
        }
        catch (FormatException)
        {
            error = "generic RDATA after \\# LENGTH is not hexadecimal (RFC 3597 §5)";
            return false;
        }

        if (rdata.Length != length)
        {
            error = $"generic RDATA announces {length} octets but holds {rdata.Length} (RFC 3597 §5)";
            return false;
        }

        var wire = TryDecode(rdata, out record);
        error = wire == WireError.None ? null : $"the HIP RDATA is malformed ({wire})";
        return wire == WireError.None;
    }

    /// <summary>Splits on white space; drops one pair of parentheses and ';' comments (RFC 1035 §5.1).</summary>
    private static List<string>? Tokenize(string text, out string? error)
    {
        var tokens = new List<string>();
        int depth = 0;
        foreach (var rawLine in text.Split('\n'))
        {
            int comment = rawLine.IndexOf(';', StringComparison.Ordinal);
            string line = comment >= 0 ? rawLine[..comment] : rawLine;
            foreach (var part in line.Replace("(", " ( ", StringComparison.Ordinal).Replace(")", " ) ", StringComparison.Ordinal)
                .Split([' ', '\t', '\r'], StringSplitOptions.RemoveEmptyEntries))
            {
                if (part == "(")
                {
                    if (++depth > 1 || tokens.Count > 0)
                    {
                        error = "'(' must open the record data once, before the PK algorithm";
                        return null;
                    }
                }
                else if (part == ")")
                {
                    if (--depth < 0)
                    {
                        error = "')' without '('";
                        return null;
                    }
                }
                else if (depth == 0 && tokens.Count > 0 && text.Contains('(', StringComparison.Ordinal))
                {
                    error = $"'{Cut(part)}' follows the closing ')'";
                    return null;
                }
                else
                {
                    tokens.Add(part);
                }
            }
        }

        if (depth != 0)
        {
            error = "'(' is not closed";
            return null;
        }

        error = null;
        return tokens;
    }

    private static string Cut(string s) => s.Length > 24 ? s[..21] + "..." : s;
}
