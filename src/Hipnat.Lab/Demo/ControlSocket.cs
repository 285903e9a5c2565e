using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Hipnat.Lab.Demo;

/// <summary>
/// A minimal client of the hipnat control socket (JSON lines, docs/cli.md "Control socket"). A path-named Unix socket
/// is reached through the file system, so the lab's own process talks to daemons in any network namespace directly.
/// </summary>
public static class ControlSocket
{
    /// <summary>Sends one request object and returns the daemon's reply object (<c>{"ok":...}</c>).</summary>
    /// <exception cref="IOException">Nobody listens on <paramref name="path"/> or the daemon did not answer in time.</exception>
    public static JsonElement Request(string path, object request, TimeSpan timeout)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.SendTimeout = (int)timeout.TotalMilliseconds;
        socket.ReceiveTimeout = (int)timeout.TotalMilliseconds;
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException e)
        {
            throw new IOException($"no hipnat daemon answers on {path}: {e.Message}", e);
        }

        using var stream = new NetworkStream(socket, ownsSocket: false);
        var line = JsonSerializer.Serialize(request) + "\n";
        stream.Write(Encoding.UTF8.GetBytes(line));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        string? reply;
        try
        {
            reply = reader.ReadLine();
        }
        catch (IOException e)
        {
            throw new IOException($"the hipnat daemon on {path} did not answer within {timeout.TotalSeconds:0.#} s: {e.Message}", e);
        }

        if (reply is null)
        {
            throw new IOException($"the hipnat daemon on {path} closed the connection without an answer");
        }

        using var doc = JsonDocument.Parse(reply);
        return doc.RootElement.Clone();
    }

    /// <summary>The daemon's status object (what <c>hipnat status --json</c> prints).</summary>
    public static JsonElement Status(string path, TimeSpan? timeout = null)
    {
        var reply = Request(path, new Dictionary<string, object> { ["command"] = "status" }, timeout ?? TimeSpan.FromSeconds(5));
        if (!reply.TryGetProperty("ok", out var ok) || !ok.GetBoolean() || !reply.TryGetProperty("status", out var status))
        {
            var error = reply.TryGetProperty("error", out var e) ? e.GetString() : reply.ToString();
            throw new IOException($"status on {path} failed: {error}");
        }

        return status;
    }
}
