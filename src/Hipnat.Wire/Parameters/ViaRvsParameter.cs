using System.Net;

namespace Hipnat.Wire.Parameters;

/// <summary>VIA_RVS (RFC 8004 §4.2.3): the address(es) of the RVS(s) that relayed the I1, appended to R1.</summary>
public readonly struct ViaRvsParameter : IHipParameter<ViaRvsParameter>
{
    private readonly IPAddress[]? _addresses;

    public ViaRvsParameter(params IPAddress[] addresses)
    {
        var normalized = new IPAddress[addresses.Length];
        for (int i = 0; i < addresses.Length; i++)
        {
            ArgumentNullException.ThrowIfNull(addresses[i]);
            normalized[i] = Ipv4MappedAddress.Normalize(addresses[i]);
        }

        _addresses = normalized;
    }

    public static ushort Type => ParameterType.ViaRvs;

    public IPAddress[] Addresses => _addresses ?? [];

    public int GetContentLength() => Ipv4MappedAddress.Length * Addresses.Length;

    public void WriteContents(Span<byte> destination)
    {
        var w = new HipWriter(destination);
        foreach (var a in Addresses)
        {
            w.WriteAddress(a);
        }
    }

    public static ViaRvsParameter Read(ReadOnlySpan<byte> contents)
    {
        ParameterChecks.NotEmpty(contents.Length, Type, "address list");
        ParameterChecks.MultipleOf(contents.Length, Ipv4MappedAddress.Length, Type, "address list");
        var list = new IPAddress[contents.Length / Ipv4MappedAddress.Length];
        var r = new HipReader(contents);
        for (int i = 0; i < list.Length; i++)
        {
            list[i] = r.ReadAddress();
        }

        return new ViaRvsParameter(list);
    }
}
