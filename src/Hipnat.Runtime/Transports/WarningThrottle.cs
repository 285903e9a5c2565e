using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Hipnat.Runtime.Transports;

/// <summary>Logs a repeated warning at most once per interval (the rest go to the debug level), so a dead route cannot flood the log.</summary>
internal sealed class WarningThrottle(TimeSpan interval)
{
    private long _lastWarning = long.MinValue;

    public void Warn(ILogger logger, string message, params object?[] args)
    {
        long now = Stopwatch.GetTimestamp();
        long last = Interlocked.Read(ref _lastWarning);
        if (last == long.MinValue || Stopwatch.GetElapsedTime(last, now) >= interval)
        {
            Interlocked.Exchange(ref _lastWarning, now);
#pragma warning disable CA2254 // the template is one of a few constants passed by the callers
            logger.LogWarning(message, args);
        }
        else
        {
            logger.LogDebug(message, args);
#pragma warning restore CA2254
        }
    }
}
