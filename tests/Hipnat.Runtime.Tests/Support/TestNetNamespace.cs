using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace Hipnat.Runtime.Tests.Support;

/// <summary>
/// A throw-away network namespace (<c>ip netns add</c>), deleted on Dispose. <see cref="Invoke{T}"/> runs code on
/// a thread that entered it with setns(2), so sockets opened there belong to it; <see cref="Ip"/> runs
/// <c>ip -n NAME ...</c>. Needs root and iproute2.
/// </summary>
public sealed partial class TestNetNamespace : IDisposable
{
    private const int CloneNewNet = 0x40000000;

    private TestNetNamespace(string name) => Name = name;

    public string Name { get; }

    public static bool IsSupported => NativeSignals.IsRoot && (File.Exists("/usr/sbin/ip") || File.Exists("/sbin/ip") || File.Exists("/usr/bin/ip"));

    public static TestNetNamespace Create()
    {
        var name = $"hipnat-nl-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}";
        var r = Run("ip", "netns", "add", name);
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException($"ip netns add {name}: {r}");
        }

        return new TestNetNamespace(name);
    }

    /// <summary>Runs <c>ip -n NAME args</c>; throws when it fails.</summary>
    public void Ip(params string[] args)
    {
        var r = Run("ip", ["-n", Name, .. args]);
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException($"ip -n {Name} {string.Join(' ', args)}: {r}");
        }
    }

    /// <summary>Runs <c>ip -n NAME -batch -</c> with one command per line, in one process (changes land within microseconds).</summary>
    public void IpBatch(IEnumerable<string> lines)
    {
        var r = Run("ip", ["-n", Name, "-batch", "-"], string.Join('\n', lines) + "\n");
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException($"ip -n {Name} -batch: {r}");
        }
    }

    /// <summary>Runs <c>sysctl -w</c> inside the namespace.</summary>
    public void Sysctl(string setting)
    {
        var r = Run("ip", "netns", "exec", Name, "sysctl", "-qw", setting);
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException($"sysctl {setting} in {Name}: {r}");
        }
    }

    /// <summary>Runs <paramref name="action"/> on a fresh thread inside the namespace.</summary>
    public T Invoke<T>(Func<T> action)
    {
        T result = default!;
        ExceptionDispatchInfo? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                using (var handle = File.OpenHandle(Path.Combine("/run/netns", Name), FileMode.Open, FileAccess.Read))
                {
                    if (SetNamespace((int)handle.DangerousGetHandle(), CloneNewNet) != 0)
                    {
                        throw new InvalidOperationException($"setns {Name}: errno {Marshal.GetLastPInvokeError()}");
                    }
                }

                result = action();
            }
            catch (Exception e)
            {
                error = ExceptionDispatchInfo.Capture(e);
            }
        })
        {
            IsBackground = true,
        };
        thread.Start();
        thread.Join();
        error?.Throw();
        return result;
    }

    public void Dispose() => Run("ip", "netns", "delete", Name);

    private static ProcessResult Run(string file, params string[] args) => Run(file, args, null);

    private static ProcessResult Run(string file, string[] args, string? input)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = input is not null,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var p = Process.Start(info)!;
        if (input is not null)
        {
            p.StandardInput.Write(input);
            p.StandardInput.Close();
        }

        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return new ProcessResult(p.ExitCode, stdout.Result, stderr);
    }

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNamespace(int fd, int nsType);
}
