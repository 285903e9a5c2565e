namespace Hipnat.Wire.Parameters;

/// <summary>
/// LOCATOR_SET (RFC 8046 §4; transport locators RFC 9028 §5.7): zero or more <see cref="Locator"/>s. An empty
/// set is permitted and deprecates all addresses (§4).
/// </summary>
public readonly struct LocatorSetParameter : IHipParameter<LocatorSetParameter>
{
    private readonly Locator[]? _locators;

    public LocatorSetParameter(params Locator[] locators)
    {
        _locators = locators;
    }

    public static ushort Type => ParameterType.LocatorSet;

    public Locator[] Locators => _locators ?? [];

    public int GetContentLength()
    {
        int n = 0;
        foreach (var l in Locators)
        {
            n += l.WireLength;
        }

        return n;
    }

    public void WriteContents(Span<byte> destination)
    {
        var w = new HipWriter(destination);
        foreach (var l in Locators)
        {
            l.Write(ref w);
        }
    }

    public static LocatorSetParameter Read(ReadOnlySpan<byte> contents)
    {
        // A typical locator (type 1 or 2) is 28 or 36 octets: size the list for that.
        var list = new List<Locator>(contents.Length / 24);
        var r = new HipReader(contents);
        while (!r.End)
        {
            list.Add(Locator.Read(ref r));
        }

        return new LocatorSetParameter([.. list]);
    }
}
