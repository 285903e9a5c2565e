using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace Hipnat.Lab.Internal;

/// <summary>
/// Runs managed code inside a named network namespace. setns(2) with CLONE_NEWNET changes only the calling thread,
/// so the code runs on a fresh thread that enters the namespace and then ends; sockets it creates stay bound to that
/// namespace and may be used from any thread afterwards.
/// </summary>
internal static class NetNamespace
{
    public const string Directory = "/run/netns";

    public static string PathOf(string name) => System.IO.Path.Combine(Directory, name);

    public static bool Exists(string name) => File.Exists(PathOf(name));

    public static T Invoke<T>(string name, Func<T> action)
    {
        T result = default!;
        ExceptionDispatchInfo? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                using (var handle = File.OpenHandle(PathOf(name), FileMode.Open, FileAccess.Read))
                {
                    if (NativeMethods.SetNamespace((int)handle.DangerousGetHandle(), NativeMethods.CloneNewNet) != 0)
                    {
                        throw new InvalidOperationException($"setns into network namespace {name} failed: errno {Marshal.GetLastPInvokeError()}");
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
            Name = $"netns {name}",
        };
        thread.Start();
        thread.Join();
        error?.Throw();
        return result;
    }
}
