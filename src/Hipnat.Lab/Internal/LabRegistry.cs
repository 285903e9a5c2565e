using System.Runtime.InteropServices;

namespace Hipnat.Lab.Internal;

/// <summary>
/// The live labs of this process, torn down when the process exits or is asked to stop (Ctrl-C, SIGTERM, SIGHUP,
/// SIGQUIT) so no namespace outlives the process that made it. The handlers do not cancel the signal: the process still
/// stops as it would have, only after its labs are gone.
/// </summary>
internal static class LabRegistry
{
    private static readonly Lock Gate = new();
    private static readonly List<NetworkLab> Live = [];
    private static readonly List<PosixSignalRegistration> Registrations = [];
    private static bool handlersInstalled;

    public static void Add(NetworkLab lab, bool handleSignals)
    {
        lock (Gate)
        {
            Live.Add(lab);
            if (handleSignals && !handlersInstalled)
            {
                handlersInstalled = true;
                AppDomain.CurrentDomain.ProcessExit += (_, _) => DisposeAll();
                Console.CancelKeyPress += (_, _) => DisposeAll();
                foreach (var signal in new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT, PosixSignal.SIGHUP, PosixSignal.SIGQUIT })
                {
                    Registrations.Add(PosixSignalRegistration.Create(signal, _ => DisposeAll()));
                }
            }
        }
    }

    public static void Remove(NetworkLab lab)
    {
        lock (Gate)
        {
            Live.Remove(lab);
        }
    }

    public static void DisposeAll()
    {
        NetworkLab[] labs;
        lock (Gate)
        {
            labs = [.. Live];
        }

        foreach (var lab in labs)
        {
            try
            {
                lab.Dispose();
            }
            catch (Exception e)
            {
                Console.Error.WriteLine($"hipnat lab {lab.Id}: teardown on exit failed: {e.Message}");
            }
        }
    }
}
