using System.Threading.Channels;
using Hipnat.Runtime.Configuration;

namespace Hipnat.Runtime.Service;

/// <summary>
/// Asks a running daemon to read its configuration again (SIGHUP, <c>systemctl reload hipnat</c>). <see cref="Load"/>
/// builds the new settings the way start-up did (config file, then the flags given at start); requests that arrive
/// while one is applied are merged into one.
/// </summary>
public sealed class ReloadRequests
{
    private readonly Channel<bool> _requests = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public ReloadRequests(Func<DaemonSettings> load)
    {
        ArgumentNullException.ThrowIfNull(load);
        Load = load;
    }

    /// <summary>Reads the configuration again; throws <see cref="ConfigException"/> when it is invalid.</summary>
    public Func<DaemonSettings> Load { get; }

    /// <summary>Asks for a reload; safe from a signal handler.</summary>
    public void Request() => _requests.Writer.TryWrite(true);

    internal ChannelReader<bool> Reader => _requests.Reader;
}
