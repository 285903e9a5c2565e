using System.Globalization;

namespace Hipnat.Runtime.DataPlane;

/// <summary>
/// Looks up which address family a local application listens with on a port, to choose the inner family of the
/// first packet of a flow that arrives by ESP before the local side has sent anything on it (a TCP SYN to a server,
/// a UDP request). Reads <c>/proc/net/{tcp,tcp6,udp,udp6}</c> of the daemon's network namespace: only on that
/// slow path, never per packet of a known flow. The same idea as HIPL's LSI support.
/// </summary>
public static class ListeningSockets
{
    private const string TcpListen = "0A";   // TCP_LISTEN
    private const string UdpUnconnected = "07"; // TCP_CLOSE: a bound, unconnected UDP socket

    /// <summary>
    /// True when an IPv4-only socket and no IPv6 socket listens on <paramref name="port"/> for
    /// <paramref name="protocol"/> (6 or 17): deliver as IPv4. An IPv6 wildcard socket accepts both families, so
    /// IPv6 (the HIT) is preferred whenever one listens.
    /// </summary>
    public static bool PrefersIpv4(byte protocol, ushort port, string procNet = "/proc/net")
    {
        string name = protocol switch { 6 => "tcp", 17 => "udp", _ => string.Empty };
        if (name.Length == 0)
        {
            return false;
        }

        string state = protocol == 6 ? TcpListen : UdpUnconnected;
        if (Listens(Path.Combine(procNet, name + "6"), port, state))
        {
            return false;
        }

        return Listens(Path.Combine(procNet, name), port, state);
    }

    internal static bool Listens(string path, ushort port, string state)
    {
        try
        {
            using var reader = new StreamReader(path);
            reader.ReadLine(); // header
            string? line;
            while ((line = reader.ReadLine()) is not null)
            {
                // "  sl  local_address rem_address   st ..." with local_address = HEXADDR:HEXPORT.
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length < 4 || fields[3] != state)
                {
                    continue;
                }

                int colon = fields[1].LastIndexOf(':');
                if (colon > 0 && ushort.TryParse(fields[1].AsSpan(colon + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ushort p) && p == port)
                {
                    return true;
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return false;
    }
}
