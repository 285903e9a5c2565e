using System.Security.Cryptography;
using Hipnat.DataPlane.Esp;

namespace Hipnat.DataPlane.Tests.Esp;

/// <summary>Matching outbound/inbound SAs (same SPI and keys) as the two ends of one direction would hold.</summary>
internal sealed class TestSas : IDisposable
{
    public TestSas(EspTransform transform, EspSaOptions? options = null, uint spi = 0x1234_5678, int seed = 0)
    {
        var rnd = seed == 0 ? null : new Random(seed);
        EncryptionKey = new byte[transform.EncryptionKeyLength];
        AuthenticationKey = new byte[transform.AuthenticationKeyLength];
        if (rnd is null)
        {
            RandomNumberGenerator.Fill(EncryptionKey);
            RandomNumberGenerator.Fill(AuthenticationKey);
        }
        else
        {
            rnd.NextBytes(EncryptionKey);
            rnd.NextBytes(AuthenticationKey);
        }

        Transform = transform;
        Outbound = new EspSa(spi, EspSaDirection.Outbound, transform, EncryptionKey, AuthenticationKey, options);
        Inbound = new EspSa(spi, EspSaDirection.Inbound, transform, EncryptionKey, AuthenticationKey, options);
    }

    public EspTransform Transform { get; }

    public byte[] EncryptionKey { get; }

    public byte[] AuthenticationKey { get; }

    public EspSa Outbound { get; }

    public EspSa Inbound { get; }

    public static IEnumerable<EspTransform> All => EspTransform.All;

    public static TheoryData<string> Names => [.. EspTransform.All.Select(t => t.Name)];

    public static EspTransform ByName(string name) => EspTransform.All.Single(t => t.Name == name);

    public byte[] Seal(ReadOnlySpan<byte> payload, byte nextHeader = 17)
    {
        var buffer = new byte[Transform.GetSealedLength(payload.Length)];
        Assert.Equal(buffer.Length, Outbound.Seal(payload, nextHeader, buffer));
        return buffer;
    }

    public (bool Ok, byte[] Payload, byte NextHeader, EspDropReason Reason) Open(ReadOnlySpan<byte> packet, EspSa? sa = null)
    {
        var destination = new byte[Math.Max(0, packet.Length)];
        bool ok = (sa ?? Inbound).TryOpen(packet, destination, out int length, out byte nh, out var reason);
        return (ok, destination[..length], nh, reason);
    }

    public void Dispose()
    {
        Outbound.Dispose();
        Inbound.Dispose();
    }
}
