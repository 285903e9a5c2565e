using System.Buffers.Binary;
using FsCheck;
using FsCheck.Xunit;
using Hipnat.Wire.Dns;

namespace Hipnat.Wire.Tests;

/// <summary>The HIP resource record (RFC 8005 §5, §6): RDATA codec, presentation forms and the RFC's examples.</summary>
public class HipResourceRecordTests
{
    private const string ExampleHit = "200100107B1A74DF365639CC39F1D578";

    // RFC 8005 §7: the Public Key field is wrapped over several lines in the RFC only because it is long.
    private const string ExampleKey =
        "AwEAAbdxyhNuSutc5EMzxTs9LBPCIkOFH8cI" +
        "vM4p9+LrV4e19WzK00+CI6zBCQTdtWsuxKbWIy87UOoJTwkUs7lBu+Upr1gsNrut79ry" +
        "ra+bSRGQb1slImA8YVJyuIDsj7kwzG7jnERNqnWxZ48AWkskmdHaVDP4BcelrTI3rMXd" +
        "XF5D";

    public static TheoryData<string, string[]> RfcExamples => new()
    {
        { $"www.example.com.      IN  HIP ( 2 {ExampleHit}\n                                {ExampleKey} )", [] },
        { $"www.example.com.      IN  HIP ( 2 {ExampleHit}\n                                {ExampleKey}\n                                rvs.example.com. )", ["rvs.example.com."] },
        {
            $"www.example.com.      IN  HIP ( 2 {ExampleHit}\n                                {ExampleKey}\n                                rvs1.example.com.\n                                rvs2.example.com. )",
            ["rvs1.example.com.", "rvs2.example.com."]
        },
    };

    [Theory]
    [MemberData(nameof(RfcExamples))]
    public void The_RFC_8005_examples_parse_and_encode_field_by_field(string text, string[] servers)
    {
        Assert.True(HipZoneEntry.TryParse(text, out var entry, out var error), error);
        Assert.Equal("www.example.com.", entry.Owner);
        Assert.Null(entry.Ttl);
        var r = entry.Record;
        Assert.Equal(HipRecordAlgorithm.Rsa, r.Algorithm);
        Assert.Equal(Convert.FromHexString(ExampleHit), r.HitBytes.ToArray());
        Assert.Equal(Convert.FromBase64String(ExampleKey), r.PublicKey.ToArray());
        Assert.Equal(servers, r.RendezvousServers);

        // RFC 8005 §5: HIT length | PK algorithm | PK length | HIT | Public Key | uncompressed names (RFC 1035 §3.3).
        var wire = r.ToArray();
        var key = Convert.FromBase64String(ExampleKey);
        Assert.Equal(16, wire[0]);
        Assert.Equal(2, wire[1]);
        Assert.Equal(key.Length, BinaryPrimitives.ReadUInt16BigEndian(wire.AsSpan(2)));
        Assert.Equal(Convert.FromHexString(ExampleHit), wire[4..20]);
        Assert.Equal(key, wire[20..(20 + key.Length)]);
        var names = new List<byte>();
        foreach (var s in servers)
        {
            foreach (var label in s.TrimEnd('.').Split('.'))
            {
                names.Add((byte)label.Length);
                names.AddRange(System.Text.Encoding.ASCII.GetBytes(label));
            }

            names.Add(0);
        }

        Assert.Equal(names.ToArray(), wire[(20 + key.Length)..]);

        Assert.Equal(WireError.None, HipResourceRecord.TryDecode(wire, out var decoded));
        Assert.Equal(r.ToPresentation(), decoded!.ToPresentation());
    }

