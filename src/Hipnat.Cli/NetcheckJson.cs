using System.Text.Encodings.Web;
using System.Text.Json;

namespace Hipnat.Cli;

internal static class NetcheckJson
{
    /// <summary>camelCase, indented; nulls are written (null means "not known" or "not tested"); text is not HTML-escaped.</summary>
    public static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
