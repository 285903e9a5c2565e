using FsCheck.Xunit;
using Hipnat.DataPlane.Beet;

namespace Hipnat.DataPlane.Tests.Beet;

public class InternetChecksumTests
{
    [Fact]
    public void Rfc1071_example()
    {
        // RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum (with carries) to ddf2, whose complement is 220d.
        byte[] data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        Assert.Equal(0xddf2, InternetChecksum.Fold(InternetChecksum.Add(0, data)));
        Assert.Equal(0x220d, InternetChecksum.Compute(data));
    }

    [Property(MaxTest = 300)]
    public void Matches_the_naive_sum_in_one_piece_or_split_at_an_even_offset(byte[] data, byte split)
    {
        data ??= [];
        Assert.Equal(NaiveChecksum.Of(data), InternetChecksum.Compute(data));
        int cut = Math.Min(data.Length, split) & ~1;
        ulong sum = InternetChecksum.Add(InternetChecksum.Add(0, data.AsSpan(0, cut)), data.AsSpan(cut));
        Assert.Equal(NaiveChecksum.Of(data), InternetChecksum.Finish(sum));
    }

    /// <summary>Long buffers take the vectorised path (32 octets at a time, RFC 1071 §2 B); all ones and all zeros included.</summary>
    [Property(MaxTest = 200)]
    public void Long_buffers_match_the_naive_sum(ushort lengthSeed, byte fill, int seed, ushort split)
    {
        int length = 64 + (lengthSeed % 66000);
        var data = new byte[length];
        switch (seed % 4)
        {
            case 0:
                Array.Fill(data, (byte)0xFF);
                break;
            case 1:
                Array.Fill(data, fill);
                break;
            default:
                new Random(seed).NextBytes(data);
                break;
        }

        Assert.Equal(NaiveChecksum.Of(data), InternetChecksum.Compute(data));
        int cut = Math.Min(data.Length, split) & ~1;
        ulong sum = InternetChecksum.Add(InternetChecksum.Add(0x1234, data.AsSpan(0, cut)), data.AsSpan(cut));
        Assert.Equal(NaiveChecksum.Of([0x12, 0x34, .. data]), InternetChecksum.Finish(sum));
    }
}
