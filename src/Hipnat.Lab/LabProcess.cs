using System.Diagnostics;
using System.Text.RegularExpressions;
using Hipnat.Lab.Internal;

namespace Hipnat.Lab;

/// <summary>
/// A program running inside a host's network namespace: <c>setsid ip netns exec NS FILE ARGS</c>, so it leads its own
/// process group and stopping it (SIGTERM, then SIGKILL) reaches every child it started. stdout and stderr are read
/// line by line into a thread-safe, timestamped buffer that <see cref="WaitForOutput(Regex, TimeSpan, int)"/> watches.
/// Disposing the process (or its lab) stops it.
/// </summary>
public sealed class LabProcess : IDisposable, IAsyncDisposable
{
    private readonly Process process;
    private readonly OutputBuffer output = new();
    private readonly NetworkLab lab;
    private readonly TimeSpan stopGrace;
    private readonly TaskCompletionSource<int> exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int disposed;

    private LabProcess(NetworkLab lab, LabHost host, LabProcessOptions options)
    {
        this.lab = lab;
        Host = host;
        stopGrace = options.StopGracePeriod;
        CommandLine = CommandRunner.Format(options.FileName, options.Arguments);
        var info = new ProcessStartInfo("setsid")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = options.WorkingDirectory ?? string.Empty,
        };
        foreach (var arg in new[] { "ip", "netns", "exec", host.Namespace, options.FileName }.Concat(options.Arguments))
        {
            info.ArgumentList.Add(arg);
        }

        if (options.Environment is not null)
        {
            foreach (var (key, value) in options.Environment)
            {
                if (value is null)
                {
                    info.Environment.Remove(key);
                }
                else
                {
                    info.Environment[key] = value;
                }
            }
        }

        process = new Process { StartInfo = info, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                output.Append(OutputStream.StandardOutput, e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                output.Append(OutputStream.StandardError, e.Data);
            }
        };
        process.Exited += (_, _) => ThreadPool.QueueUserWorkItem(_ => OnExited());
    }

    /// <summary>The host whose namespace the process runs in.</summary>
    public LabHost Host { get; }

    /// <summary>The program and its arguments as given.</summary>
    public string CommandLine { get; }

    /// <summary>The process id (also its process group id).</summary>
    public int Id { get; private set; }

    /// <summary>True once the process has exited and its output has been read to the end.</summary>
    public bool HasExited => exited.Task.IsCompleted;

    /// <summary>The exit code once <see cref="HasExited"/>; null before.</summary>
    public int? ExitCode => exited.Task.IsCompletedSuccessfully ? exited.Task.Result : null;

    /// <summary>The number of lines read so far; pass it as <c>fromLine</c> to wait only for later output.</summary>
    public int LineCount => output.Count;

    /// <summary>Every line read so far, stdout and stderr interleaved in arrival order.</summary>
    public IReadOnlyList<OutputLine> Output => output.Snapshot();

    /// <summary>The lines read so far from index <paramref name="index"/> on (for incremental readers).</summary>
    internal IReadOnlyList<OutputLine> OutputFrom(int index) => output.SnapshotFrom(index);

    /// <summary>stdout so far, one line per line.</summary>
    public string StandardOutputText => output.Text(OutputStream.StandardOutput);

    /// <summary>stderr so far, one line per line.</summary>
    public string StandardErrorText => output.Text(OutputStream.StandardError);

    /// <summary>Waits for a line (stdout or stderr, at index <paramref name="fromLine"/> or later) matching <paramref name="pattern"/>.</summary>
    /// <exception cref="TimeoutException">No such line within <paramref name="timeout"/>; the message holds the last output.</exception>
    /// <exception cref="InvalidOperationException">The process exited without writing such a line.</exception>
    public Match WaitForOutput(Regex pattern, TimeSpan timeout, int fromLine = 0) =>
        output.Wait(pattern, timeout, fromLine, Describe(), CancellationToken.None);

    /// <summary>Waits for a line matching the regular expression <paramref name="pattern"/>.</summary>
    public Match WaitForOutput(string pattern, TimeSpan timeout, int fromLine = 0) =>
        WaitForOutput(new Regex(pattern, RegexOptions.CultureInvariant), timeout, fromLine);

    /// <summary>Asynchronously waits for a line matching <paramref name="pattern"/>.</summary>
    public Task<Match> WaitForOutputAsync(Regex pattern, TimeSpan timeout, int fromLine = 0, CancellationToken cancellationToken = default) =>
        output.WaitAsync(pattern, timeout, fromLine, Describe(), cancellationToken);

    /// <summary>Waits for the process to exit; true when it did within <paramref name="timeout"/>.</summary>
    public bool WaitForExit(TimeSpan timeout) => exited.Task.Wait(timeout);

    /// <summary>Waits for the process to exit and returns its exit code.</summary>
    public Task<int> WaitForExitAsync(CancellationToken cancellationToken = default) => exited.Task.WaitAsync(cancellationToken);

    /// <summary>Writes a line to the process's stdin.</summary>
    public void WriteLine(string line)
    {
        process.StandardInput.WriteLine(line);
        process.StandardInput.Flush();
    }

    /// <summary>Closes the process's stdin (end of input).</summary>
    public void CloseStandardInput() => process.StandardInput.Close();

    /// <summary>Sends a signal (e.g. 2 for SIGINT) to the process's whole group.</summary>
    public void Signal(int signal)
    {
        if (!HasExited && Id > 0)
        {
            NativeMethods.Kill(-Id, signal);
        }
    }

    /// <summary>Stops the process group: SIGTERM, then SIGKILL after <paramref name="grace"/> (default the start option, 3 s).</summary>
    public void Stop(TimeSpan? grace = null)
    {
        if (Id <= 0 || HasExited)
        {
            return;
        }

        Signal(NativeMethods.SigTerm);
        if (WaitForExit(grace ?? stopGrace))
        {
            return;
        }

        NativeMethods.Kill(-Id, NativeMethods.SigKill);
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }

        WaitForExit(TimeSpan.FromSeconds(5));
    }

    /// <summary>Kills the process group at once (SIGKILL) and waits for the end of its output.</summary>
    public void Kill()
    {
        if (Id <= 0 || HasExited)
        {
            return;
        }

        NativeMethods.Kill(-Id, NativeMethods.SigKill);
        WaitForExit(TimeSpan.FromSeconds(5));
    }

    /// <summary>Stops the process (see <see cref="Stop"/>: SIGTERM, then SIGKILL) and releases it.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        try
        {
            Stop();
        }
        finally
        {
            lab.Forget(this);
            process.Dispose();
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public override string ToString() => Describe();

    internal static LabProcess Start(NetworkLab lab, LabHost host, LabProcessOptions options)
    {
        var started = new LabProcess(lab, host, options);
        try
        {
            started.process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            started.process.Dispose();
            throw new LabCommandException($"cannot start {started.CommandLine} in {host.Name}: {e.Message}", e);
        }

        started.Id = started.process.Id;
        started.process.BeginOutputReadLine();
        started.process.BeginErrorReadLine();
        lab.Track(started);
        return started;
    }

    private void OnExited()
    {
        int code;
        try
        {
            // The parameterless wait returns only once both redirected streams reached end of file.
            process.WaitForExit();
            code = process.ExitCode;
        }
        catch (InvalidOperationException)
        {
            code = -1;
        }

        output.Complete();
        exited.TrySetResult(code);
    }

    private string Describe() => $"`{CommandLine}` in {Host.Name} (pid {Id})";
}
