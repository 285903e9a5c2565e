using System.Buffers.Binary;
using System.Security.Cryptography;
using Hipnat.DataPlane.Esp;

namespace Hipnat.Fuzz;

/// <summary>
/// esp-open: <see cref="EspSa.TryOpen"/> of inbound SAs with fixed keys, for every transform (NULL, AES-CBC with
/// HMAC-SHA-256-128, AES-GCM). The first input octet selects the transform (modulo their number) and the mode:
/// bit 7 clear opens the rest as received (bit 6 turns extended sequence numbers on); bit 7 set makes the rest pass
/// the integrity check first, so that what is fuzzed is the decrypted trailer (padding, Pad Length, Next Header):
/// for NULL and CBC the harness appends the HMAC of <c>SPI | rest</c>; for GCM the rest is
/// <c>sequence (4) | IV (8) | plaintext</c> and the harness encrypts it. Each packet is opened out of place and in
/// place (as the data plane does), each time by a fresh SA.
/// </summary>
public sealed class EspOpenTarget : IFuzzTarget
{
    public const uint Spi = 0x1000_0001;
    private static readonly byte[] EncryptionKey = Enumerable.Range(0, 36).Select(i => (byte)(0x11 * i)).ToArray();
    private static readonly byte[] AuthenticationKey = Enumerable.Range(0, 32).Select(i => (byte)(0xA5 ^ i)).ToArray();

    public string Name => "esp-open";

    public void Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return;
        }

        byte select = input[0];
        var transform = EspTransform.All[select % EspTransform.All.Count];
        bool fix = (select & 0x80) != 0;
        bool esn = !fix && (select & 0x40) != 0;
        var packet = fix ? FixUp(transform, input[1..]) : input[1..].ToArray();

        using (var sa = CreateInbound(transform, esn))
        {
            var destination = new byte[packet.Length + 16];
            _ = sa.TryOpen(packet, destination, out int length, out _, out _);
            _ = destination.AsSpan(0, length).Length;
        }

        using (var sa = CreateInbound(transform, esn))
        {
            // In place: the payload is written where the ciphertext starts.
            var copy = packet.ToArray();
            if (copy.Length >= transform.PayloadOffset)
            {
                _ = sa.TryOpen(copy, copy.AsSpan(transform.PayloadOffset), out _, out _, out _);
            }
        }
    }

    public IEnumerable<(string Name, byte[] Data)> CreateSeeds() => SeedPackets.Esp();

    public static EspSa CreateInbound(EspTransform transform, bool esn) => Create(transform, EspSaDirection.Inbound, esn);

    public static EspSa CreateOutbound(EspTransform transform, bool esn) => Create(transform, EspSaDirection.Outbound, esn);

    /// <summary>Makes <paramref name="rest"/> pass the transform's integrity check (see the class summary).</summary>
    public static byte[] FixUp(EspTransform transform, ReadOnlySpan<byte> rest)
    {
        ArgumentNullException.ThrowIfNull(transform);
        if (transform.Cipher == EspCipherKind.AesGcm)
        {
            if (rest.Length < 12)
            {
                return rest.ToArray();
            }

            var plaintext = rest[12..];
            var packet = new byte[8 + 8 + plaintext.Length + 16];
            BinaryPrimitives.WriteUInt32BigEndian(packet, Spi);
            rest[..12].CopyTo(packet.AsSpan(4));
            Span<byte> nonce = stackalloc byte[12];
            EncryptionKey.AsSpan(transform.AesKeyLength, 4).CopyTo(nonce);
            rest[4..12].CopyTo(nonce[4..]);
            using var gcm = new AesGcm(EncryptionKey.AsSpan(0, transform.AesKeyLength), 16);
            gcm.Encrypt(nonce, plaintext, packet.AsSpan(16, plaintext.Length), packet.AsSpan(16 + plaintext.Length), packet.AsSpan(0, 8));
            return packet;
        }

        var authenticated = new byte[4 + rest.Length];
        BinaryPrimitives.WriteUInt32BigEndian(authenticated, Spi);
        rest.CopyTo(authenticated.AsSpan(4));
        var icv = HMACSHA256.HashData(AuthenticationKey.AsSpan(0, transform.AuthenticationKeyLength), authenticated);
        return [.. authenticated, .. icv.AsSpan(0, 16)];
    }

    private static EspSa Create(EspTransform transform, EspSaDirection direction, bool esn) => new(
        Spi,
        direction,
        transform,
        EncryptionKey.AsSpan(0, transform.EncryptionKeyLength),
        AuthenticationKey.AsSpan(0, transform.AuthenticationKeyLength),
        new EspSaOptions { ExtendedSequenceNumbers = esn });
}
