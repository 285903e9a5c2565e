using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace Hipnat.Lab.Internal;

/// <summary>
/// Naming: every lab has a 5-hex-digit id. Its switch namespace is <c>hn-ID</c>, each node's namespace
/// <c>hn-ID-NODE</c>; bridges (<c>hnIDbN</c>) and switch ports (<c>hnIDpN</c>) live in the switch namespace. Nothing is
/// created in the root namespace, and every interface name fits the kernel's 15-character limit.
/// </summary>
internal static partial class LabNames
{
    public const string Prefix = "hn-";
    public const int IdLength = 5;
    public const int MaxInterfaceName = 15;

    public static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))[..IdLength];

    public static string SwitchNamespace(string id) => Prefix + id;

    public static string NodeNamespace(string id, string node) => $"{Prefix}{id}-{node}";

    public static string Bridge(string id, int index) => Check($"hn{id}b{index}");

    public static string SwitchPort(string id, int index) => Check($"hn{id}p{index}");

    /// <summary>The lab id of a namespace named by <see cref="SwitchNamespace"/> or <see cref="NodeNamespace"/>; for other <c>hn-</c> names, the part up to the next dash.</summary>
    public static string IdOf(string namespaceName)
    {
        var rest = namespaceName[Prefix.Length..];
        var dash = rest.IndexOf('-', StringComparison.Ordinal);
        return dash < 0 ? rest : rest[..dash];
    }

    public static void ValidateNodeName(string name)
    {
        if (!NodeName().IsMatch(name))
        {
            throw new ArgumentException($"'{name}': node names are 1-32 characters of a-z, 0-9 and '-', starting with a letter or digit", nameof(name));
        }
    }

    public static void ValidateInterfaceName(string name)
    {
        if (!InterfaceName().IsMatch(name))
        {
            throw new ArgumentException($"'{name}': interface names are 1-{MaxInterfaceName} characters of a-z, A-Z, 0-9, '-', '_' and '.'", nameof(name));
        }
    }

    private static string Check(string name) =>
        name.Length <= MaxInterfaceName ? name : throw new InvalidOperationException($"interface name {name} is longer than {MaxInterfaceName}");

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,31}$")]
    private static partial Regex NodeName();

    [GeneratedRegex("^[a-zA-Z0-9_.-]{1,15}$")]
    private static partial Regex InterfaceName();
}
