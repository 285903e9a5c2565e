using System.Net;
using System.Text.Json;
using Hipnat.Crypto;
using Hipnat.Wire;
using Hipnat.Wire.Parameters;

namespace Hipnat.Runtime.Configuration;

/// <summary>
/// Reads the JSON config file of <c>hipnat run --config FILE</c> (documented key by key in docs/config.md).
/// Comments and trailing commas are allowed; unknown keys are errors (they are usually typos). Every error names
/// the key, the bad value and what to write instead.
/// </summary>
public static class DaemonConfigFile
{
    /// <summary>Every key the file may contain (top level, then the nested objects), for the documentation check.</summary>
    internal static IEnumerable<string> AllKeys => TopKeys.Concat(ProtocolKeys).Concat(RelayKeys).Concat(RegistrarKeys).Concat(AllowKeys).Concat(TurnKeys).Concat(DataPlane.DataPlaneSettings.Keys).Concat(IceSettings.Keys).Concat(MobilitySettings.Keys).Concat(MultihomingSettings.Keys).Concat(Names.DnsSettings.Keys).Concat(Names.DnsResponderSettings.Keys).Distinct();

    private static readonly string[] TopKeys =
    [
        "keyFile", "listen", "peers", "transport", "logLevel", "logFormat", "controlSocket", "controlGroup", "protocol", "relays", "registrar",
        "stunServers", "turnServers", "metrics", "tun", "ice", "mobility", "multihoming", "namesFile", "dns", "dnsResponder",
    ];

    private static readonly string[] RelayKeys = ["hit", "address", "services", "lifetimeSeconds", "relayEspIfOffered"];

    private static readonly string[] RegistrarKeys =
    [
        "services", "allowAny", "allow", "relayAddress", "relayPorts", "maxClients", "lifetimeMinSeconds", "lifetimeMaxSeconds",
        "relayedI1PerSecond", "relayedI1Burst", "maxPermissionsPerClient",
    ];

    private static readonly string[] AllowKeys = ["hit", "services"];

    private static readonly string[] TurnKeys = ["address", "username", "password"];

    private static readonly string[] ProtocolKeys =
    [
        "dhGroups", "ciphers", "espSuites", "puzzleDifficulty", "puzzleDifficultyCeiling", "puzzleLoadThreshold", "maxAcceptedPuzzleDifficulty", "puzzleLifetime",
        "r1RotationSeconds", "encryptHostId", "retransmitInitialMs", "retransmitMaxMs", "i1RetriesMax", "i2RetriesMax",
        "updateRetriesMax", "closeRetriesMax", "unusedAssociationLifetimeSeconds", "maximumSegmentLifetimeSeconds",
        "failedHoldTimeSeconds", "r2SentHoldSeconds", "maxAssociations", "espGcmKeyBits", "keepaliveIntervalSeconds",
        "peerTimeoutSeconds", "transactionPacingMs", "probeDirectPaths", "directProbeAttempts", "answerStun",
        "natTraversalModes",
    ];

    private static readonly (string Name, DhGroupId Id)[] DhGroupNames =
    [
        ("nist-p256", DhGroupId.NistP256), ("nist-p384", DhGroupId.NistP384), ("nist-p521", DhGroupId.NistP521),
        ("modp-1536", DhGroupId.Modp1536), ("modp-2048", DhGroupId.Modp2048), ("modp-3072", DhGroupId.Modp3072),
    ];

    private static readonly (string Name, HipCipherId Id)[] CipherNames =
    [
        ("aes-128-cbc", HipCipherId.Aes128Cbc), ("aes-256-cbc", HipCipherId.Aes256Cbc), ("null", HipCipherId.NullEncrypt),
    ];

    private static readonly ushort[] KnownEspSuites = [7, 8, 9, 13];

    /// <summary>Loads and validates <paramref name="path"/>. Throws <see cref="ConfigException"/>.</summary>
    public static DaemonSettings Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (FileNotFoundException)
        {
            throw new ConfigException($"config file '{path}' not found; check the --config path");
        }
        catch (DirectoryNotFoundException)
        {
            throw new ConfigException($"config file '{path}' not found (no such directory); check the --config path");
        }
        catch (UnauthorizedAccessException)
        {
            throw new ConfigException($"config file '{path}' is not readable; fix its permissions or run as its owner");
        }
        catch (IOException e)
        {
            throw new ConfigException($"config file '{path}' cannot be read: {e.Message}");
        }

