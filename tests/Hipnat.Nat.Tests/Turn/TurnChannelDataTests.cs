using Hipnat.Nat.Turn;

namespace Hipnat.Nat.Tests.Turn;

public class TurnChannelDataTests
{
    [Theory]
    [InlineData(0, false, 4)]
    [InlineData(1, false, 5)]
    [InlineData(1, true, 8)]
    [InlineData(4, true, 8)]
    [InlineData(5, true, 12)]
    [InlineData(7, true, 12)]
    public void FramingAndPadding(int length, bool pad, int size)
    {
        var data = Enumerable.Range(1, length).Select(i => (byte)i).ToArray();
        var message = TurnChannelData.Write(0x4001, data, pad);
        Assert.Equal(size, message.Length);
        Assert.Equal(new byte[] { 0x40, 0x01, 0x00, (byte)length }, message[..4]);
        Assert.True(TurnChannelData.LooksLikeChannelData(message));
        Assert.True(TurnChannelData.TryParse(message, out var channel, out var parsed));
        Assert.Equal(0x4001, channel);
        Assert.Equal(data, parsed.ToArray()); // the length excludes the padding (RFC 8656 §12.5)
    }

    [Theory]
    [InlineData("3fff0000")]        // below the channel range
    [InlineData("50000000")]        // reserved 0x5000-0xFFFF
    [InlineData("40000005aabbcc")]  // shorter than the claimed length
    [InlineData("4000")]
    [InlineData("")]
    public void InvalidMessagesAreDiscarded(string hex) =>
        Assert.False(TurnChannelData.TryParse(Convert.FromHexString(hex), out _, out _));

    [Fact]
    public void WriterRejectsNumbersOutsideTheRange()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => TurnChannelData.Write(0x3FFF, []));
        Assert.Throws<ArgumentOutOfRangeException>(() => TurnChannelData.Write(0x5000, []));
        Assert.True(TurnChannelData.IsValidChannel(0x4FFF));
    }
}
