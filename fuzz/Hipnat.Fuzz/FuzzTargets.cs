namespace Hipnat.Fuzz;

/// <summary>The harnesses by name.</summary>
public static class FuzzTargets
{
    public static IReadOnlyList<string> Names { get; } = ["hip-parse", "hip-core", "stun", "esp-open", "beet", "config", "control"];

    public static IFuzzTarget Create(string name) => name switch
    {
        "hip-parse" => new HipParseTarget(),
        "hip-core" => new HipCoreTarget(),
        "stun" => new StunTarget(),
        "esp-open" => new EspOpenTarget(),
        "beet" => new BeetTarget(),
        "config" => new ConfigTarget(),
        "control" => new ControlTarget(),
        _ => throw new ArgumentException($"unknown fuzz target '{name}'; expected one of {string.Join(", ", Names)}", nameof(name)),
    };
}
