using System.Globalization;
using Hipnat.Fuzz;

// Usage:
//   Hipnat.Fuzz TARGET --smoke N [--seed S] [--seconds S] [--corpus DIR] [--crashes DIR]   replay + N mutations in process
//   Hipnat.Fuzz TARGET --afl                                                                 under afl-fuzz (SharpFuzz)
//   Hipnat.Fuzz TARGET --run FILE...                                                         replay files, print what escapes
//   Hipnat.Fuzz TARGET --write-seeds DIR                                                     write the target's seed inputs
// TARGET is one of hip-parse, hip-core, stun, esp-open, beet, config, control, or "all" (smoke only).
if (args.Length < 2)
{
    Console.Error.WriteLine($"usage: Hipnat.Fuzz TARGET (--smoke N | --afl | --run FILE... | --write-seeds DIR); targets: {string.Join(", ", FuzzTargets.Names)}, all");
    return 2;
}

string name = args[0];
string mode = args[1];
string? Option(string option)
{
    int i = Array.IndexOf(args, option);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

switch (mode)
{
    case "--smoke":
        {
            long mutations = long.Parse(args.Length > 2 ? args[2] : "10000", CultureInfo.InvariantCulture);
            int seed = int.Parse(Option("--seed") ?? "1", CultureInfo.InvariantCulture);
            TimeSpan? limit = Option("--seconds") is { } s ? TimeSpan.FromSeconds(double.Parse(s, CultureInfo.InvariantCulture)) : null;
            string? crashDir = Option("--crashes");
            int failed = 0;
            foreach (var targetName in name == "all" ? FuzzTargets.Names : [name])
            {
                var target = FuzzTargets.Create(targetName);
                var started = DateTime.UtcNow;
                var result = SmokeRunner.Run(target, mutations, seed, Option("--corpus") ?? CorpusLocator.Find(targetName), limit);
                double seconds = (DateTime.UtcNow - started).TotalSeconds;
                Console.WriteLine($"{targetName}: {result.Executions} executions ({result.CorpusInputs} corpus inputs) in {seconds:0.0} s, {result.Executions / Math.Max(seconds, 0.001):0} exec/s, {result.Crashes.Count} distinct crashes");
                foreach (var crash in result.Crashes)
                {
                    failed++;
                    Console.WriteLine($"  CRASH {crash.Signature}");
                    Console.WriteLine($"    input ({crash.Input.Length} octets): {Convert.ToHexString(crash.Input.AsSpan(0, Math.Min(crash.Input.Length, 4096)))}");
                    Console.WriteLine("    " + crash.Exception.ToString().Replace("\n", "\n    ", StringComparison.Ordinal));
                    if (crashDir is not null)
                    {
                        Directory.CreateDirectory(crashDir);
                        File.WriteAllBytes(Path.Combine(crashDir, $"{targetName}-{Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(crash.Input))[..16]}"), crash.Input);
                    }
                }
            }

            return failed == 0 ? 0 : 1;
        }

    case "--afl":
        {
            var target = FuzzTargets.Create(name);
            SharpFuzz.Fuzzer.Run(stream =>
            {
                using var buffer = new MemoryStream();
                stream.CopyTo(buffer);
                target.Run(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
            });
            return 0;
        }

    case "--run":
        {
            var target = FuzzTargets.Create(name);
            int failed = 0;
            foreach (var file in args.Skip(2))
            {
                try
                {
                    target.Run(File.ReadAllBytes(file));
                    Console.WriteLine($"{file}: ok");
                }
                catch (Exception e)
                {
                    failed++;
                    Console.WriteLine($"{file}: {e}");
                }
            }

            return failed == 0 ? 0 : 1;
        }

    case "--write-seeds":
        {
            var target = FuzzTargets.Create(name);
            string dir = Option("--write-seeds") ?? throw new ArgumentException("--write-seeds needs a directory");
            Directory.CreateDirectory(dir);
            foreach (var (seedName, data) in target.CreateSeeds())
            {
                File.WriteAllBytes(Path.Combine(dir, seedName), data);
            }

            return 0;
        }

    default:
        Console.Error.WriteLine($"unknown mode '{mode}'");
        return 2;
}
