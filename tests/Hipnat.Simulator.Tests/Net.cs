using System.Net;

namespace Hipnat.Simulator.Tests;

/// <summary>Short constructors for addresses and endpoints in tests.</summary>
internal static class Net
{
    public static IPAddress Ip(string text) => IPAddress.Parse(text);

    public static SimEndpoint Ep(string text) => SimEndpoint.Parse(text);

    public static TimeSpan Ms(double milliseconds) => TimeSpan.FromMilliseconds(milliseconds);

    public static TimeSpan S(double seconds) => TimeSpan.FromSeconds(seconds);
}
