namespace Hipnat.Fuzz;

/// <summary>Finds fuzz/corpus/&lt;target&gt; of the source tree from the harness's directory or the working directory.</summary>
public static class CorpusLocator
{
    public static string? Find(string target)
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "fuzz", "corpus", target);
                if (Directory.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }
}
