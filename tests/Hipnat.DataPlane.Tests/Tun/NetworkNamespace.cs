using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Hipnat.DataPlane.Tests.Tun;

/// <summary>
/// A throw-away named network namespace (<c>ip netns add</c>); <see cref="Run"/> executes code on a dedicated thread
/// that has joined it with setns(2), so TUN devices and sockets created there live in the namespace only.
/// </summary>
internal sealed partial class NetworkNamespace : IDisposable
{
    private const int CloneNewNet = 0x40000000;
    private const int ORdOnly = 0;
    private const int OCloExec = 0x80000;

    private NetworkNamespace(string name)
    {
        Name = name;
    }

    public string Name { get; }

    public static NetworkNamespace Create()
    {
        var ns = new NetworkNamespace("hipnat-dp-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)));
        Ip("netns", "add", ns.Name);
        return ns;
    }

    public static bool IpAvailable()
    {
        try
        {
            return RunProcess("ip", "-V").ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    /// <summary>Runs <paramref name="action"/> inside the namespace and waits for it.</summary>
    public void Run(Action action) => Start(action)();

    /// <summary>Starts <paramref name="action"/> on a thread inside the namespace; the returned join rethrows its failure.</summary>
    public Action Start(Action action)
    {
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                int fd = Open($"/var/run/netns/{Name}", ORdOnly | OCloExec);
                if (fd < 0 || SetNamespace(fd, CloneNewNet) != 0)
                {
                    throw new IOException($"cannot enter namespace {Name}: errno {Marshal.GetLastPInvokeError()}");
                }

                _ = Close(fd);
                action();
            }
            catch (Exception e)
            {
                error = e;
            }
        })
        { IsBackground = true };
        thread.Start();
        return () =>
        {
            if (!thread.Join(TimeSpan.FromSeconds(60)))
            {
                throw new TimeoutException($"thread in namespace {Name} did not finish");
            }

            if (error is not null)
            {
                ExceptionDispatchInfo.Throw(error);
            }
        };
    }

    /// <summary>Runs <c>ip -n NAME args</c> and returns its exit code and output.</summary>
    public (int ExitCode, string Output) IpIn(params string[] args) => RunProcess("ip", ["-n", Name, .. args]);

    public void Dispose() => RunProcess("ip", "netns", "del", Name);

    private static void Ip(params string[] args)
    {
        var (code, output) = RunProcess("ip", args);
        if (code != 0)
        {
            throw new InvalidOperationException($"ip {string.Join(' ', args)}: {output}");
        }
    }

    private static (int ExitCode, string Output) RunProcess(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output + err.GetAwaiter().GetResult());
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNamespace(int fd, int nsType);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
