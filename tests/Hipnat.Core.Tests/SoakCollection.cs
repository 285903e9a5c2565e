namespace Hipnat.Core.Tests;

/// <summary>Runs the soak test alone: it compares process-wide counters (outstanding core packet buffers) with a
/// baseline, which tests running beside it would move.</summary>
[CollectionDefinition(nameof(SoakCollection), DisableParallelization = true)]
public sealed class SoakCollection
{
}