    [Fact]
    public void A_zone_line_prints_and_parses_back_in_both_forms()
    {
        var r = HipResourceRecord.Create(HipRecordAlgorithm.Ecdsa, new byte[16], Enumerable.Range(1, 64).Select(i => (byte)i).ToArray(), ["Relay1.Example.", "relay2.example"]);
        var entry = new HipZoneEntry("bob.example.", 300, r);
        string line = entry.Format();
        Assert.StartsWith("bob.example. 300 IN HIP ( 3 00000000000000000000000000000000 ", line);
        Assert.EndsWith(" relay1.example. relay2.example. )", line);
        Assert.True(HipZoneEntry.TryParse(line, out var back, out var error), error);
        Assert.Equal(entry.Format(), back.Format());

        string generic = entry.Format(generic: true);
        Assert.StartsWith($"bob.example. 300 IN TYPE55 \\# {r.EncodedLength} 10030040", generic);
        Assert.True(HipZoneEntry.TryParse(generic, out var fromGeneric, out error), error);
        Assert.Equal(r.ToArray(), fromGeneric.Record.ToArray());
    }

    [Theory]
    [InlineData("", "Truncated")]
    [InlineData("100200", "Truncated")]
    [InlineData("00020001" + "aa", "InvalidParameter")] // HIT length 0: the HIT is required
    [InlineData("01020000" + "aa", "InvalidParameter")] // PK length 0: the key is required
    [InlineData("10020004" + "00", "Truncated")] // the HIT runs past the RDATA
    [InlineData("01020001" + "aa" + "bb" + "03727673", "Truncated")] // an unterminated name
    [InlineData("01020001" + "aa" + "bb" + "c00c", "InvalidParameter")] // a compression pointer (RFC 8005 §5.6: MUST NOT)
    [InlineData("01020001" + "aa" + "bb" + "00", "InvalidParameter")] // the root name is no server
    [InlineData("01020001" + "aa" + "bb" + "03722e7300", "InvalidParameter")] // a '.' inside a label
    public void Malformed_rdata_is_a_typed_error(string hex, string expected)
    {
        Assert.Equal(Enum.Parse<WireError>(expected), HipResourceRecord.TryDecode(Convert.FromHexString(hex), out var r));
        Assert.Null(r);
    }

