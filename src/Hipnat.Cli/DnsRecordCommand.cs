using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Hipnat.Crypto;
using Hipnat.Runtime;
using Hipnat.Runtime.Configuration;
using Hipnat.Wire.Dns;

namespace Hipnat.Cli;

/// <summary>
/// <c>hipnat dns-record --key KEY --name NAME [--relay RELAYNAME]...</c>: prints the zone-file lines that publish a
/// host — its HIP record (RFC 8005 §5, §6) with the relays it registers with as rendezvous servers, and with
/// <c>--address</c> its A/AAAA records. A relay is published the same way (its own key and name, with its
/// addresses), so that peers can resolve the rendezvous server names to the relay's addresses.
/// </summary>
internal static class DnsRecordCommand
{
    public static Command Create()
    {
        var key = new Option<string>("--key", "-k") { Description = "The host's key file (PKCS#8 PEM)", HelpName = "FILE", Required = true };
        var name = new Option<string>("--name", "-n") { Description = "The host's name, e.g. bob.example.com (written absolute, with its trailing dot)", HelpName = "NAME", Required = true };
        var relays = new Option<string[]>("--relay", "-r")
        {
            Description = "Name of a relay (rendezvous server) the host registers with, most preferred first; repeatable. The relay's own A/AAAA (and HIP) records are published under that name",
            HelpName = "RELAYNAME",
        };
        var addresses = new Option<string[]>("--address", "-a")
        {
            Description = "An address of the host for an A or AAAA record (for a relay, or a host reachable without one); repeatable",
            HelpName = "ADDR",
        };
        var ttl = new Option<uint>("--ttl") { Description = "TTL of the records in seconds (default 300)", HelpName = "S", DefaultValueFactory = _ => 300 };
        var generic = new Option<bool>("--generic")
        {
            Description = "Write the HIP record as TYPE55 \\# LENGTH HEX (RFC 3597) for DNS servers whose zone files do not know HIP by name (Knot DNS, NSD)",
        };
        var command = new Command("dns-record", "Print the DNS zone-file lines (HIP record, RFC 8005) that let peers find a host by name")
        {
            key, name, relays, addresses, ttl, generic,
        };
        command.SetAction(parse =>
        {
            if (!DnsName.TryNormalize(parse.GetValue(name), out var owner, out var nameError))
            {
                throw new ConfigException("--name " + nameError);
            }

            var servers = new List<string>();
            foreach (var r in parse.GetValue(relays) ?? [])
            {
                if (!DnsName.TryNormalize(r, out var relay, out var relayError))
                {
                    throw new ConfigException("--relay " + relayError);
                }

                if (relay == owner)
                {
                    throw new ConfigException($"--relay {r}: that is the host's own name; a record without --relay already says the host is reached at its own addresses (RFC 8005 §4.1)");
                }

                if (!servers.Contains(relay))
                {
                    servers.Add(relay);
                }
            }

            var ips = new List<IPAddress>();
            foreach (var a in parse.GetValue(addresses) ?? [])
            {
                if (!IPAddress.TryParse(a.Trim(), out var ip) || ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any))
                {
                    throw new ConfigException($"--address '{a}': not an IP address; give e.g. 203.0.113.10 or 2001:db8::10");
                }

                ips.Add(ip);
            }

            uint seconds = parse.GetValue(ttl);
            if (seconds > int.MaxValue)
            {
                throw new ConfigException($"--ttl {seconds}: at most {int.MaxValue} seconds (RFC 2181 §8)");
            }

            var path = parse.GetValue(key)!;
            using var identity = HostIdentityFile.Load(path);
            var record = HipRecordIdentity.CreateRecord(identity, servers);
            var o = parse.InvocationConfiguration.Output;
            o.WriteLine($"; {owner}: hipnat host identity {Describe(identity)}, HIT {identity.Hit}");
            if (servers.Count > 0)
            {
                o.WriteLine($"; reached through its relays {string.Join(", ", servers)}: publish each relay's A/AAAA records (and its own HIP record) too,");
                o.WriteLine(";   e.g. hipnat dns-record --key RELAYKEY --name RELAYNAME --address RELAYADDR on the relay");
            }
            else if (ips.Count == 0)
            {
                o.WriteLine($"; no --relay: peers reach {owner} at the addresses of its own A/AAAA records (RFC 8005 §4.1); add --address ADDR");
            }

            o.WriteLine(new HipZoneEntry(owner, seconds, record).Format(parse.GetValue(generic)));
            foreach (var ip in ips)
            {
                o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{owner} {seconds} IN {(ip.AddressFamily == AddressFamily.InterNetworkV6 ? "AAAA" : "A")} {ip}"));
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static string Describe(HostIdentity identity) => identity.Kind switch
    {
        HostIdentityKind.EcdsaP256 => "ECDSA P-256",
        HostIdentityKind.EcdsaP384 => "ECDSA P-384",
        HostIdentityKind.Rsa => "RSA",
        _ => identity.Kind.ToString(),
    };
}
