using Hipnat.Core.Transport;
using Hipnat.Runtime.Configuration;
using Hipnat.Wire.Dns;

namespace Hipnat.Runtime.Names;

/// <summary>
/// A local table of peer names, like /etc/hosts, for sites without DNS (config "namesFile", default
/// /etc/hipnat/hosts when it exists). One entry a line, fields separated by white space, '#' starts a comment:
/// <code>
/// # NAME          HIT                                    LOCATOR...
/// bob.example.    2001:22:6583:3acf:ba7b:7f50:818d:328e  203.0.113.10:10500  198.51.100.7
/// </code>
/// NAME is a host name (the trailing dot is optional; case does not matter); HIT is the peer's HIT; each LOCATOR is
/// an address as for <c>--peer</c> ("ADDR:PORT", "[IPv6]:PORT", "ADDR" for port 10500, "hip://ADDR") — the peer's
/// own or a relay's it is registered with. An entry without locators names a HIT whose locators come from
/// elsewhere (<c>--peer</c>, <c>peers add</c>). A bad line is a <see cref="ConfigException"/> naming the file and line.
/// </summary>
public sealed class NamesFile
{
    /// <summary>Used when config "namesFile" is not set, if the file exists.</summary>
    public const string DefaultPath = "/etc/hipnat/hosts";

    private readonly Dictionary<string, NamesFileEntry> _entries;

    private NamesFile(string path, Dictionary<string, NamesFileEntry> entries)
    {
        Path = path;
        _entries = entries;
    }

    public string Path { get; }

    public IReadOnlyCollection<NamesFileEntry> Entries => _entries.Values;

    /// <summary>The entry for a normalized name (see <see cref="DnsName.TryNormalize"/>), or null.</summary>
    public NamesFileEntry? Find(string name) => _entries.GetValueOrDefault(name);

    /// <summary>Reads <paramref name="path"/>. Throws <see cref="ConfigException"/>.</summary>
    public static NamesFile Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"names file {path} cannot be read: {e.Message}; fix the path (config \"namesFile\") or its permissions");
        }

        return Parse(text, path);
    }

    /// <summary>Parses names file text; <paramref name="path"/> names it in errors.</summary>
    public static NamesFile Parse(string text, string path)
    {
        ArgumentNullException.ThrowIfNull(text);
        var entries = new Dictionary<string, NamesFileEntry>(StringComparer.Ordinal);
        var lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            int lineNumber = i + 1;
            string line = lines[i];
            int hash = line.IndexOf('#', StringComparison.Ordinal);
            if (hash >= 0)
            {
                line = line[..hash];
            }

            var fields = line.Split([' ', '\t', '\r'], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 0)
            {
                continue;
            }

            ConfigException Fail(string problem) => new($"names file {path} line {lineNumber}: {problem}");

            if (fields.Length < 2)
            {
                throw Fail($"'{fields[0]}' has no HIT; write NAME HIT [LOCATOR...], e.g. bob.example. {SettingParsers.ExampleHit} 203.0.113.10:10500");
            }

            if (!DnsName.TryNormalize(fields[0], out var name, out var nameError))
            {
                throw Fail("name " + nameError);
            }

            if (!SettingParsers.TryParseHit(fields[1], out var hit, out var hitError))
            {
                throw Fail($"HIT of {name}: {hitError}");
            }

            var locators = new List<TransportAddress>();
            foreach (var f in fields.Skip(2))
            {
                if (!SettingParsers.TryParseAddress(f, out var locator, out var addressError))
                {
                    throw Fail($"locator of {name}: {addressError}; use ADDR:PORT, [IPv6]:PORT, ADDR (port 10500) or hip://ADDR");
                }

                locators.Add(locator);
            }

            if (entries.TryGetValue(name, out var earlier))
            {
                throw Fail($"{name} is already named on line {earlier.Line}; give each name one line");
            }

            entries[name] = new NamesFileEntry(name, hit, locators, lineNumber);
        }

        return new NamesFile(path, entries);
    }
}
