using System.Net;

namespace Hipnat.Runtime.Names;

/// <summary>The "nameserver" lines of a resolver configuration file (resolv.conf(5)).</summary>
public static class ResolvConf
{
    /// <summary>The system resolver's configuration.</summary>
    public const string SystemPath = "/etc/resolv.conf";

    /// <summary>The name servers listed in <paramref name="text"/>, in order, on port 53; lines that are no address are skipped.</summary>
    public static List<IPEndPoint> NameServers(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var servers = new List<IPEndPoint>();
        foreach (var raw in text.Split('\n'))
        {
            var fields = raw.Split([' ', '\t', '\r'], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 2 && fields[0] == "nameserver" && IPAddress.TryParse(fields[1], out var address))
            {
                var server = new IPEndPoint(address, DnsSettings.DnsPort);
                if (!servers.Contains(server))
                {
                    servers.Add(server);
                }
            }
        }

        return servers;
    }

    /// <summary>The name servers of <paramref name="path"/>; none when it cannot be read.</summary>
    public static List<IPEndPoint> ReadNameServers(string path = SystemPath)
    {
        try
        {
            return NameServers(File.ReadAllText(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}
