using Hipnat.Runtime.Configuration;
using Hipnat.Runtime.Names;

namespace Hipnat.Runtime.Tests;

/// <summary>The names file: NAME HIT [LOCATOR...] a line, comments, and errors with line numbers.</summary>
public class NamesFileTests
{
    private const string Hit = "2001:22:6583:3acf:ba7b:7f50:818d:328e";
    private const string OtherHit = "2001:22:dffd:5de8:1f5e:edc4:e774:71f5";

    [Fact]
    public void Entries_are_read_with_their_locators_and_line_numbers()
    {
        var file = NamesFile.Parse(
            $"""
            # NAME HIT LOCATOR...

            bob.example.   {Hit}  203.0.113.1:10500 [2001:db8::1]:10501   # through relay1
            Alice	{OtherHit}
            carol.example  {OtherHit} hip://192.0.2.9
            """,
            "/etc/hipnat/hosts");

        Assert.Equal(3, file.Entries.Count);
        var bob = file.Find("bob.example.")!;
        Assert.Equal(Hit, bob.Hit.ToString());
        Assert.Equal(["203.0.113.1:10500", "[2001:db8::1]:10501"], bob.Locators.Select(l => l.ToString()));
        Assert.Equal(3, bob.Line);
        Assert.Empty(file.Find("alice.")!.Locators);
        Assert.Single(file.Find("carol.example.")!.Locators);
        Assert.Null(file.Find("dave.example."));
    }

    [Theory]
    [InlineData("bob.example.", "line 1: 'bob.example.' has no HIT")]
    [InlineData("bob..example " + Hit, "line 1: name 'bob..example' has an empty label")]
    [InlineData("bob.example 2001:db8::1", "line 1: HIT of bob.example.:")]
    [InlineData("bob.example " + Hit + " 300.1.1.1:5", "line 1: locator of bob.example.:")]
    [InlineData("# one\nbob.example " + Hit + "\nBOB.EXAMPLE. " + OtherHit, "line 3: bob.example. is already named on line 2")]
    public void A_bad_line_is_a_config_error_naming_the_file_and_line(string text, string fragment)
    {
        var e = Assert.Throws<ConfigException>(() => NamesFile.Parse(text, "/etc/hipnat/hosts"));
        Assert.Contains("names file /etc/hipnat/hosts " + fragment, e.Message, StringComparison.Ordinal);
    }
}
