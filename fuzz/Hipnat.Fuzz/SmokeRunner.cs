using System.Diagnostics;

namespace Hipnat.Fuzz;

/// <summary>
/// The in-process "replay and mutate" mode: every corpus input (the files of fuzz/corpus/&lt;target&gt; and the
/// target's own seeds), then seeded mutations of them, each through the harness. An exception escaping is a crash;
/// distinct crashes (by <see cref="SmokeCrash.Signature"/>) are collected and the run goes on.
/// </summary>
public static class SmokeRunner
{
    public static SmokeResult Run(IFuzzTarget target, long mutations, int seed, string? corpusDirectory, TimeSpan? timeLimit = null, int maxCrashes = 20)
    {
        ArgumentNullException.ThrowIfNull(target);
        var corpus = LoadCorpus(target, corpusDirectory);
        var crashes = new Dictionary<string, SmokeCrash>();
        long executions = 0;
        foreach (var input in corpus)
        {
            Execute(target, input, crashes);
            executions++;
        }

        var mutator = new Mutator(seed);
        var clock = Stopwatch.StartNew();
        for (long i = 0; i < mutations && crashes.Count < maxCrashes; i++)
        {
            if (timeLimit is { } limit && (i & 63) == 0 && clock.Elapsed > limit)
            {
                break;
            }

            Execute(target, mutator.Mutate(corpus), crashes);
            executions++;
        }

        return new SmokeResult(target.Name, executions, corpus.Count, [.. crashes.Values]);
    }

    public static List<byte[]> LoadCorpus(IFuzzTarget target, string? corpusDirectory)
    {
        ArgumentNullException.ThrowIfNull(target);
        var corpus = new List<byte[]>();
        if (corpusDirectory is not null && Directory.Exists(corpusDirectory))
        {
            foreach (var file in Directory.GetFiles(corpusDirectory).Order(StringComparer.Ordinal))
            {
                corpus.Add(File.ReadAllBytes(file));
            }
        }

        corpus.AddRange(target.CreateSeeds().Select(s => s.Data));
        if (corpus.Count == 0)
        {
            corpus.Add([]);
        }

        return corpus;
    }

    private static void Execute(IFuzzTarget target, byte[] input, Dictionary<string, SmokeCrash> crashes)
    {
        try
        {
            target.Run(input);
        }
        catch (Exception e)
        {
            var crash = new SmokeCrash(input, e);
            crashes.TryAdd(crash.Signature, crash);
        }
    }
}