        return Parse(text, path);
    }

    /// <summary>Parses config text; <paramref name="source"/> names it in errors and anchors a relative keyFile.</summary>
    public static DaemonSettings Parse(string json, string source)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException e)
        {
            throw new ConfigException(
                $"config {source}: not valid JSON at line {(e.LineNumber ?? 0) + 1}, position {(e.BytePositionInLine ?? 0) + 1}: " +
                $"{FirstSentence(e.Message)}; check for a missing comma, quote or brace");
        }

        using (doc)
        {
            var reader = new Reader(source);
            return reader.Read(doc.RootElement);
        }
    }

    private static string FirstSentence(string message)
    {
        int i = message.IndexOf(". ", StringComparison.Ordinal);
        return i > 0 ? message[..i] : message.TrimEnd('.');
    }

    private sealed class Reader(string source)
    {
        public DaemonSettings Read(JsonElement root)
        {
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new ConfigException($"config {source}: the top level must be a JSON object {{ ... }}, not {Kind(root)}; see docs/config.md");
            }

            var s = new DaemonSettings();
            foreach (var p in root.EnumerateObject())
            {
                switch (p.Name)
                {
                    case "keyFile":
                        s.KeyFile = ResolvePath(String(p.Value, "keyFile", "a path to a PEM key file, e.g. \"/etc/hipnat/host.pem\" (create one with `hipnat keygen --out FILE`)"));
                        break;
                    case "listen":
                        ReadListen(p.Value, s);
                        break;
                    case "peers":
                        ReadPeers(p.Value, s);
                        break;
                    case "transport":
                        var t = String(p.Value, "transport", "\"udp\" or \"raw\"");
                        if (!SettingParsers.TryParseTransport(t, out var mode))
                        {
                            throw Fail("transport", p.Value, "unknown transport", "use \"udp\" (default) or \"raw\" (HIP over IP protocol 139, needs root)");
                        }

                        s.Transport = mode;
                        break;
                    case "logLevel":
                        var l = String(p.Value, "logLevel", "one of " + SettingParsers.LogLevels);
                        if (!SettingParsers.TryParseLogLevel(l, out var level))
                        {
                            throw Fail("logLevel", p.Value, "unknown log level", "use one of " + SettingParsers.LogLevels);
                        }

                        s.LogLevel = level;
                        break;
                    case "logFormat":
                        var f = String(p.Value, "logFormat", "\"simple\" or \"json\"");
                        if (!SettingParsers.TryParseLogFormat(f, out var format))
                        {
                            throw Fail("logFormat", p.Value, "unknown log format", "use \"simple\" (default, one text line per entry) or \"json\" (one JSON object per line)");
                        }

                        s.LogFormat = format;
                        break;
                    case "relays":
                        ReadRelays(p.Value, s);
                        break;
                    case "registrar":
                        s.Registrar = ReadRegistrar(p.Value);
                        break;
                    case "stunServers":
                        ReadStunServers(p.Value, s);
                        break;
                    case "turnServers":
                        ReadTurnServers(p.Value, s);
                        break;
                    case "metrics":
                        var m = String(p.Value, "metrics", "an address for the Prometheus endpoint, e.g. \"127.0.0.1:9464\"");
                        if (!SettingParsers.TryParseMetricsEndpoint(m, out var endpoint, out var metricsError))
                        {
                            throw Fail("metrics", p.Value, metricsError, "the endpoint serves GET /metrics over HTTP");
                        }

                        s.Metrics = endpoint;
                        break;
                    case "controlSocket":
                        s.ControlSocket = String(p.Value, "controlSocket", "a filesystem path for the control socket, e.g. \"/run/hipnat/hipnat.sock\"");
                        if (s.ControlSocket.Length == 0)
                        {
                            throw Fail("controlSocket", p.Value, "empty path", "give a path such as \"/run/hipnat/hipnat.sock\" or remove the key");
                        }

                        break;
                    case "controlGroup":
                        var group = String(p.Value, "controlGroup", "the name or number of a group whose members may use the control socket, e.g. \"hipnat\"");
                        if (SettingParsers.CheckGroupName(group) is { } groupProblem)
                        {
                            throw Fail("controlGroup", p.Value, groupProblem, "give a group name such as \"hipnat\" or a gid, or remove the key");
                        }

                        s.ControlGroup = group;
                        break;
                    case "protocol":
                        s.Protocol = ReadProtocol(p.Value);
                        break;
                    case "tun":
                        s.Tun = DataPlane.DataPlaneSettings.Read(p.Value, source);
                        break;
                    case "ice":
                        s.Ice = IceSettings.Read(p.Value, source);
                        break;
                    case "mobility":
                        s.Mobility = MobilitySettings.Read(p.Value, source);
                        break;
                    case "multihoming":
                        s.Multihoming = MultihomingSettings.Read(p.Value, source);
                        break;
                    case "namesFile":
                        s.NamesFile = ResolvePath(String(p.Value, "namesFile", "a path to a names file, e.g. \"/etc/hipnat/hosts\" (NAME HIT [LOCATOR...] a line)"));
                        if (s.NamesFile.Length == 0)
                        {
                            throw Fail("namesFile", p.Value, "empty path", "give a path such as \"/etc/hipnat/hosts\" or remove the key");
                        }

                        break;
                    case "dns":
                        s.Dns = Names.DnsSettings.Read(p.Value, source);
                        break;
                    case "dnsResponder":
                        s.DnsResponder = Names.DnsResponderSettings.Read(p.Value, source);
                        break;
                    default:
                        throw Unknown(p.Name, null, TopKeys);
                }
            }

            if (s.Ice.Pacing is { } icePacing && s.Protocol.TransactionPacing is { } pacing && icePacing != pacing)
            {
                throw new ConfigException(
                    $"config {source}: key ice.pacingMs ({icePacing.TotalMilliseconds}) and protocol.transactionPacingMs ({pacing.TotalMilliseconds}) disagree; they set the same Ta, keep one of them");
            }

            return s;
        }

        private void ReadListen(JsonElement value, DaemonSettings s)
        {
            if (value.ValueKind != JsonValueKind.Array)
            {
                throw Fail("listen", value, "expected an array of addresses", "write e.g. [\"0.0.0.0:10500\", \"[::]:10500\"]");
            }

            int i = 0;
            foreach (var item in value.EnumerateArray())
            {
                string key = $"listen[{i++}]";
                var text = String(item, key, "an address such as \"0.0.0.0:10500\"");
                if (!SettingParsers.TryParseAddress(text, out var address, out var error))
                {
                    throw Fail(key, item, error, "use \"ADDR:PORT\", \"[IPv6]:PORT\" or, for raw HIP, \"hip://ADDR\"");
                }

                s.Listen.Add(address);
            }
        }

        private void ReadPeers(JsonElement value, DaemonSettings s)
        {
            if (value.ValueKind != JsonValueKind.Object)
            {
                throw Fail("peers", value, "expected an object mapping HITs to locators",
                    $"write e.g. {{ \"{SettingParsers.ExampleHit}\": [\"192.0.2.1:10500\"] }}");
            }

            foreach (var p in value.EnumerateObject())
            {
                string key = $"peers.\"{p.Name}\"";
                if (Wire.Dns.DnsName.LooksLikeName(p.Name) && Wire.Dns.DnsName.TryNormalize(p.Name, out var name, out _))
                {
                    // A peer named by host name: its HIT and locators come from the names file or the DNS (RFC 8005).
                    if (p.Value.ValueKind != JsonValueKind.Array || p.Value.GetArrayLength() != 0)
                    {
                        throw Fail(key, p.Value, "a peer named by host name takes no locators (they come from the names file or its HIP record in DNS)",
                            $"write \"{p.Name}\": [], or key it by HIT to give locators");
                    }

                    s.AddPeerName(name);
                    continue;
                }

                if (!SettingParsers.TryParseHit(p.Name, out var hit, out var hitError))
                {
                    throw new ConfigException($"config {source}: key {key}: {hitError}");
                }

                var items = p.Value.ValueKind switch
                {
                    JsonValueKind.String => [p.Value],
                    JsonValueKind.Array => p.Value.EnumerateArray().ToList(),
                    _ => throw Fail(key, p.Value, "expected a locator or an array of locators", "write e.g. [\"192.0.2.1:10500\"]"),
                };
                if (items.Count == 0)
                {
                    throw Fail(key, p.Value, "no locators", "give at least one, e.g. [\"192.0.2.1:10500\"]");
                }

                for (int i = 0; i < items.Count; i++)
                {
                    string itemKey = p.Value.ValueKind == JsonValueKind.Array ? $"{key}[{i}]" : key;
                    var text = String(items[i], itemKey, "a locator such as \"192.0.2.1:10500\"");
                    if (!SettingParsers.TryParseAddress(text, out var locator, out var error))
                    {
                        throw Fail(itemKey, items[i], error, "use \"ADDR:PORT\", \"[IPv6]:PORT\" or \"hip://ADDR\"");
                    }

                    s.AddPeer(hit, locator);
                }
            }
        }

        private void ReadRelays(JsonElement value, DaemonSettings s)
        {
            const string example = "[{ \"hit\": \"" + SettingParsers.ExampleHit + "\", \"address\": \"192.0.2.1:10500\" }]";
            if (value.ValueKind != JsonValueKind.Array)
            {
                throw Fail("relays", value, "expected an array of relays", "write e.g. " + example);
            }

            int i = 0;
            foreach (var item in value.EnumerateArray())
            {
                string key = $"relays[{i++}]";
                if (item.ValueKind != JsonValueKind.Object)
                {
                    throw Fail(key, item, "expected an object with \"hit\" and \"address\"", "write e.g. " + example);
                }

                Hit? hit = null;
                Core.Transport.TransportAddress? address = null;
                List<RegistrationType>? services = null;
                TimeSpan? lifetime = null;
                bool? espIfOffered = null;
                foreach (var p in item.EnumerateObject())
                {
                    string k = $"{key}.{p.Name}";
                    switch (p.Name)
                    {
                        case "hit":
                            var hitText = String(p.Value, k, "the relay's HIT, e.g. \"" + SettingParsers.ExampleHit + "\"");
                            if (!SettingParsers.TryParseHit(hitText, out var h, out var hitError))
                            {
                                throw Fail(k, p.Value, hitError, "print the relay's HIT with `hipnat hit RELAYKEY` or its `hipnat status`");
                            }

                            hit = h;
                            break;
                        case "address":
                            var addressText = String(p.Value, k, "the relay's UDP address, e.g. \"192.0.2.1:10500\"");
                            if (!SettingParsers.TryParseUdpAddress(addressText, out var a, out var addressError))
                            {
                                throw Fail(k, p.Value, addressError, "write the relay's HIP port as \"ADDR:PORT\" or \"[IPv6]:PORT\"");
                            }

                            address = a;
                            break;
                        case "services":
                            services = Services(p.Value, k, clientSide: true);
                            break;
                        case "lifetimeSeconds":
                            lifetime = Seconds(p.Value, k, RelayServerSettings.MinLifetimeSeconds, RelayServerSettings.MaxLifetimeSeconds,
                                "the registration lifetime to ask for, 10-604800 seconds (default 600)");
                            break;
                        case "relayEspIfOffered":
                            espIfOffered = Boolean(p.Value, k);
                            break;
                        default:
                            throw Unknown(p.Name, key, RelayKeys);
                    }
                }

                if (hit is null || address is null)
                {
                    throw Fail(key, item, $"missing \"{(hit is null ? "hit" : "address")}\"", "each relay needs both, e.g. " + example);
                }

                var relay = new RelayServerSettings(hit.Value, address.Value);
                if (services is not null)
                {
                    relay.Services.Clear();
                    relay.Services.AddRange(services);
                }

                relay.Lifetime = lifetime ?? relay.Lifetime;
                relay.RelayEspIfOffered = espIfOffered ?? relay.RelayEspIfOffered;
                if (s.Relays.Exists(r => r.Hit == relay.Hit))
                {
                    throw Fail(key, item, $"relay {relay.Hit} is listed twice", "list each relay once");
                }

                s.AddRelay(relay);
            }
        }

        private List<RegistrationType> Services(JsonElement v, string key, bool clientSide)
        {
            string valid = "\"rendezvous\", \"relay-hip\", \"relay-esp\"";
            if (v.ValueKind != JsonValueKind.Array || v.GetArrayLength() == 0)
            {
                throw Fail(key, v, "expected a non-empty array of services", $"use values from {valid}");
            }

            var list = new List<RegistrationType>();
            int i = 0;
            foreach (var item in v.EnumerateArray())
            {
                string itemKey = $"{key}[{i++}]";
                var text = String(item, itemKey, "one of " + valid);
                if (!SettingParsers.TryParseService(text, out var t))
                {
                    throw Fail(itemKey, item, "unknown service", "use one of " + valid);
                }

                if (!list.Contains(t))
                {
                    list.Add(t);
                }
            }

            if (clientSide && list.Contains(RegistrationType.RelayUdpEsp) && !list.Contains(RegistrationType.RelayUdpHip))
            {
                throw Fail(key, v, "relay-esp without relay-hip", "add \"relay-hip\": peers reach you through the control relay before ESP can use the data relay");
            }

            return list;
        }

        private RegistrarSettings ReadRegistrar(JsonElement value)
        {
            if (value.ValueKind != JsonValueKind.Object)
            {
                throw Fail("registrar", value, "expected an object", "write e.g. { \"allowAny\": true }");
            }

            var r = new RegistrarSettings();
            foreach (var p in value.EnumerateObject())
            {
                string key = "registrar." + p.Name;
                var v = p.Value;
                switch (p.Name)
                {
                    case "services":
                        r.Services = Services(v, key, clientSide: false);
                        break;
                    case "allowAny":
                        r.AllowAny = Boolean(v, key);
                        break;
                    case "allow":
                        ReadAllow(v, key, r);
                        break;
                    case "relayAddress":
                        var text = String(v, key, "an IP address of this host, e.g. \"192.0.2.1\"");
                        if (!IPAddress.TryParse(text, out var ip) || ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any))
                        {
                            throw Fail(key, v, "not a concrete IP address", "write one of this host's addresses, e.g. \"192.0.2.1\" (relayed ports are opened on it)");
                        }

                        r.RelayAddress = ip;
                        break;
                    case "relayPorts":
                        var range = String(v, key, "a port range, e.g. \"40000-49999\"");
                        if (!SettingParsers.TryParsePortRange(range, out int min, out int max, out var rangeError))
                        {
                            throw Fail(key, v, rangeError, "write \"MIN-MAX\", e.g. \"40000-49999\"");
                        }

                        (r.RelayPortMin, r.RelayPortMax) = (min, max);
                        break;
                    case "maxClients":
                        r.MaxClients = (int)Integer(v, key, 1, 10_000_000, "the most registered clients, 1-10000000 (default 100000)");
                        break;
                    case "lifetimeMinSeconds":
                        r.LifetimeMin = Seconds(v, key, 1, 604800, "the shortest lifetime granted, 1-604800 seconds (default 10)");
                        break;
                    case "lifetimeMaxSeconds":
                        r.LifetimeMax = Seconds(v, key, 1, 604800, "the longest lifetime granted, 1-604800 seconds (default 3600)");
                        break;
                    case "relayedI1PerSecond":
                        r.RelayedI1PerSecond = Seconds(v, key, 0.1, 100000, "I1s per second relayed to one client, 0.1-100000 (default 20)").TotalSeconds;
                        break;
                    case "relayedI1Burst":
                        r.RelayedI1Burst = (int)Integer(v, key, 1, 100000, "a burst of I1s, 1-100000 (default 40)");
                        break;
                    case "maxPermissionsPerClient":
                        r.MaxPermissionsPerClient = (int)Integer(v, key, 1, 100000, "data-relay permissions per client, 1-100000 (default 64)");
                        break;
                    default:
                        throw Unknown(p.Name, "registrar", RegistrarKeys);
                }
            }

            if (r.LifetimeMin > r.LifetimeMax)
            {
                throw new ConfigException(
                    $"config {source}: key registrar.lifetimeMaxSeconds ({r.LifetimeMax.TotalSeconds}) is below registrar.lifetimeMinSeconds ({r.LifetimeMin.TotalSeconds}); make it at least as large");
            }

            return r;
        }

        private void ReadAllow(JsonElement v, string key, RegistrarSettings r)
        {
            string example = $"[\"{SettingParsers.ExampleHit}\", {{ \"hit\": \"2001:20::2\", \"services\": [\"rendezvous\"] }}]";
            if (v.ValueKind != JsonValueKind.Array)
            {
                throw Fail(key, v, "expected an array of HITs", "write e.g. " + example);
            }

            int i = 0;
            foreach (var item in v.EnumerateArray())
            {
                string itemKey = $"{key}[{i++}]";
                if (item.ValueKind == JsonValueKind.String)
                {
                    if (!SettingParsers.TryParseHit(item.GetString(), out var hit, out var error))
                    {
                        throw Fail(itemKey, item, error, "print a client's HIT with `hipnat hit KEYFILE`");
                    }

                    r.Allow.Add(hit);
                    continue;
                }

                if (item.ValueKind != JsonValueKind.Object)
                {
                    throw Fail(itemKey, item, "expected a HIT or { \"hit\": ..., \"services\": [...] }", "write e.g. " + example);
                }

                Hit? entryHit = null;
                List<RegistrationType>? services = null;
                foreach (var p in item.EnumerateObject())
                {
                    string k = $"{itemKey}.{p.Name}";
                    switch (p.Name)
                    {
                        case "hit":
                            if (!SettingParsers.TryParseHit(String(p.Value, k, "a HIT"), out var h, out var error))
                            {
                                throw Fail(k, p.Value, error, "print a client's HIT with `hipnat hit KEYFILE`");
                            }

                            entryHit = h;
                            break;
                        case "services":
                            services = Services(p.Value, k, clientSide: false);
                            break;
                        default:
                            throw Unknown(p.Name, itemKey, AllowKeys);
                    }
                }

                if (entryHit is null)
                {
                    throw Fail(itemKey, item, "missing \"hit\"", "write e.g. " + example);
                }

                if (services is null)
                {
                    r.Allow.Add(entryHit.Value);
                }
                else
                {
                    r.AllowFor(entryHit.Value, services);
                }
            }
        }

        private void ReadStunServers(JsonElement value, DaemonSettings s)
        {
            if (value.ValueKind != JsonValueKind.Array)
            {
                throw Fail("stunServers", value, "expected an array of addresses", "write e.g. [\"192.0.2.1:3478\"]");
            }

            int i = 0;
            foreach (var item in value.EnumerateArray())
            {
                string key = $"stunServers[{i++}]";
                var text = String(item, key, "a STUN server address such as \"192.0.2.1:3478\"");
                if (!SettingParsers.TryParseUdpAddress(text, out var address, out var error, SettingParsers.StunPort))
                {
                    throw Fail(key, item, error, "write \"ADDR:PORT\" or \"[IPv6]:PORT\" (port 3478 if left out)");
                }

                s.StunServers.Add(address);
            }
        }

        private void ReadTurnServers(JsonElement value, DaemonSettings s)
        {
            const string example = "[{ \"address\": \"192.0.2.1:3478\", \"username\": \"alice\", \"password\": \"secret\" }]";
            if (value.ValueKind != JsonValueKind.Array)
            {
                throw Fail("turnServers", value, "expected an array of TURN servers", "write e.g. " + example);
            }

            int i = 0;
            foreach (var item in value.EnumerateArray())
            {
                string key = $"turnServers[{i++}]";
                if (item.ValueKind != JsonValueKind.Object)
                {
                    throw Fail(key, item, "expected an object with address, username and password", "write e.g. " + example);
                }

                Core.Transport.TransportAddress? address = null;
                string? username = null;
                string? password = null;
                foreach (var p in item.EnumerateObject())
                {
                    string k = $"{key}.{p.Name}";
                    switch (p.Name)
                    {
                        case "address":
                            var text = String(p.Value, k, "the TURN server's address, e.g. \"192.0.2.1:3478\"");
                            if (!SettingParsers.TryParseUdpAddress(text, out var a, out var error, SettingParsers.StunPort))
                            {
                                throw Fail(k, p.Value, error, "write \"ADDR:PORT\" or \"[IPv6]:PORT\" (port 3478 if left out)");
                            }

                            address = a;
                            break;
                        case "username":
                            username = String(p.Value, k, "the TURN user name");
                            if (username.Length == 0 || username.Length > 513)
                            {
                                throw Fail(k, p.Value, "empty or longer than 513 bytes (RFC 8489 §14.3)", "write the user name the TURN server's operator gave you");
                            }

                            break;
                        case "password":
                            password = String(p.Value, k, "the TURN password");
                            if (password.Length == 0)
                            {
                                throw new ConfigException($"config {source}: key {k}: empty password; write the password of the TURN user (the value is never logged)");
                            }

                            break;
                        default:
                            throw Unknown(p.Name, key, TurnKeys);
                    }
                }

                if (address is null || username is null || password is null)
                {
                    string missing = address is null ? "address" : username is null ? "username" : "password";
                    throw new ConfigException($"config {source}: key {key}: missing \"{missing}\"; each TURN server needs address, username and password, e.g. {example}");
                }

                s.TurnServers.Add(new TurnServerSettings(address.Value, username, password));
            }
        }

        private ProtocolSettings ReadProtocol(JsonElement value)
        {
            if (value.ValueKind != JsonValueKind.Object)
            {
                throw Fail("protocol", value, "expected an object of tunables", "write e.g. { \"retransmitInitialMs\": 500 }");
            }

            var p = new ProtocolSettings();
            foreach (var prop in value.EnumerateObject())
            {
                string key = "protocol." + prop.Name;
                var v = prop.Value;
                switch (prop.Name)
                {
                    case "dhGroups":
                        p.DhGroups = NameList(v, key, DhGroupNames);
                        break;
                    case "ciphers":
                        p.Ciphers = NameList(v, key, CipherNames);
                        break;
                    case "espSuites":
                        p.EspSuites = EspSuites(v, key);
                        break;
                    case "puzzleDifficulty":
                        p.PuzzleDifficulty = (byte)Integer(v, key, 0, 64, "a puzzle difficulty #K in bits, 0-64 (default 1)");
                        break;
                    case "puzzleDifficultyCeiling":
                        p.PuzzleDifficultyCeiling = (byte)Integer(v, key, 0, 28, "the highest #K under load, 0-28 (default 20)");
                        break;
                    case "puzzleLoadThreshold":
                        p.PuzzleLoadThreshold = (int)Integer(v, key, 1, 1_000_000, "I2s reaching DH per second above which #K rises (default 32)");
                        break;
                    case "maxAcceptedPuzzleDifficulty":
                        p.MaxAcceptedPuzzleDifficulty = (byte)Integer(v, key, 0, 64, "the largest #K to solve, 0-64 (default 28)");
                        break;
                    case "puzzleLifetime":
                        p.PuzzleLifetime = (byte)Integer(v, key, 0, 255, "a lifetime exponent 0-255, 2^(value-32) s (default 37 = 32 s)");
                        break;
                    case "r1RotationSeconds":
                        p.R1Rotation = Seconds(v, key, 1, 86400, "seconds between R1 regenerations, 1-86400 (default 300)");
                        break;
                    case "encryptHostId":
                        p.EncryptHostId = Boolean(v, key);
                        break;
                    case "retransmitInitialMs":
                        p.RetransmitInitial = TimeSpan.FromMilliseconds(Integer(v, key, 10, 60000, "milliseconds, 10-60000 (default 500)"));
                        break;
                    case "retransmitMaxMs":
                        p.RetransmitMax = TimeSpan.FromMilliseconds(Integer(v, key, 10, 600000, "milliseconds, 10-600000 (default 8000)"));
                        break;
                    case "i1RetriesMax":
                        p.I1RetriesMax = (int)Integer(v, key, 0, 100, "a retry count 0-100 (default 6)");
                        break;
                    case "i2RetriesMax":
                        p.I2RetriesMax = (int)Integer(v, key, 0, 100, "a retry count 0-100 (default 6)");
                        break;
                    case "updateRetriesMax":
                        p.UpdateRetriesMax = (int)Integer(v, key, 0, 100, "a retry count 0-100 (default 6)");
                        break;
                    case "closeRetriesMax":
                        p.CloseRetriesMax = (int)Integer(v, key, 0, 100, "a retry count 0-100 (default 4)");
                        break;
                    case "unusedAssociationLifetimeSeconds":
                        p.UnusedAssociationLifetime = Seconds(v, key, 0, 31536000, "seconds, 0 = never (default 0)");
                        break;
                    case "maximumSegmentLifetimeSeconds":
                        p.MaximumSegmentLifetime = Seconds(v, key, 0, 3600, "seconds, 0-3600 (default 10)");
                        break;
                    case "failedHoldTimeSeconds":
                        p.FailedHoldTime = Seconds(v, key, 0, 3600, "seconds, 0-3600 (default 30)");
                        break;
                    case "r2SentHoldSeconds":
                        p.R2SentHold = Seconds(v, key, 0, 3600, "seconds, 0-3600 (default 2)");
                        break;
                    case "maxAssociations":
                        p.MaxAssociations = (int)Integer(v, key, 1, int.MaxValue, "a positive count (default 1000000)");
                        break;
                    case "espGcmKeyBits":
                        var bits = Integer(v, key, 128, 256, "128 or 256 (default 128)");
                        if (bits is not (128 or 256))
                        {
                            throw Fail(key, v, "not an AES key size", "write 128 or 256");
                        }

                        p.EspGcmKeyBits = (int)bits;
                        break;
                    case "keepaliveIntervalSeconds":
                        var keepalive = Seconds(v, key, 0, 3600, "seconds, 0 = off or 15-3600 (default 20)");
                        if (keepalive > TimeSpan.Zero && keepalive < TimeSpan.FromSeconds(15))
                        {
                            throw Fail(key, v, "RFC 9028 forbids NAT keepalives more often than every 15 s", "write 0 (off) or 15-3600");
                        }

                        p.KeepaliveInterval = keepalive;
                        break;
                    case "peerTimeoutSeconds":
                        p.PeerTimeout = Seconds(v, key, 0, 86400, "seconds, 0 = never (default 60)");
                        break;
                    case "transactionPacingMs":
                        p.TransactionPacing = TimeSpan.FromMilliseconds(Integer(v, key, IceSettings.MinPacingMs, IceSettings.MaxPacingMs,
                            "milliseconds, 5-10000 (default 50); RFC 9028 §4.4 forbids less than 5 ms"));
                        break;
                    case "probeDirectPaths":
                        p.ProbeDirectPaths = Boolean(v, key);
                        break;
                    case "directProbeAttempts":
                        p.DirectProbeAttempts = (int)Integer(v, key, 1, 100, "a count 1-100 (default 8)");
                        break;
                    case "answerStun":
                        p.AnswerStun = Boolean(v, key);
                        break;
                    case "natTraversalModes":
                        p.NatTraversalModes = NatModes(v, key);
                        break;
                    default:
                        throw Unknown(prop.Name, "protocol", ProtocolKeys);
                }
            }

            if (p.RetransmitInitial is { } ri && p.RetransmitMax is { } rm && rm < ri)
            {
                throw new ConfigException(
                    $"config {source}: key protocol.retransmitMaxMs ({rm.TotalMilliseconds}) is below protocol.retransmitInitialMs ({ri.TotalMilliseconds}); make it at least as large");
            }

            return p;
        }

        private IReadOnlyList<T> NameList<T>(JsonElement v, string key, (string Name, T Id)[] names)
        {
            string valid = string.Join(", ", names.Select(n => '"' + n.Name + '"'));
            if (v.ValueKind != JsonValueKind.Array || v.GetArrayLength() == 0)
            {
                throw Fail(key, v, "expected a non-empty array in preference order", $"use values from {valid}");
            }

            var list = new List<T>();
            int i = 0;
            foreach (var item in v.EnumerateArray())
            {
                string itemKey = $"{key}[{i++}]";
                var text = String(item, itemKey, "one of " + valid);
                var match = names.FirstOrDefault(n => string.Equals(n.Name, text, StringComparison.OrdinalIgnoreCase));
                if (match.Name is null)
                {
                    throw Fail(itemKey, item, "unknown name", "use one of " + valid);
                }

                list.Add(match.Id);
            }

            return list;
        }

        private List<NatTraversalMode> NatModes(JsonElement v, string key)
        {
            if (v.ValueKind != JsonValueKind.Array || v.GetArrayLength() == 0)
            {
                throw Fail(key, v, "expected a non-empty array of modes in preference order", $"use values from {IceSettings.ModeNames}");
            }

            var list = new List<NatTraversalMode>();
            int i = 0;
            foreach (var item in v.EnumerateArray())
            {
                string itemKey = $"{key}[{i++}]";
                var text = String(item, itemKey, "one of " + IceSettings.ModeNames);
                if (!IceSettings.TryParseMode(text, out var mode))
                {
                    throw Fail(itemKey, item, "unknown NAT traversal mode", "use one of " + IceSettings.ModeNames);
                }

                if (list.Contains(mode))
                {
                    throw Fail(itemKey, item, "listed twice", "list each mode once, in preference order");
                }

                list.Add(mode);
            }

            return list;
        }

        private ushort[] EspSuites(JsonElement v, string key)
        {
            const string valid = "13 (AES-GCM-16), 8 (AES-128-CBC/HMAC-SHA-256), 9 (AES-256-CBC/HMAC-SHA-256), 7 (NULL/HMAC-SHA-256: integrity only)";
            if (v.ValueKind != JsonValueKind.Array || v.GetArrayLength() == 0)
            {
                throw Fail(key, v, "expected a non-empty array of ESP suite IDs in preference order", "use values from " + valid);
            }

            var list = new List<ushort>();
            int i = 0;
            foreach (var item in v.EnumerateArray())
            {
                string itemKey = $"{key}[{i++}]";
                var n = Integer(item, itemKey, 0, ushort.MaxValue, "an ESP suite ID: " + valid);
                if (!KnownEspSuites.Contains((ushort)n))
                {
                    throw Fail(itemKey, item, "unsupported ESP suite", "use " + valid);
                }

                list.Add((ushort)n);
            }

            return [.. list];
        }

        private string String(JsonElement v, string key, string expected)
        {
            if (v.ValueKind != JsonValueKind.String)
            {
                throw Fail(key, v, "expected a string", "write " + expected);
            }

            return v.GetString()!;
        }

        private bool Boolean(JsonElement v, string key) => v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Fail(key, v, "expected true or false", "write true or false without quotes"),
        };

        private long Integer(JsonElement v, string key, long min, long max, string expected)
        {
            if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out long n))
            {
                throw Fail(key, v, "expected a whole number", "write " + expected);
            }

            if (n < min || n > max)
            {
                throw Fail(key, v, $"out of range {min}-{max}", "write " + expected);
            }

            return n;
        }

        private TimeSpan Seconds(JsonElement v, string key, double min, double max, string expected)
        {
            if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out double d))
            {
                throw Fail(key, v, "expected a number of seconds", "write " + expected);
            }

            if (d < min || d > max || double.IsNaN(d))
            {
                throw Fail(key, v, $"out of range {min}-{max}", "write " + expected);
            }

            return TimeSpan.FromSeconds(d);
        }

        private string ResolvePath(string path)
        {
            if (path.Length == 0 || Path.IsPathRooted(path) || !File.Exists(source))
            {
                return path;
            }

            var dir = Path.GetDirectoryName(Path.GetFullPath(source));
            return dir is null ? path : Path.Combine(dir, path);
        }

        private ConfigException Fail(string key, JsonElement value, string problem, string fix) => ConfigException.ForKey(source, key, value, problem, fix);

        private ConfigException Unknown(string name, string? parent, string[] valid)
        {
            string full = parent is null ? name : parent + "." + name;
            var suggestion = valid.OrderBy(v => Distance(v.ToLowerInvariant(), name.ToLowerInvariant())).First();
            string hint = Distance(suggestion.ToLowerInvariant(), name.ToLowerInvariant()) <= Math.Max(2, name.Length / 3)
                ? $"did you mean \"{suggestion}\"? "
                : string.Empty;
            return new ConfigException(
                $"config {source}: unknown key \"{full}\"; {hint}valid keys{(parent is null ? string.Empty : " in " + parent)}: {string.Join(", ", valid)} (see docs/config.md)");
        }

        private static string Kind(JsonElement e) => e.ValueKind.ToString().ToLowerInvariant();

        private static int Distance(string a, string b)
        {
            var d = new int[a.Length + 1, b.Length + 1];
            for (int i = 0; i <= a.Length; i++)
            {
                d[i, 0] = i;
            }

            for (int j = 0; j <= b.Length; j++)
            {
                d[0, j] = j;
            }

            for (int i = 1; i <= a.Length; i++)
            {
                for (int j = 1; j <= b.Length; j++)
                {
                    int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                    d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                }
            }

            return d[a.Length, b.Length];
        }
    }
}
