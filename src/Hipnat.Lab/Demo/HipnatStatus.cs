using System.Net;
using System.Text.Json;

namespace Hipnat.Lab.Demo;

/// <summary>Reads what the lab needs from a daemon's status object (<c>hipnat status --json</c>, docs/cli.md).</summary>
public static class HipnatStatus
{
    /// <summary>The association with <paramref name="peerHit"/>, if any.</summary>
    public static JsonElement? Association(JsonElement status, string peerHit)
    {
        if (status.TryGetProperty("associations", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (var a in list.EnumerateArray())
            {
                if (SameHit(Str(a, "peerHit"), peerHit))
                {
                    return a;
                }
            }
        }

        return null;
    }

    /// <summary>The state (RFC 7401 name, e.g. ESTABLISHED) of the association with <paramref name="peerHit"/>, or null.</summary>
    public static string? State(JsonElement status, string peerHit) => Association(status, peerHit) is { } a ? Str(a, "state") : null;

    /// <summary>The peer address of the active locator pair of the association with <paramref name="peerHit"/>.</summary>
    public static IPEndPoint? PeerAddress(JsonElement status, string peerHit) =>
        Association(status, peerHit) is { } a && Str(a, "peerAddress") is { } s && IPEndPoint.TryParse(s, out var ep) ? ep : null;

    /// <summary>The local address of the active locator pair of the association with <paramref name="peerHit"/>.</summary>
    public static IPEndPoint? LocalAddress(JsonElement status, string peerHit) =>
        Association(status, peerHit) is { } a && Str(a, "localAddress") is { } s && IPEndPoint.TryParse(s, out var ep) ? ep : null;

    /// <summary>How the association with <paramref name="peerHit"/> carries traffic: "direct", "relay", or null.</summary>
    public static string? ActivePath(JsonElement status, string peerHit) => Association(status, peerHit) is { } a ? Str(a, "activePath") : null;

    /// <summary>
    /// True when the association with <paramref name="peerHit"/> is ESTABLISHED and its active pair does not go through
    /// <paramref name="relay"/> (status "activePath": "direct", and a peer address other than the relay's).
    /// </summary>
    public static bool IsDirect(JsonElement status, string peerHit, IPEndPoint relay) =>
        State(status, peerHit) == "ESTABLISHED" && PeerAddress(status, peerHit) is { } p && !p.Equals(relay)
        && ActivePath(status, peerHit) is null or "direct";

    /// <summary>Registrar side: the address a registered client registered from (its server-reflexive address), or null.</summary>
    public static IPEndPoint? RegisteredClientAddress(JsonElement status, string clientHit)
    {
        if (status.TryGetProperty("registrar", out var r) && r.ValueKind == JsonValueKind.Object
            && r.TryGetProperty("clients", out var clients) && clients.ValueKind == JsonValueKind.Array)
        {
            foreach (var c in clients.EnumerateArray())
            {
                if (SameHit(Str(c, "clientHit"), clientHit) && Str(c, "clientAddress") is { } a && IPEndPoint.TryParse(a, out var ep))
                {
                    return ep;
                }
            }
        }

        return null;
    }

    /// <summary>Our registrations with registrars (client side): registrar HIT, service, state and REG_FROM.</summary>
    public static IReadOnlyList<RegistrationStatus> Registrations(JsonElement status)
    {
        var result = new List<RegistrationStatus>();
        if (!status.TryGetProperty("registrations", out var list) || list.ValueKind != JsonValueKind.Array)
        {
            return result;
        }

        foreach (var r in list.EnumerateArray())
        {
            var reflexive = Str(r, "reflexiveAddress") ?? Str(r, "reflexive") ?? Str(r, "regFrom");
            result.Add(new RegistrationStatus(
                Str(r, "registrar") ?? Str(r, "registrarHit") ?? Str(r, "hit") ?? string.Empty,
                Str(r, "type") ?? Str(r, "service") ?? string.Empty,
                Str(r, "state") ?? string.Empty,
                reflexive is not null && IPEndPoint.TryParse(reflexive, out var ep) ? ep : null,
                r.ToString()));
        }

        return result;
    }

    /// <summary>The first granted registration with <paramref name="registrarHit"/> that reports REG_FROM, or null.</summary>
    public static RegistrationStatus? GrantedRegistration(JsonElement status, string registrarHit) =>
        Registrations(status).FirstOrDefault(r => r.IsGranted && (r.Registrar.Length == 0 || SameHit(r.Registrar, registrarHit)) && r.Reflexive is not null);

    /// <summary>A counter (e.g. "relayed", "packetsIn"); 0 when absent.</summary>
    public static long Counter(JsonElement status, string name) =>
        status.TryGetProperty("counters", out var c) && c.ValueKind == JsonValueKind.Object && TryGetIgnoreCase(c, name, out var v)
            && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : 0;

    /// <summary>True when the status has a counter named <paramref name="name"/>.</summary>
    public static bool HasCounter(JsonElement status, string name) =>
        status.TryGetProperty("counters", out var c) && c.ValueKind == JsonValueKind.Object && TryGetIgnoreCase(c, name, out _);

    /// <summary>Drops by reason (e.g. "NotForUs").</summary>
    public static long Drops(JsonElement status, string reason) =>
        status.TryGetProperty("counters", out var c) && c.TryGetProperty("drops", out var d) && d.ValueKind == JsonValueKind.Object
            && TryGetIgnoreCase(d, reason, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : 0;

    /// <summary>HITs compare as IPv6 addresses (any notation).</summary>
    public static bool SameHit(string? a, string? b) =>
        a is not null && b is not null && IPAddress.TryParse(a, out var x) && IPAddress.TryParse(b, out var y) && x.Equals(y);

    private static string? Str(JsonElement e, string name) =>
        TryGetIgnoreCase(e, name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static bool TryGetIgnoreCase(JsonElement e, string name, out JsonElement value)
    {
        if (e.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in e.EnumerateObject())
            {
                if (string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
                {
                    value = p.Value;
                    return true;
                }
            }
        }

        value = default;
        return false;
    }
}

/// <summary>One client-side registration as status reports it.</summary>
public sealed record RegistrationStatus(string Registrar, string Type, string State, IPEndPoint? Reflexive, string Json)
{
    public bool IsGranted => State.Equals("granted", StringComparison.OrdinalIgnoreCase) || State.Equals("registered", StringComparison.OrdinalIgnoreCase);
}
