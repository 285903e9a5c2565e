namespace Hipnat.DataPlane.Tests;

public class ProjectTests
{
    [Fact]
    public void AssemblyLoads() => Assert.Equal("Hipnat.DataPlane", typeof(Hipnat.DataPlane.AssemblyMarker).Assembly.GetName().Name);
}