    [Theory]
    [InlineData("", "at least")]
    [InlineData("( 2 0011 AAAA", "not closed")]
    [InlineData("x 0011 AAAA", "PK algorithm 'x'")]
    [InlineData("2 00:11 AAAA", "not base16")]
    [InlineData("2 0011 !!!!", "not base64")]
    [InlineData("2 0011 AAAA rvs.example", "trailing dot")]
    [InlineData("2 0011 AAAA bad..example.", "empty label")]
    [InlineData("( 2 0011 AAAA ) extra.", "follows the closing")]
    [InlineData("\\# 5 0102", "announces 5 octets but holds 2")]
    [InlineData("\\# 4 01020001", "malformed")]
    public void Bad_presentation_text_is_an_error_that_says_what_is_wrong(string text, string fragment)
    {
        Assert.False(HipResourceRecord.TryParsePresentation(text, out var r, out var error));
        Assert.Null(r);
        Assert.Contains(fragment, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("bob.example HIP ( 2 0011 AAAA )", null)]
    [InlineData("bob.example. 3600 IN HIP 2 0011 AAAA", 3600u)]
    [InlineData("bob.example. IN 60 HIP ( 2 0011 AAAA )", 60u)]
    public void Owner_ttl_and_class_are_read_in_either_order(string text, uint? ttl)
    {
        Assert.True(HipZoneEntry.TryParse(text, out var entry, out var error), error);
        Assert.Equal("bob.example.", entry.Owner);
        Assert.Equal(ttl, entry.Ttl);
    }

    [Theory]
    [InlineData("bob.example. IN A 192.0.2.1", "expected")]
    [InlineData("bob..example. IN HIP ( 2 0011 AAAA )", "owner name")]
    [InlineData("bob.example. CH HIP ( 2 0011 AAAA )", "neither a TTL nor the class IN")]
    public void A_line_that_is_not_a_HIP_entry_is_refused(string text, string fragment)
    {
        Assert.False(HipZoneEntry.TryParse(text, out _, out var error));
        Assert.Contains(fragment, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Bob.Example", "bob.example.")]
    [InlineData("relay_1.example.", "relay_1.example.")]
    public void Names_are_normalized_absolute_and_lower_case(string text, string expected)
    {
        Assert.True(DnsName.TryNormalize(text, out var name, out var error), error);
        Assert.Equal(expected, name);
    }

    [Theory]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("-bob.example")]
    [InlineData("bob example")]
    [InlineData("bob.exa$mple")]
    public void Names_that_are_no_host_names_are_refused(string text)
    {
        Assert.False(DnsName.TryNormalize(text, out _, out var error));
        Assert.NotEmpty(error);
    }

    [Fact]
    public void A_label_of_64_characters_and_a_name_over_255_octets_are_refused()
    {
        Assert.False(DnsName.TryNormalize(new string('a', 64) + ".example", out _, out _));
        Assert.True(DnsName.TryNormalize(new string('a', 63) + ".example", out _, out _));
        string longName = string.Join('.', Enumerable.Repeat(new string('a', 63), 4));
        Assert.False(DnsName.TryNormalize(longName, out _, out var error));
        Assert.Contains("wire format", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2001:20::1", false)]
    [InlineData("198.18.0.7", false)]
    [InlineData("bob.example.", true)]
    [InlineData("bob.", true)]
    [InlineData("bob", false)] // a single label needs its dot, so that a mistyped HIT stays an error about a HIT
    [InlineData("2001:22:xyz", false)]
    public void Names_are_told_apart_from_addresses(string text, bool isName) => Assert.Equal(isName, DnsName.LooksLikeName(text));

    [Property]
    public void Random_records_survive_encode_decode_and_both_presentation_forms(byte algorithm, NonEmptyArray<byte> hit, NonEmptyArray<byte> key, byte serverCount, int seed)
    {
        var h = hit.Get.Length > 255 ? hit.Get[..255] : hit.Get;
        var rnd = new Random(seed);
        var servers = Enumerable.Range(0, serverCount % 5)
            .Select(i => $"rvs{i}-{rnd.Next(1000)}.{(char)('a' + rnd.Next(26))}{rnd.Next(100)}.example.")
            .ToArray();
        var r = HipResourceRecord.Create((HipRecordAlgorithm)algorithm, h, key.Get, servers);

        Assert.Equal(WireError.None, HipResourceRecord.TryDecode(r.ToArray(), out var decoded));
        Assert.NotNull(decoded);
        Assert.Equal((HipRecordAlgorithm)algorithm, decoded.Algorithm);
        Assert.Equal(h, decoded.HitBytes.ToArray());
        Assert.Equal(key.Get, decoded.PublicKey.ToArray());
        Assert.Equal(servers, decoded.RendezvousServers);

        Assert.True(HipResourceRecord.TryParsePresentation(r.ToPresentation(), out var fromText, out var error), error);
        Assert.Equal(r.ToArray(), fromText.ToArray());
        Assert.True(HipResourceRecord.TryParsePresentation(r.ToGenericPresentation(), out var fromGeneric, out error), error);
        Assert.Equal(r.ToArray(), fromGeneric.ToArray());
    }

    [Property]
    public void Random_octets_never_throw(byte[] rdata)
    {
        var error = HipResourceRecord.TryDecode(rdata ?? [], out var r);
        Assert.Equal(error == WireError.None, r is not null);
        if (r is not null)
        {
            // Whatever decodes encodes back to as many octets (no compression, nothing skipped; names in lower case).
            Assert.Equal(rdata!.Length, r.EncodedLength);
        }
    }

    [Property]
    public void Random_text_never_throws(string text)
    {
        _ = HipResourceRecord.TryParsePresentation(text, out _, out _);
        _ = HipZoneEntry.TryParse(text, out _, out _);
    }
}
