namespace Hipnat.Runtime.Configuration;

/// <summary>Invalid configuration (file or flags). The message names the key or flag, the bad value and the fix.</summary>
public sealed class ConfigException : Exception
{
    public ConfigException()
        : base("invalid configuration")
    {
    }

    public ConfigException(string message)
        : base(message)
    {
    }

    public ConfigException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The error for one key of a config file: names the file, the key and the value (cut at 80
    /// characters), what is wrong and how to fix it.</summary>
    internal static ConfigException ForKey(string source, string key, System.Text.Json.JsonElement value, string problem, string fix)
    {
        var raw = value.GetRawText();
        if (raw.Length > 80)
        {
            raw = raw[..77] + "...";
        }

        return new ConfigException($"config {source}: key {key} = {raw}: {problem}; {fix}");
    }
}
