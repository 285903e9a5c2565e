namespace Hipnat.Lab.Tests;

public class ProjectTests
{
    [Fact]
    public void AssemblyLoads() => Assert.Equal("Hipnat.Lab", typeof(Hipnat.Lab.AssemblyMarker).Assembly.GetName().Name);
}
