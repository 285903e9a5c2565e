using Hipnat.Cli;

namespace Hipnat.Runtime.Tests.Support;

/// <summary>Runs the hipnat command line in this process with captured output.</summary>
public static class InProcessCli
{
    public static async Task<ProcessResult> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = await HipnatCli.RunAsync(ChildProcess.WithoutTun(args), output, error, TestContext.Current.CancellationToken);
        return new ProcessResult(code, output.ToString(), error.ToString());
    }
}
