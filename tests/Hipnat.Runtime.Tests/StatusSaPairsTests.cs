using Hipnat.Cli;
using Hipnat.Runtime.Control;

namespace Hipnat.Runtime.Tests;

/// <summary><c>hipnat status</c> lists an association's SA pairs with their SPIs and bound paths (simultaneous multihoming).</summary>
public sealed class StatusSaPairsTests
{
    [Fact]
    public void EachSaPairIsShownWithItsSpisAndBoundPath()
    {
        var report = new StatusReport
        {
            Associations =
            [
                new AssociationReport
                {
                    PeerHit = "2001:22::2",
                    State = "ESTABLISHED",
                    SecurityAssociations =
                    [
                        new SaReport { InboundSpi = "11111111", OutboundSpi = "22222222", KeymatIndex = 0 },
                        new SaReport { InboundSpi = "33333333", OutboundSpi = "44444444", KeymatIndex = 64, BoundLocal = "198.18.3.2:10500", BoundPeer = "203.0.113.20:10500", BoundState = "standby" },
                    ],
                },
            ],
        };
        using var o = new StringWriter();
        StatusTable.Write(report, o);
        string text = o.ToString();
        Assert.Contains("SA pairs with 2001:22::2", text, StringComparison.Ordinal);
        Assert.Matches(@"11111111/22222222\s+primary \(the active path\)", text);
        Assert.Matches(@"33333333/44444444\s+198\.18\.3\.2:10500 <-> 203\.0\.113\.20:10500\s+standby", text);
    }
}
