using System.Text.Json;

namespace Hipnat.Cli;

internal static class NetcheckJson
{
    public static readonly JsonSerializerOptions Options = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
}
