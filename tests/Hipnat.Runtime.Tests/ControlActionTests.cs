using Hipnat.Runtime.Control;

namespace Hipnat.Runtime.Tests;

public sealed class ControlActionTests
{
    private const string Hit = "2001:2c::1";

    [Theory]
    [InlineData("connect", "not-a-hit", null, null, "not-a-hit")]
    [InlineData("connect", Hit, 0.0, null, "timeoutSeconds 0 is out of range; use 0.1-3600")]
    [InlineData("connect", Hit, 3601.0, null, "timeoutSeconds 3601 is out of range; use 0.1-3600")]
    [InlineData("close", "", null, null, "HIT")]
    [InlineData("peers-add", Hit, null, null, "peers-add needs at least one locator")]
    [InlineData("peers-add", Hit, null, "192.0.2.300:10500", "locator ")]
    [InlineData("reboot", null, null, null, "unknown command 'reboot'")]
    public void BadArgumentsAreOneClearError(string command, string? hit, double? timeout, string? locator, string expected)
    {
        var request = new ControlRequest { Command = command, Hit = hit, TimeoutSeconds = timeout, Locators = locator is null ? null : [locator] };

        Assert.False(ControlAction.TryParse(request, out var action, out var error));
        Assert.Null(action);
        Assert.Contains(expected, error, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void GoodArgumentsBecomeTypedValues()
    {
        Assert.True(ControlAction.TryParse(new ControlRequest { Command = "connect", Hit = Hit }, out var connect, out _));
        Assert.Equal(ControlAction.DefaultConnectTimeout, Assert.IsType<ControlAction.Connect>(connect).Timeout);

        Assert.True(ControlAction.TryParse(new ControlRequest { Command = "peers-add", Hit = Hit, Locators = ["192.0.2.1:10500", "[2001:db8::1]:10500"] }, out var add, out _));
        var peer = Assert.IsType<ControlAction.AddPeer>(add);
        Assert.Equal(2, peer.Locators.Count);
        Assert.Equal(10500, peer.Locators[1].Port);

        Assert.True(ControlAction.TryParse(new ControlRequest { Command = "status" }, out var status, out _));
        Assert.IsType<ControlAction.Status>(status);
    }
}
