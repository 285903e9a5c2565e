namespace Hipnat.Nat.Stun;

/// <summary>
/// One algorithm with its parameters, as listed in PASSWORD-ALGORITHMS (RFC 8489 §14.11) or carried alone in
/// PASSWORD-ALGORITHM (§14.12). MD5 and SHA-256 have empty parameters.
/// </summary>
public readonly record struct StunPasswordAlgorithmEntry(StunPasswordAlgorithm Algorithm, ReadOnlyMemory<byte> Parameters)
{
    public StunPasswordAlgorithmEntry(StunPasswordAlgorithm algorithm)
        : this(algorithm, ReadOnlyMemory<byte>.Empty)
    {
    }

    public bool Equals(StunPasswordAlgorithmEntry other) =>
        Algorithm == other.Algorithm && Parameters.Span.SequenceEqual(other.Parameters.Span);

    public override int GetHashCode() => HashCode.Combine(Algorithm, Parameters.Length);
}
