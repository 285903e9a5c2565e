namespace Hipnat.Lab.Tests;

/// <summary>
/// In a normal run, an ordinary lab test. <see cref="SignalTests"/> also runs it in a child process with
/// <see cref="SignalTests.LabIdFileVariable"/> set: then it reports its lab's id and holds the lab until a signal
/// handler tears it down.
/// </summary>
public class SignalChild
{
    [Fact]
    public void LabOwnedByAProcessServesUntilTornDown()
    {
        LabRequirement.Root();
        var lab = NetworkLab.Create();
        try
        {
            var pub = lab.AddSegment("public", "203.0.113.0/24");
            var server = lab.AddHost("server", pub);
            var nat = lab.AddNat("nat", pub, "198.18.1.0/24");
            var inside = nat.AddHost("inside");
            inside.Start("sleep", "300");
            Assert.True(inside.Ping(server.Address, 1).AllReceived);

            if (Environment.GetEnvironmentVariable(SignalTests.LabIdFileVariable) is { Length: > 0 } file)
            {
                File.WriteAllText(file, lab.Id);
                var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
                // SIGINT also cancels the test session (the test platform's own Ctrl-C handling): a cancelled test
                // leaves the loop and tears its lab down in `finally`, whichever handler runs first.
                var cancelled = TestContext.Current.CancellationToken;
                while (!lab.IsDisposed && !cancelled.IsCancellationRequested && DateTime.UtcNow < deadline)
                {
                    Thread.Sleep(50);
                }
            }
        }
        finally
        {
            lab.Dispose();
        }
    }
}
