namespace Hipnat.Lab.Demo;

/// <summary>A NAT behaviour the demo can put in front of a host, by its command-line name.</summary>
public sealed record DemoNat(string Name, NatOptions Options, string Description)
{
    /// <summary>Endpoint-independent mapping, address-and-port-dependent filtering (port-restricted cone; plain MASQUERADE).</summary>
    public static DemoNat Eim { get; } = new("eim", NatOptions.PortRestrictedCone,
        "endpoint-independent mapping, address-and-port-dependent filtering (port-restricted cone)");

    /// <summary>Endpoint-independent mapping and filtering (full cone).</summary>
    public static DemoNat FullCone { get; } = new("full-cone", NatOptions.FullCone, "endpoint-independent mapping and filtering (full cone)");

    /// <summary>Endpoint-independent mapping, address-dependent filtering (restricted cone).</summary>
    public static DemoNat RestrictedCone { get; } = new("restricted-cone", NatOptions.RestrictedCone,
        "endpoint-independent mapping, address-dependent filtering (restricted cone)");

    /// <summary>Address-and-port-dependent mapping and filtering (MASQUERADE --random-fully).</summary>
    public static DemoNat Symmetric { get; } = new("symmetric", NatOptions.Symmetric,
        "address-and-port-dependent mapping and filtering (symmetric, --random-fully)");

    public static IReadOnlyList<DemoNat> All { get; } = [Eim, FullCone, RestrictedCone, Symmetric];

    /// <summary>The names <see cref="TryParse"/> accepts.</summary>
    public static string Names => string.Join(", ", All.Select(n => n.Name));

    public bool EndpointIndependentMapping => Options.Mapping == NatMapping.EndpointIndependent;

    public static bool TryParse(string? text, out DemoNat nat)
    {
        var t = text?.Trim().ToLowerInvariant();
        nat = t switch
        {
            "eim" or "port-restricted" or "port-restricted-cone" or "cone" => Eim,
            "full-cone" or "fullcone" or "eif" => FullCone,
            "restricted-cone" or "restricted" => RestrictedCone,
            "symmetric" or "random-fully" or "apdm" => Symmetric,
            _ => null!,
        };
        return nat is not null;
    }
}
