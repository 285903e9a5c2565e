using System.Net;
using System.Net.Sockets;
using FsCheck.Xunit;
using Hipnat.Wire.Parameters;

namespace Hipnat.Wire.Tests;

public class AddressAndLifetimeTests
{
    [Fact]
    public void Ipv4_is_written_ipv4_mapped()
    {
        // RFC 4291 §2.5.5.2: ::ffff:a.b.c.d.
        var field = new byte[16];
        Ipv4MappedAddress.Write(IPAddress.Parse("192.0.2.33"), field);
        Assert.Equal([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 192, 0, 2, 33], field);
        Assert.True(Ipv4MappedAddress.IsMapped(field));
        var back = Ipv4MappedAddress.Read(field);
        Assert.Equal(AddressFamily.InterNetwork, back.AddressFamily);
        Assert.Equal(IPAddress.Parse("192.0.2.33"), back);
    }

    [Fact]
    public void Ipv6_is_written_as_is()
    {
        var a = IPAddress.Parse("2001:db8::ffff:1");
        var field = new byte[16];
        Ipv4MappedAddress.Write(a, field);
        Assert.Equal(a.GetAddressBytes(), field);
        Assert.False(Ipv4MappedAddress.IsMapped(field));
        Assert.Equal(a, Ipv4MappedAddress.Read(field));
    }

    [Fact]
    public void Conversions()
    {
        Assert.Equal(IPAddress.Parse("::ffff:10.1.2.3"), Ipv4MappedAddress.ToWireForm(IPAddress.Parse("10.1.2.3")));
        Assert.Equal(IPAddress.Parse("10.1.2.3"), Ipv4MappedAddress.Normalize(IPAddress.Parse("::ffff:10.1.2.3")));
        Assert.Equal(IPAddress.Parse("2001:db8::1"), Ipv4MappedAddress.Normalize(IPAddress.Parse("2001:db8::1")));
    }

    [Fact]
    public void Short_field_is_truncated()
    {
        var e = Assert.Throws<HipFormatException>(() => Ipv4MappedAddress.Read(new byte[15]));
        Assert.Equal(WireError.Truncated, e.Error);
    }

    [Fact]
    public void Registration_lifetime_encoding()
    {
        // RFC 8003 §4.1: 0 = zero seconds; v = 2^((v - 64) / 8) seconds.
        Assert.Equal(TimeSpan.Zero, RegistrationLifetime.ToTimeSpan(0));
        Assert.Equal(TimeSpan.FromSeconds(1), RegistrationLifetime.ToTimeSpan(64));
        Assert.Equal(TimeSpan.FromSeconds(2), RegistrationLifetime.ToTimeSpan(72));
        Assert.Equal(TimeSpan.FromSeconds(256), RegistrationLifetime.ToTimeSpan(128));
        Assert.InRange(RegistrationLifetime.ToTimeSpan(1).TotalMilliseconds, 4.1, 4.3);      // ~4 ms
        Assert.InRange(RegistrationLifetime.ToTimeSpan(255).TotalDays, 177, 179);           // ~178 days
        Assert.Equal(0, RegistrationLifetime.FromTimeSpan(TimeSpan.Zero));
        Assert.Equal(64, RegistrationLifetime.FromTimeSpan(TimeSpan.FromSeconds(1)));
        Assert.Equal(128, RegistrationLifetime.FromTimeSpan(TimeSpan.FromSeconds(256)));
        Assert.Equal(255, RegistrationLifetime.FromTimeSpan(TimeSpan.FromDays(1000)));
        Assert.Equal(1, RegistrationLifetime.FromTimeSpan(TimeSpan.FromTicks(1)));
    }

    [Fact]
    public void Registration_lifetime_round_trips_for_every_value()
    {
        for (int v = 1; v <= 255; v++)
        {
            var span = RegistrationLifetime.ToTimeSpan((byte)v);
            Assert.Equal(v, RegistrationLifetime.FromTimeSpan(span));
        }
    }

    [Property]
    public void Registration_lifetime_never_rounds_down(long ticks)
    {
        var span = TimeSpan.FromTicks(Math.Abs(ticks % TimeSpan.FromDays(170).Ticks) + 1);
        Assert.True(RegistrationLifetime.ToTimeSpan(RegistrationLifetime.FromTimeSpan(span)) >= span - TimeSpan.FromTicks(1));
    }
}
