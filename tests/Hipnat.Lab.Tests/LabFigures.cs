using System.Globalization;

namespace Hipnat.Lab.Tests;

/// <summary>The figures lab tests measure: percentiles, their formatting, and where they are written for the docs.</summary>
internal static class LabFigures
{
    /// <summary>The 95th percentile (nearest rank) of <paramref name="values"/>.</summary>
    public static TimeSpan P95(IEnumerable<TimeSpan> values)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(sorted.Count * 0.95) - 1)];
    }

    public static string Ms(TimeSpan t) => t.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture) + " ms";

    /// <summary>Prints <paramref name="line"/> and appends it to <paramref name="file"/> in $HIPNAT_LAB_ARTIFACTS, if set.</summary>
    public static void Write(string file, string line)
    {
        TestContext.Current.TestOutputHelper?.WriteLine(line);
        var dir = Environment.GetEnvironmentVariable("HIPNAT_LAB_ARTIFACTS");
        if (!string.IsNullOrEmpty(dir))
        {
            Directory.CreateDirectory(dir);
            File.AppendAllText(Path.Combine(dir, file), line + Environment.NewLine);
        }
    }
}
