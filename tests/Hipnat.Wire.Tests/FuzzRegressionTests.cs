using Hipnat.Wire.Packets;
using Hipnat.Wire.Parameters;

namespace Hipnat.Wire.Tests;

/// <summary>Inputs found by the fuzz harnesses (fuzz/Hipnat.Fuzz) that once made an exception escape.</summary>
public class FuzzRegressionTests
{
    /// <summary>hip-parse: an R1 whose PUZZLE lifetime exponent is 165 (2^133 s) overflowed TimeSpan.</summary>
    private const string R1WithHugePuzzleLifetime =
        "000000003B32022100000000200100227F0E9EFF5C84A71A4721C9AE200100225297BE1C33ACBABE7E56C7D70081000C00000000000000000000000101010034" +
        "00A50001FB2D5F60C3363CE9ED4E1E0740E56B3084274F66847F754F27210D46A523043EC781757F1BCEDE4DBB3B703ED745919901FF00030708040002010043" +
        "0700404B282EE8CC129CC8AD03364F93C2EB0D26278162071628BECE50DCE1641FABF2392BFDC54812EF8D778C698ADE90925481B31F50CEC44897961C823F01" +
        "F97B3100024300040002000402600008000000030002000100000000026200040000003202C1004900430000000700010446009843E2C69C1FC33B37A3FA7E4E" +
        "7D410BB793B7298B6F3D415F6E58E383358CCF61AA2E583B06AADDC9FC63E89CEC51EFED38DC30B80244C6C059B815488400000002CB00022010000008010002" +
        "0FFF00000FFF00080000000D0008000900000000F0C100420007B5228FB009071B565F19B8641EE37C5B2A74D778495C5095B36DC8B18489D14BBCEF4FE98D35" +
        "EED56366E478676137D2FA1359BC6F3F69BECF3E0C4F7FDDAB070000";

    [Fact]
    public void Puzzle_lifetime_beyond_a_TimeSpan_reads_as_the_maximum()
    {
        var datagram = Convert.FromHexString(R1WithHugePuzzleLifetime);
        Assert.Equal(WireError.None, HipUdpFraming.TryGetHipControl(datagram, out var hip));
        Assert.Equal(WireError.None, HipPacket.TryParse(hip, out var packet, rejectUnknownCritical: false));
        Assert.True(packet.TryGet<PuzzleParameter>(out var puzzle));
        Assert.Equal(165, puzzle.Lifetime);
        Assert.Equal(TimeSpan.MaxValue, puzzle.LifetimeSpan);
    }

    [Theory]
    [InlineData(32, 1.0)]
    [InlineData(37, 32.0)]
    [InlineData(71, 549755813888.0)]
    public void Puzzle_lifetime_is_two_to_the_value_minus_32_seconds(byte lifetime, double seconds)
    {
        var puzzle = new PuzzleParameter(1, lifetime, 0, new byte[32]);
        Assert.Equal(TimeSpan.FromSeconds(seconds), puzzle.LifetimeSpan);
    }

    [Theory]
    [InlineData(72)]
    [InlineData(255)]
    public void Puzzle_lifetime_exponents_past_the_TimeSpan_range_saturate(byte lifetime)
    {
        var puzzle = new PuzzleParameter(1, lifetime, 0, new byte[32]);
        Assert.Equal(TimeSpan.MaxValue, puzzle.LifetimeSpan);
    }
}
