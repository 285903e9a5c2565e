using System.Buffers.Binary;
using FsCheck.Xunit;
using Hipnat.Wire.Dns;

namespace Hipnat.Wire.Tests;

/// <summary>The DNS message codec of the local responder (RFC 1035 §4.1): queries read, responses written.</summary>
public class DnsMessageTests
{
    /// <summary>A query as a stub resolver sends it: ID, RD, one question, and an EDNS OPT record (RFC 6891 §6.1.2).</summary>
    internal static byte[] Query(string name, ushort type, ushort id = 0xBEEF, bool edns = true, ushort qclass = 1, ushort flags = 0x0100)
    {
        var m = new List<byte>();
        void U16(int v) => m.AddRange([(byte)(v >> 8), (byte)v]);
        U16(id);
        U16(flags);
        U16(1);
        U16(0);
        U16(0);
        U16(edns ? 1 : 0);
        foreach (var label in name.TrimEnd('.').Split('.'))
        {
            m.Add((byte)label.Length);
            m.AddRange(System.Text.Encoding.ASCII.GetBytes(label));
        }

        m.Add(0);
        U16(type);
        U16(qclass);
        if (edns)
        {
            m.Add(0); // root owner
            U16(41); // OPT
            U16(1232); // UDP payload size
            m.AddRange([0, 0, 0, 0]);
            U16(0);
        }

        return [.. m];
    }

    [Fact]
    public void A_query_is_read_field_by_field_and_its_name_comes_back_in_lower_case()
    {
        var q = Query("Bob.Example", DnsRecordTypes.Aaaa);
        Assert.Equal(WireError.None, DnsQuery.TryParse(q, out var parsed));
        Assert.Equal(0xBEEF, parsed.Header.Id);
        Assert.False(parsed.Header.IsResponse);
        Assert.Equal(0, parsed.Header.Opcode);
        Assert.True(parsed.Header.RecursionDesired);
        Assert.Equal(1, parsed.Header.QuestionCount);
        Assert.Equal(1, parsed.Header.AdditionalCount);
        Assert.Equal("bob.example.", parsed.Question.HostName);
        Assert.Equal(DnsRecordTypes.Aaaa, parsed.Question.Type);
        Assert.Equal(DnsRecordTypes.ClassIn, parsed.Question.Class);
        Assert.Equal(DnsHeader.Length, parsed.Question.Offset);
        Assert.Equal(1 + 3 + 1 + 7 + 1 + 4, parsed.Question.Length);
    }

    [Theory]
    [InlineData("-bad.example")]
    [InlineData("sp ace.example")]
    [InlineData("bad-.example")]
    public void A_name_that_is_no_host_name_is_read_without_a_host_name(string name)
    {
        Assert.Equal(WireError.None, DnsQuery.TryParse(Query(name, DnsRecordTypes.A), out var parsed));
        Assert.Null(parsed.Question.HostName);
        Assert.Equal(DnsRecordTypes.A, parsed.Question.Type);
    }

    [Fact]
    public void The_root_name_has_no_host_name()
    {
        byte[] q = [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 1];
        Assert.Equal(WireError.None, DnsQuery.TryParse(q, out var parsed));
        Assert.Null(parsed.Question.HostName);
        Assert.Equal(2, parsed.Question.Type);
    }

    [Fact]
    public void Every_truncation_of_a_query_is_a_typed_error_and_the_header_is_kept_when_it_is_whole()
    {
        var q = Query("bob.example", DnsRecordTypes.A, edns: false);
        for (int n = 0; n < q.Length; n++)
        {
            var error = DnsQuery.TryParse(q.AsSpan(0, n), out var parsed);
            Assert.Equal(WireError.Truncated, error);
            if (n >= DnsHeader.Length)
            {
                Assert.Equal(0xBEEF, parsed.Header.Id);
            }
        }
    }

    [Fact]
    public void A_compression_pointer_in_the_question_is_invalid()
    {
        byte[] q = [0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1];
        Assert.Equal(WireError.InvalidParameter, DnsQuery.TryParse(q, out _));
    }

    [Fact]
    public void A_name_longer_than_255_octets_is_too_long()
    {
        string name = string.Join('.', Enumerable.Repeat(new string('a', 63), 4));
        Assert.Equal(WireError.TooLong, DnsQuery.TryParse(Query(name, DnsRecordTypes.A, edns: false), out _));
        string fits = string.Join('.', Enumerable.Repeat(new string('a', 63), 3)) + "." + new string('b', 61);
        Assert.Equal(WireError.None, DnsQuery.TryParse(Query(fits, DnsRecordTypes.A, edns: false), out var parsed));
        Assert.Equal(fits + ".", parsed.Question.HostName);
    }

