namespace Hipnat.Wire.Parameters;

/// <summary>
/// The 8-bit exponential registration lifetime of RFC 8003 §4.1: 0 means zero seconds (cancel a registration),
/// any other value v means 2^((v - 64) / 8) seconds (about 4 ms up to about 178 days).
/// </summary>
public static class RegistrationLifetime
{
    /// <summary>Value 0: cancellation (RFC 8003 §4.1).</summary>
    public const byte Cancel = 0;

    public static TimeSpan ToTimeSpan(byte value) =>
        value == 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(Math.Pow(2, (value - 64) / 8.0));

    /// <summary>
    /// The smallest encoded value whose lifetime is at least <paramref name="lifetime"/> (saturating at 255);
    /// zero or negative spans encode as <see cref="Cancel"/>.
    /// </summary>
    public static byte FromTimeSpan(TimeSpan lifetime)
    {
        if (lifetime <= TimeSpan.Zero)
        {
            return Cancel;
        }

        double v = Math.Ceiling((8 * Math.Log2(lifetime.TotalSeconds)) + 64 - 1e-9);
        return (byte)Math.Clamp(v, 1, 255);
    }
}
