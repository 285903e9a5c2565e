using System.Diagnostics;
using System.Text;

namespace Hipnat.Runtime.Tests.Support;

/// <summary>
/// A background process whose output is collected. Dispose stops it (SIGTERM, then SIGKILL after a grace period)
/// so no test leaves processes behind.
/// </summary>
public sealed class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly object _gate = new();
    private readonly string _description;

    public ChildProcess(string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        _description = $"{fileName} {string.Join(' ', info.ArgumentList)}";
        _process = new Process { StartInfo = info, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => Append(_stdout, e.Data);
        _process.ErrorDataReceived += (_, e) => Append(_stderr, e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Stdout
    {
        get
        {
            lock (_gate)
            {
                return _stdout.ToString();
            }
        }
    }

    public string Stderr
    {
        get
        {
            lock (_gate)
            {
                return _stderr.ToString();
            }
        }
    }

    public string Output => $"$ {_description}\n--- stdout ---\n{Stdout}--- stderr ---\n{Stderr}";

    public static ChildProcess StartHipnat(params string[] arguments) => new("dotnet", [HipnatBinary.Dll, .. WithoutTun(arguments)]);

    public static ChildProcess StartHipnat(IReadOnlyDictionary<string, string> environment, params string[] arguments) =>
        new("dotnet", [HipnatBinary.Dll, .. WithoutTun(arguments)], environment);

    /// <summary>
    /// These tests run daemons in the test machine's own network namespace: `hipnat run` gets `--tun off` unless the
    /// test chose, so no hip0 interface or HIT/LSI route is left on the host (TUN tests run in lab namespaces).
    /// </summary>
    public static string[] WithoutTun(string[] arguments) =>
        arguments.Length > 0 && arguments[0] == "run" && !arguments.Contains("--tun") && !arguments.Contains("--help")
            ? [.. arguments, "--tun", "off"]
            : arguments;

    /// <summary>Runs hipnat to completion.</summary>
    public static async Task<ProcessResult> RunHipnatAsync(TimeSpan timeout, params string[] arguments)
    {
        using var p = StartHipnat(arguments);
        if (!await p.WaitForExitAsync(timeout))
        {
            throw new TimeoutException($"hipnat {string.Join(' ', arguments)} did not finish within {timeout}:\n{p.Output}");
        }

        return new ProcessResult(p._process.ExitCode, p.Stdout, p.Stderr);
    }

    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            _process.WaitForExit(); // flush the asynchronous output readers
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public int ExitCode => _process.ExitCode;

    /// <summary>Waits until a line containing <paramref name="text"/> appears in stdout or stderr.</summary>
    public async Task<bool> WaitForOutputAsync(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (Stdout.Contains(text, StringComparison.Ordinal) || Stderr.Contains(text, StringComparison.Ordinal))
            {
                return true;
            }

            if (HasExited)
            {
                return false;
            }

            await Task.Delay(20);
        }

        return false;
    }

    /// <summary>Sends a signal (SIGTERM by default) and waits for the process to exit.</summary>
    public async Task<bool> StopAsync(int signal = NativeSignals.SigTerm, TimeSpan? timeout = null)
    {
        if (HasExited)
        {
            return true;
        }

        NativeSignals.Kill(_process.Id, signal);
        return await WaitForExitAsync(timeout ?? TimeSpan.FromSeconds(10));
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                NativeSignals.Kill(_process.Id, NativeSignals.SigTerm);
                if (!_process.WaitForExit(3000))
                {
                    _process.Kill(entireProcessTree: true);
                    _process.WaitForExit(5000);
                }
            }
        }
        catch (InvalidOperationException)
        {
        }
        finally
        {
            _process.Dispose();
        }
    }

    private void Append(StringBuilder sb, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            sb.AppendLine(line);
        }
    }
}