    [Fact]
    public void An_answer_repeats_the_question_as_asked_and_points_its_owner_at_it()
    {
        var q = Query("BoB.example", DnsRecordTypes.Aaaa, id: 0x1234, flags: 0x0110);
        Assert.Equal(WireError.None, DnsQuery.TryParse(q, out var parsed));
        byte[] hit = Convert.FromHexString("2001002a000000000000000000000001");
        var r = DnsResponseWriter.Response(q, parsed, DnsResponseCode.NoError, 300, hit);

        Assert.True(DnsHeader.TryRead(r, out var h));
        Assert.Equal(0x1234, h.Id);
        Assert.True(h.IsResponse);
        Assert.True(h.RecursionDesired);
        Assert.Equal(DnsHeader.CheckingDisabledFlag, h.Flags & DnsHeader.CheckingDisabledFlag);
        Assert.Equal(DnsHeader.RecursionAvailableFlag, h.Flags & DnsHeader.RecursionAvailableFlag);
        Assert.Equal(0, h.Flags & DnsHeader.AuthoritativeFlag);
        Assert.Equal(DnsResponseCode.NoError, h.ResponseCode);
        Assert.Equal((1, 1, 0, 0), (h.QuestionCount, h.AnswerCount, h.AuthorityCount, h.AdditionalCount));
        int ql = parsed.Question.Length;
        Assert.Equal(q.AsSpan(12, ql).ToArray(), r.AsSpan(12, ql).ToArray());
        var a = r.AsSpan(12 + ql);
        Assert.Equal(0xC00C, BinaryPrimitives.ReadUInt16BigEndian(a));
        Assert.Equal(DnsRecordTypes.Aaaa, BinaryPrimitives.ReadUInt16BigEndian(a[2..]));
        Assert.Equal(1, BinaryPrimitives.ReadUInt16BigEndian(a[4..]));
        Assert.Equal(300u, BinaryPrimitives.ReadUInt32BigEndian(a[6..]));
        Assert.Equal(16, BinaryPrimitives.ReadUInt16BigEndian(a[10..]));
        Assert.Equal(hit, a[12..].ToArray());
        Assert.Equal(12 + ql + 12 + 16, r.Length);
    }

    [Fact]
    public void A_failure_has_the_question_and_no_answer_and_a_ttl_is_capped()
    {
        var q = Query("bob.example", DnsRecordTypes.A);
        DnsQuery.TryParse(q, out var parsed);
        var r = DnsResponseWriter.Response(q, parsed, DnsResponseCode.ServerFailure);
        Assert.True(DnsHeader.TryRead(r, out var h));
        Assert.Equal(DnsResponseCode.ServerFailure, h.ResponseCode);
        Assert.Equal((1, 0), (h.QuestionCount, h.AnswerCount));

        var capped = DnsResponseWriter.Response(q, parsed, DnsResponseCode.NoError, uint.MaxValue, [192, 0, 2, 1]);
        Assert.Equal((uint)int.MaxValue, BinaryPrimitives.ReadUInt32BigEndian(capped.AsSpan(12 + parsed.Question.Length + 6)));
    }

    [Fact]
    public void A_format_error_has_only_a_header()
    {
        var header = new DnsHeader(7, 0x0100 | (2 << 11), 1, 0, 0, 0);
        var r = DnsResponseWriter.HeaderOnly(header, DnsResponseCode.FormatError);
        Assert.True(DnsHeader.TryRead(r, out var h));
        Assert.Equal(12, r.Length);
        Assert.Equal(7, h.Id);
        Assert.Equal(2, h.Opcode);
        Assert.Equal(DnsResponseCode.FormatError, h.ResponseCode);
        Assert.Equal(0, h.QuestionCount);
    }

    [Property(MaxTest = 500)]
    public bool Arbitrary_octets_never_throw(byte[] data) =>
        DnsQuery.TryParse(data, out _) is WireError.None or WireError.Truncated or WireError.InvalidParameter or WireError.TooLong;

    [Property(MaxTest = 300)]
    public bool A_query_with_any_mutated_octet_parses_or_fails_with_a_typed_error(byte position, byte value)
    {
        var q = Query("alice.example", DnsRecordTypes.A);
        q[position % q.Length] = value;
        var error = DnsQuery.TryParse(q, out var parsed);
        return error != WireError.None || !parsed.HasQuestion || parsed.Question.Offset + parsed.Question.Length <= q.Length;
    }
}
