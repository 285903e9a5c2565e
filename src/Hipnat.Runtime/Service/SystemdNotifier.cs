using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Hipnat.Runtime.Service;

/// <summary>
/// Readiness and state notifications to the service manager (the sd_notify protocol of systemd): one datagram of
/// newline-separated <c>KEY=VALUE</c> lines to the Unix socket named by <c>$NOTIFY_SOCKET</c>. Without that variable
/// (not started by systemd with <c>Type=notify</c>) every call does nothing. A name starting with '@' is an abstract
/// socket. Failures are reported once through <see cref="LastError"/>, never thrown: a service manager that went
/// away must not stop the daemon.
/// </summary>
public sealed class SystemdNotifier : IDisposable
{
    private readonly Socket? _socket;
    private readonly UnixDomainSocketEndPoint? _endpoint;

    public SystemdNotifier(string? notifySocket)
    {
        if (string.IsNullOrEmpty(notifySocket) || (notifySocket[0] != '/' && notifySocket[0] != '@'))
        {
            return;
        }

        try
        {
            // Abstract namespace: the leading '@' stands for a NUL byte.
            _endpoint = new UnixDomainSocketEndPoint(notifySocket[0] == '@' ? "\0" + notifySocket[1..] : notifySocket);
            _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        }
        catch (Exception e) when (e is SocketException or ArgumentException or PlatformNotSupportedException)
        {
            LastError = e.Message;
            _socket = null;
            _endpoint = null;
        }
    }

    /// <summary>A notifier for <c>$NOTIFY_SOCKET</c> of this process.</summary>
    public static SystemdNotifier FromEnvironment() => new(Environment.GetEnvironmentVariable("NOTIFY_SOCKET"));

    /// <summary>Whether a service manager listens (NOTIFY_SOCKET was set and usable).</summary>
    public bool Enabled => _socket is not null;

    public string? LastError { get; private set; }

    /// <summary>The daemon is up: control socket bound, transports open.</summary>
    public void Ready(string status) => Send($"READY=1\nSTATUS={status}\nMAINPID={Environment.ProcessId}");

    /// <summary>A reload starts; <see cref="Ready"/> ends it. MONOTONIC_USEC is CLOCK_MONOTONIC, as systemd expects.</summary>
    public void Reloading() =>
        Send(string.Create(CultureInfo.InvariantCulture, $"RELOADING=1\nMONOTONIC_USEC={Stopwatch.GetTimestamp() / (Stopwatch.Frequency / 1_000_000)}"));

    public void Stopping() => Send("STOPPING=1");

    public void Status(string status) => Send("STATUS=" + status);

    private void Send(string message)
    {
        if (_socket is null || _endpoint is null)
        {
            return;
        }

        try
        {
            _socket.SendTo(Encoding.UTF8.GetBytes(message.Replace("\r", string.Empty, StringComparison.Ordinal)), SocketFlags.None, _endpoint);
        }
        catch (SocketException e)
        {
            LastError = e.Message;
        }
    }

    public void Dispose() => _socket?.Dispose();
}
