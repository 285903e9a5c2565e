using Hipnat.Wire.Packets;
using Hipnat.Wire.Parameters;
using static Hipnat.Wire.Tests.TestWire;

namespace Hipnat.Wire.Tests;

/// <summary>RFC 7401 §5.2.1: Total Length = 11 + Length - (Length + 3) % 8, always a multiple of 8.</summary>
public class TlvPaddingTests
{
    [Theory]
    [InlineData(0, 8)]
    [InlineData(1, 8)]
    [InlineData(4, 8)]
    [InlineData(5, 16)]
    [InlineData(12, 16)]
    [InlineData(13, 24)]
    [InlineData(20, 24)]
    [InlineData(48, 56)]
    [InlineData(65535, 65544)]
    public void Total_length_formula(int length, int total)
    {
        Assert.Equal(total, HipParameterHeader.TotalLength(length));
    }

    [Fact]
    public void Total_is_the_smallest_multiple_of_eight_holding_header_and_contents()
    {
        for (int len = 0; len < 2048; len++)
        {
            int total = HipParameterHeader.TotalLength(len);
            Assert.Equal(0, total % 8);
            Assert.True(total >= 4 + len && total < 4 + len + 8, $"length {len} -> {total}");
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(7)]
    [InlineData(11)]
    [InlineData(100)]
    public void Builder_pads_with_zeros_to_eight(int length)
    {
        var bytes = Build(HipPacketType.Update, (ref HipPacketBuilder b) =>
        {
            b.Add(new SeqParameter(1));
            b.AddRaw(ParameterType.EchoRequestSigned, Enumerable.Repeat((byte)0xEE, length).ToArray());
        });
        Assert.Equal(HipHeader.Size + HipParameterHeader.TotalLength(length) + 8, bytes.Length);
        var padding = bytes.AsSpan(HipHeader.Size + 8 + 4 + length, HipParameterHeader.TotalLength(length) - 4 - length);
        Assert.True(padding.IndexOfAnyExcept((byte)0) < 0);
        Assert.Equal(WireError.None, HipPacket.TryParse(bytes, out var p));
        Assert.True(p.TryGet(out SeqParameter seq));
        Assert.Equal(1u, seq.UpdateId);
        Assert.True(p.TryGet(out EchoRequestSignedParameter echo));
        Assert.Equal(length, echo.Opaque.Length);
    }

    [Fact]
    public void Dh_group_list_of_five_ids_is_padded_to_sixteen()
    {
        // RFC 7401 §5.2.6 figure: four IDs in the first word, the fifth followed by padding.
        var bytes = BuildWith(new DhGroupListParameter(1, 2, 3, 4, 5));
        Assert.Equal([0x01, 0xFF, 0, 5, 1, 2, 3, 4, 5, 0, 0, 0, 0, 0, 0, 0], bytes.AsSpan(HipHeader.Size).ToArray());
    }
}
