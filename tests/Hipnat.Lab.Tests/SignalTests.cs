using System.Diagnostics;

namespace Hipnat.Lab.Tests;

/// <summary>A process using the lab that is told to stop (SIGTERM, SIGINT) takes its lab down on the way out.</summary>
[Collection(nameof(SerialLabCollection))]
public class SignalTests
{
    internal const string LabIdFileVariable = "HIPNAT_LAB_SIGNAL_TEST_FILE";

    [Theory]
    [InlineData("TERM")]
    [InlineData("INT")]
    public async Task ProcessStoppedBySignalTearsItsLabDown(string signal)
    {
        LabRequirement.Root();
        var idFile = Path.Combine(Path.GetTempPath(), $"hipnat-lab-signal-{Guid.NewGuid():N}");
        // The child starts with SIGINT and SIGQUIT at their default action, as a process started from a terminal: a
        // test run started in the background by a non-interactive shell inherits them ignored (POSIX asynchronous
        // lists), and an ignored SIGINT would never reach the child (coreutils env --default-signal).
        var info = new ProcessStartInfo("env")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
        {
            "--default-signal=INT,QUIT",
            "dotnet",
            typeof(SignalTests).Assembly.Location,
            "--filter-method", $"{typeof(SignalChild).FullName}.{nameof(SignalChild.LabOwnedByAProcessServesUntilTornDown)}",
            "--no-progress",
        })
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment[LabIdFileVariable] = idFile;
        using var child = Process.Start(info)!;
        var output = child.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var errors = child.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        try
        {
            var id = WaitForId(idFile, child, TimeSpan.FromSeconds(90));
            if (id.Length == 0)
            {
                child.Kill(entireProcessTree: true);
                Assert.Fail($"the child never reported its lab:\n{await output}\n{await errors}");
            }

            Assert.Contains(LabJanitor.ListNamespaces(), n => n.StartsWith("hn-" + id, StringComparison.Ordinal));

            using (var kill = Process.Start("kill", ["-" + signal, child.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                kill.WaitForExit();
            }

            Assert.True(child.WaitForExit(60_000), "the child did not exit after the signal");
            Assert.DoesNotContain(LabJanitor.ListNamespaces(), n => n.StartsWith("hn-" + id, StringComparison.Ordinal));
        }
        finally
        {
            if (!child.HasExited)
            {
                child.Kill(entireProcessTree: true);
            }

            File.Delete(idFile);
        }
    }

    private static string WaitForId(string file, Process child, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline && !child.HasExited)
        {
            if (File.Exists(file) && File.ReadAllText(file).Trim() is { Length: > 0 } id)
            {
                return id;
            }

            Thread.Sleep(100);
        }

        return string.Empty;
    }
}
