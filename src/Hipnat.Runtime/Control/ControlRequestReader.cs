using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace Hipnat.Runtime.Control;

/// <summary>
/// Reads one control request line (untrusted: any local user the access policy lets in, or a broken client). Never
/// throws: a line that is not a JSON request object with a "command" gives the error text the server answers with.
/// </summary>
public static class ControlRequestReader
{
    public static bool TryRead(ReadOnlySpan<byte> line, [NotNullWhen(true)] out ControlRequest? request, [NotNullWhen(false)] out string? error)
    {
        request = null;
        try
        {
            request = JsonSerializer.Deserialize(line, ControlJsonContext.Default.ControlRequest);
        }
        catch (JsonException e)
        {
            error = $"request is not valid JSON: {e.Message}";
            return false;
        }

        if (request is null || string.IsNullOrEmpty(request.Command))
        {
            request = null;
            error = "request has no \"command\"; expected one of status, connect, close, peers-add";
            return false;
        }

        error = null;
        return true;
    }
}
