namespace Hipnat.Core.Limits;

/// <summary>
/// A token bucket on the caller's clock: <see cref="TryTake"/> refills at <c>perSecond</c> up to <c>burst</c>, then
/// takes one token. Kept as a mutable struct in a field, so a limit costs no allocation per client or per agent.
/// The relay's per-client limits and ICE's check answering share it.
/// </summary>
internal struct TokenBucket
{
    private double _tokens;
    private TimeSpan _at;

    public TokenBucket(double tokens, TimeSpan now)
    {
        _tokens = tokens;
        _at = now;
    }

    /// <summary>Takes a token if one is there; with <paramref name="force"/> takes it anyway (the bucket may go
    /// below zero, so forced takes still slow down what follows).</summary>
    public bool TryTake(double burst, double perSecond, TimeSpan now, bool force = false)
    {
        _tokens = Math.Min(burst, _tokens + ((now - _at).TotalSeconds * perSecond));
        _at = now;
        if (_tokens < 1 && !force)
        {
            return false;
        }

        _tokens -= 1;
        return true;
    }
}
