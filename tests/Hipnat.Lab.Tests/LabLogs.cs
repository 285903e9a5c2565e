using System.Globalization;

namespace Hipnat.Lab.Tests;

/// <summary>Keeps the whole daemon logs of a lab test in a file, since an assertion message carries only their
/// tails. One file per lab setup, rewritten each time the logs are asked for; the newest few are kept.</summary>
internal sealed class LabLogs
{
    private const int Keep = 16;
    private readonly string _path;

    public LabLogs(string test)
    {
        string dir = Path.Combine(AppContext.BaseDirectory, "TestResults", "lab-logs");
        _path = Path.Combine(dir, $"{test}-{DateTime.UtcNow.ToString("yyyyMMdd-HHmmss-fff", CultureInfo.InvariantCulture)}.log");
    }

    /// <summary>Writes each named log to this setup's file and returns the file's path (or why it was not written).</summary>
    public string Save(params (string Name, string Text)[] logs)
    {
        try
        {
            string dir = Path.GetDirectoryName(_path)!;
            Directory.CreateDirectory(dir);
            using (var w = new StreamWriter(_path))
            {
                foreach (var (name, text) in logs)
                {
                    w.WriteLine($"{name}:");
                    w.WriteLine(text);
                }
            }

            foreach (var old in new DirectoryInfo(dir).GetFiles("*.log").OrderByDescending(f => f.LastWriteTimeUtc).Skip(Keep))
            {
                old.Delete();
            }

            return _path;
        }
        catch (IOException e)
        {
            return $"(not saved: {e.Message})";
        }
        catch (UnauthorizedAccessException e)
        {
            return $"(not saved: {e.Message})";
        }
    }
}
