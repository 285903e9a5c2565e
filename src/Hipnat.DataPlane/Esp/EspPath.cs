using System.Net;

namespace Hipnat.DataPlane.Esp;

/// <summary>
/// One locator pair an SA pair's packets can travel over. <see cref="Remote"/> with port 0 means plain ESP (IP
/// protocol 50); a non-zero port means ESP in UDP on that port (RFC 9028 §5.11, the HIP port 10500 by default).
/// </summary>
/// <param name="Local">Local address and port to send from; null lets the socket choose.</param>
/// <param name="Remote">Peer address and port.</param>
public sealed record EspPath(IPEndPoint? Local, IPEndPoint Remote)
{
    public bool IsUdpEncapsulated => Remote.Port != 0;

    public override string ToString() => $"{Local?.ToString() ?? "*"} -> {Remote}";
}
