using System.Xml.Linq;

namespace Hipnat.Runtime.Tests.Support;

/// <summary>One packet of tshark's PDML output.</summary>
public sealed class PdmlPacket(XElement packet)
{
    public XElement Element { get; } = packet;

    public IEnumerable<string> Protocols => Element.Elements("proto").Select(p => (string?)p.Attribute("name") ?? string.Empty);

    public XElement? Hip => Element.Elements("proto").FirstOrDefault(p => (string?)p.Attribute("name") == "hip");

    public int PacketType => int.Parse(Field("hip.packet_type")!, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The "show" value of the first field named <paramref name="name"/> anywhere in the packet.</summary>
    public string? Field(string name) => Fields(name).FirstOrDefault();

    public IEnumerable<string> Fields(string name) =>
        Element.Descendants("field").Where(f => (string?)f.Attribute("name") == name).Select(f => (string?)f.Attribute("show") ?? string.Empty);

    /// <summary>The "value" (hex) of fields named <paramref name="name"/>.</summary>
    public IEnumerable<string> Values(string name) =>
        Element.Descendants("field").Where(f => (string?)f.Attribute("name") == name).Select(f => (string?)f.Attribute("value") ?? string.Empty);

    /// <summary>Expert items of error severity or worse (PI_ERROR = 0x00800000).</summary>
    public IEnumerable<string> ExpertErrors =>
        Element.Descendants("field")
            .Where(f => (string?)f.Attribute("name") == "_ws.expert")
            .Where(f => f.Descendants("field").Any(s => (string?)s.Attribute("name") == "_ws.expert.severity"
                && long.TryParse((string?)s.Attribute("show"), out var sev) && sev >= 0x00800000))
            .Select(f => (string?)f.Attribute("showname") ?? "?");

    /// <summary>Parameters inside the HIP header, by their "showname" (e.g. "HIP_CIPHER (type=579, length=4)").</summary>
    public XElement? Parameter(string prefix) =>
        Hip?.Descendants("field").FirstOrDefault(f => (string?)f.Attribute("name") == "hip.type"
            && ((string?)f.Attribute("showname") ?? string.Empty).StartsWith(prefix, StringComparison.Ordinal));

    public static IEnumerable<string> FieldsIn(XElement? parameter, string name) =>
        parameter?.Descendants("field").Where(f => (string?)f.Attribute("name") == name).Select(f => (string?)f.Attribute("show") ?? string.Empty) ?? [];

    public override string ToString() => Element.ToString();
}
