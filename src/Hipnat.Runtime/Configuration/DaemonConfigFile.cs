using System.Text.Json;
using Hipnat.Crypto;

namespace Hipnat.Runtime.Configuration;

/// <summary>
/// Reads the JSON config file of <c>hipnat run --config FILE</c> (documented key by key in docs/config.md).
/// Comments and trailing commas are allowed; unknown keys are errors (they are usually typos). Every error names
/// the key, the bad value and what to write instead.
/// </summary>
public static class DaemonConfigFile
{
    /// <summary>Every key the file may contain (top level, then "protocol"), for the documentation check.</summary>
    internal static IEnumerable<string> AllKeys => TopKeys.Concat(ProtocolKeys);

    private static readonly string[] TopKeys = ["keyFile", "listen", "peers", "transport", "logLevel", "controlSocket", "protocol"];

    private static readonly string[] ProtocolKeys =
    [
        "dhGroups", "ciphers", "espSuites", "puzzleDifficulty", "maxAcceptedPuzzleDifficulty", "puzzleLifetime",
        "r1RotationSeconds", "encryptHostId", "retransmitInitialMs", "retransmitMaxMs", "i1RetriesMax", "i2RetriesMax",
        "updateRetriesMax", "closeRetriesMax", "unusedAssociationLifetimeSeconds", "maximumSegmentLifetimeSeconds",
        "failedHoldTimeSeconds", "r2SentHoldSeconds", "maxAssociations", "espGcmKeyBits", "keepaliveIntervalSeconds",
        "peerTimeoutSeconds", "transactionPacingMs", "probeDirectPaths", "directProbeAttempts", "answerStun",
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

    private static readonly ushort[] KnownEspSuites = [8, 9, 13];

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
                    case "controlSocket":
                        s.ControlSocket = String(p.Value, "controlSocket", "a filesystem path for the control socket, e.g. \"/run/hipnat/hipnat.sock\"");
                        if (s.ControlSocket.Length == 0)
                        {
                            throw Fail("controlSocket", p.Value, "empty path", "give a path such as \"/run/hipnat/hipnat.sock\" or remove the key");
                        }

                        break;
                    case "protocol":
                        s.Protocol = ReadProtocol(p.Value);
                        break;
                    default:
                        throw Unknown(p.Name, null, TopKeys);
                }
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
                        p.TransactionPacing = TimeSpan.FromMilliseconds(Integer(v, key, 1, 10000, "milliseconds, 1-10000 (default 50)"));
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

        private ushort[] EspSuites(JsonElement v, string key)
        {
            const string valid = "13 (AES-GCM-16), 8 (AES-128-CBC/HMAC-SHA-256), 9 (AES-256-CBC/HMAC-SHA-256)";
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

        private ConfigException Fail(string key, JsonElement value, string problem, string fix)
        {
            var raw = value.GetRawText();
            if (raw.Length > 80)
            {
                raw = raw[..77] + "...";
            }

            return new ConfigException($"config {source}: key {key} = {raw}: {problem}; {fix}");
        }

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
