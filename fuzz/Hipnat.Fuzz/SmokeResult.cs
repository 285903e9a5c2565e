namespace Hipnat.Fuzz;

/// <summary>What a smoke run did: executions (corpus replays and mutations) and the distinct crashes.</summary>
public sealed record SmokeResult(string Target, long Executions, int CorpusInputs, IReadOnlyList<SmokeCrash> Crashes);
