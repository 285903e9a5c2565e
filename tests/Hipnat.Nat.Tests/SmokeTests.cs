namespace Hipnat.Nat.Tests;

public class ProjectTests
{
    [Fact]
    public void AssemblyLoads() => Assert.Equal("Hipnat.Nat", typeof(Hipnat.Nat.AssemblyMarker).Assembly.GetName().Name);
}
