using System.Buffers.Binary;
using System.Security.Cryptography;
using FsCheck.Xunit;
using Hipnat.Crypto;
using Hipnat.DataPlane.Esp;
using Hipnat.Wire;

namespace Hipnat.DataPlane.Tests.Esp;

public class EspSaTests
{
    private static readonly int[] PayloadSizes = [0, 1, 2, 3, 13, 14, 15, 16, 17, 31, 32, 33, 100, 1280, 1400];

    [Theory]
    [MemberData(nameof(TestSas.Names), MemberType = typeof(TestSas))]
    public void Round_trip_for_every_transform_with_and_without_esn(string name)
    {
        foreach (bool esn in new[] { true, false })
        {
            using var sas = new TestSas(TestSas.ByName(name), new EspSaOptions { ExtendedSequenceNumbers = esn });
            var rnd = new Random(42);
            foreach (int size in PayloadSizes)
            {
                byte[] payload = new byte[size];
                rnd.NextBytes(payload);
                byte nh = (byte)rnd.Next(0, 256);
                if (nh == 59)
                {
                    nh = 6;
                }

                byte[] packet = sas.Seal(payload, nh);
                var (ok, opened, openedNh, reason) = sas.Open(packet);
                Assert.True(ok, $"{name} esn={esn} size={size}: {reason}");
                Assert.Equal(EspDropReason.None, reason);
                Assert.Equal(payload, opened);
                Assert.Equal(nh, openedNh);
            }

            Assert.Equal((ulong)PayloadSizes.Length, sas.Outbound.SequenceNumber);
            Assert.Equal((ulong)PayloadSizes.Length, sas.Inbound.SequenceNumber);
            Assert.Equal((ulong)PayloadSizes.Length, sas.Inbound.Packets);
            Assert.Equal((ulong)PayloadSizes.Sum(), sas.Inbound.Bytes);
            Assert.Equal((ulong)PayloadSizes.Sum(), sas.Outbound.Bytes);
        }
    }

    [Theory]
    [MemberData(nameof(TestSas.Names), MemberType = typeof(TestSas))]
    public void Packet_layout_follows_rfc4303_and_the_transform_rfc(string name)
    {
        using var sas = new TestSas(TestSas.ByName(name), spi: 0xCAFE_0101);
        var t = sas.Transform;
        var rnd = new Random(7);
        for (int i = 1; i <= 40; i++)
        {
            byte[] payload = new byte[i * 7];
            rnd.NextBytes(payload);
            byte[] packet = sas.Seal(payload, 6);

            // RFC 4303 §2.1, §2.2, §3.3.3: SPI, then a sequence number that starts at 1 and counts up.
            Assert.Equal(0xCAFE_0101u, BinaryPrimitives.ReadUInt32BigEndian(packet));
            Assert.Equal((uint)i, BinaryPrimitives.ReadUInt32BigEndian(packet.AsSpan(4)));

            int ctStart = t.PayloadOffset;
            int ctEnd = packet.Length - 16;
            Assert.Equal(0, (ctEnd - ctStart) % t.PaddingAlignment); // RFC 4303 §2.4: block and 4-octet alignment
            Assert.Equal(0, ctEnd % 4);                               // ICV on a 4-octet boundary
            byte[] plaintext = IndependentDecrypt(sas, packet, (ulong)i);

            // RFC 4303 §2.3-§2.6: payload | 1, 2, 3, ... | Pad Length | Next Header, minimal padding.
            int padLength = plaintext[^2];
            Assert.Equal(6, plaintext[^1]);
            Assert.Equal(plaintext.Length - 2 - payload.Length, padLength);
            Assert.True(padLength < t.PaddingAlignment);
            Assert.Equal(payload, plaintext[..payload.Length]);
            for (int p = 0; p < padLength; p++)
            {
                Assert.Equal(p + 1, plaintext[payload.Length + p]);
            }
        }
    }

    /// <summary>Decrypts and authenticates with the platform primitives, per the RFCs, independently of EspSa.</summary>
    private static byte[] IndependentDecrypt(TestSas sas, byte[] packet, ulong seq)
    {
        var t = sas.Transform;
        int ctStart = t.PayloadOffset;
        int ctEnd = packet.Length - 16;
        byte[] seqHigh = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(seqHigh, (uint)(seq >> 32));
        switch (t.Cipher)
        {
            case EspCipherKind.AesGcm:
            {
                // RFC 4106 §3.1: hipnat's IV is the 64-bit sequence number; §4: nonce = salt | IV; §5: AAD with ESN.
                Assert.Equal(seq, BinaryPrimitives.ReadUInt64BigEndian(packet.AsSpan(8)));
                byte[] nonce = [.. sas.EncryptionKey[t.AesKeyLength..], .. packet[8..16]];
                byte[] aad = [.. packet[..4], .. seqHigh, .. packet[4..8]];
                using var gcm = new AesGcm(sas.EncryptionKey[..t.AesKeyLength], 16);
                byte[] plaintext = new byte[ctEnd - ctStart];
                gcm.Decrypt(nonce, packet[ctStart..ctEnd], packet[ctEnd..], plaintext, aad);
                return plaintext;
            }

            default:
            {
                // RFC 4303 §3.3.2.1: HMAC over SPI..ciphertext plus the high ESN bits; RFC 4868: first 128 bits.
                byte[] mac = HMACSHA256.HashData(sas.AuthenticationKey, (byte[])[.. packet[..ctEnd], .. seqHigh]);
                Assert.Equal(mac[..16], packet[ctEnd..]);
                if (t.Cipher == EspCipherKind.Null)
                {
                    return packet[ctStart..ctEnd];
                }

                using var aes = Aes.Create();
                aes.Key = sas.EncryptionKey;
                return aes.DecryptCbc(packet[ctStart..ctEnd], packet[8..24], PaddingMode.None);
            }
        }
    }

    [Fact]
    public void Cbc_ivs_differ_per_packet()
    {
        using var sas = new TestSas(EspTransform.Aes128CbcHmacSha256);
        var ivs = new HashSet<string>();
        for (int i = 0; i < 200; i++)
        {
            Assert.True(ivs.Add(Convert.ToHexString(sas.Seal(new byte[32]).AsSpan(8, 16))));
        }
    }

    [Theory]
    [MemberData(nameof(TestSas.Names), MemberType = typeof(TestSas))]
    public void Tampering_is_dropped_with_the_right_reason_and_leaves_the_window_alone(string name)
    {
        using var sas = new TestSas(TestSas.ByName(name));
        byte[] first = sas.Seal(new byte[50]);
        Assert.True(sas.Open(first).Ok);
        byte[] packet = sas.Seal(Enumerable.Range(0, 77).Select(i => (byte)i).ToArray());

        // Wrong ICV, flipped ciphertext, flipped sequence number (authenticated too), flipped IV / pad area.
        int[] positions = [packet.Length - 1, packet.Length - 16, sas.Transform.PayloadOffset, packet.Length - 17, 4, 7];
        foreach (int position in positions)
        {
            byte[] tampered = (byte[])packet.Clone();
            tampered[position] ^= 0x01;
            var result = sas.Open(tampered);
            Assert.False(result.Ok);
            Assert.Equal(EspDropReason.IntegrityCheckFailed, result.Reason);
            Assert.Equal(1UL, sas.Inbound.SequenceNumber); // RFC 4303 §3.4.3: no window update
        }

        Assert.Equal((ulong)positions.Length, sas.Inbound.ConsecutiveIntegrityFailures);

        // The genuine packet is still accepted afterwards, so no failed attempt consumed its sequence number.
        var genuine = sas.Open(packet);
        Assert.True(genuine.Ok, genuine.Reason.ToString());
        Assert.Equal(2UL, sas.Inbound.SequenceNumber);
        Assert.Equal(0UL, sas.Inbound.ConsecutiveIntegrityFailures);
    }

    [Theory]
    [MemberData(nameof(TestSas.Names), MemberType = typeof(TestSas))]
    public void Spi_truncation_and_shape_errors_are_dropped(string name)
    {
        using var sas = new TestSas(TestSas.ByName(name));
        byte[] packet = sas.Seal(new byte[40]);

        byte[] otherSpi = (byte[])packet.Clone();
        otherSpi[0] ^= 0x80;
        Assert.Equal(EspDropReason.SpiMismatch, sas.Open(otherSpi).Reason);

        int minimum = sas.Transform.PayloadOffset + 2 + 16;
        for (int length = 0; length < minimum; length++)
        {
            Assert.Equal(EspDropReason.Truncated, sas.Open(packet.AsSpan(0, length)).Reason);
        }

        var shortened = sas.Open(packet.AsSpan(0, packet.Length - 4));
        Assert.False(shortened.Ok);
        Assert.Equal(
            sas.Transform.Cipher == EspCipherKind.AesCbc ? EspDropReason.Malformed : EspDropReason.IntegrityCheckFailed,
            shortened.Reason);

        Assert.False(sas.Inbound.TryOpen(packet, new byte[10], out _, out _, out var small));
        Assert.Equal(EspDropReason.DestinationTooSmall, small);
        Assert.Equal(0UL, sas.Inbound.SequenceNumber);
        Assert.True(sas.Open(packet).Ok);
    }

    [Fact]
    public void A_packet_for_another_sa_is_an_spi_mismatch_and_an_unknown_spi_is_not_found()
    {
        using var a = new TestSas(EspTransform.Aes128Gcm, spi: 1000);
        using var b = new TestSas(EspTransform.Aes128Gcm, spi: 2000);
        Assert.Equal(EspDropReason.SpiMismatch, b.Open(a.Seal(new byte[10])).Reason);

        var db = new SaDatabase();
        db.Install(new Hit(1, 2), b.Outbound, b.Inbound);
        Assert.False(db.TryGetInbound(1000u, out EspSa _));
    }

    [Theory]
    [MemberData(nameof(TestSas.Names), MemberType = typeof(TestSas))]
    public void Replays_are_dropped_and_reordering_within_the_window_is_accepted(string name)
    {
        foreach (bool esn in new[] { false, true })
        {
            using var sas = new TestSas(TestSas.ByName(name), new EspSaOptions { ReplayWindowSize = 64, ExtendedSequenceNumbers = esn });
            var packets = Enumerable.Range(0, 100).Select(i => sas.Seal(new byte[i])).ToArray();
            Assert.True(sas.Open(packets[99]).Ok);               // seq 100
            Assert.Equal(EspDropReason.Replayed, sas.Open(packets[99]).Reason);
            Assert.True(sas.Open(packets[36]).Ok);               // seq 37 = 100 - 64 + 1, the left edge

            // seq 36 = T - W. Without ESN it is simply too old. With ESN, RFC 4303 A2.2 reads a low half below the
            // window's edge as the next subspace (Th + 1), so the ICV computed with the wrong high bits fails.
            Assert.Equal(esn ? EspDropReason.IntegrityCheckFailed : EspDropReason.TooOld, sas.Open(packets[35]).Reason);
            Assert.Equal(100UL, sas.Inbound.SequenceNumber);
            Assert.True(sas.Open(packets[60]).Ok);
            Assert.Equal(EspDropReason.Replayed, sas.Open(packets[60]).Reason);
            Assert.Equal(3UL, sas.Inbound.Packets);
            Assert.Equal(3UL, sas.Inbound.DroppedPackets);
        }
    }

    [Theory]
    [MemberData(nameof(TestSas.Names), MemberType = typeof(TestSas))]
    public void Esn_high_bits_are_authenticated_and_the_sequence_wraps_into_the_next_subspace(string name)
    {
        using var sas = new TestSas(TestSas.ByName(name));

        // A receiver that still believes Th = 0 rejects a packet sealed with Th = 1: the high bits are in the ICV.
        using var jumped = new TestSas(TestSas.ByName(name));
        jumped.Outbound.SetSequenceNumber((1UL << 32) + 10);
        Assert.Equal(EspDropReason.IntegrityCheckFailed, jumped.Open(jumped.Seal(new byte[20])).Reason);

        // Crossing 2^32 with both ends in step: the receiver infers Th + 1 (RFC 4303 A2.2).
        sas.Outbound.SetSequenceNumber(uint.MaxValue - 3);
        for (int i = 0; i < 8; i++)
        {
            var r = sas.Open(sas.Seal(new byte[i]));
            Assert.True(r.Ok, $"packet {i}: {r.Reason}");
        }

        Assert.Equal((ulong)uint.MaxValue + 5, sas.Inbound.SequenceNumber);
    }

    [Fact]
    public void Without_esn_the_sender_stops_before_the_32_bit_counter_cycles()
    {
        using var sas = new TestSas(EspTransform.Aes128CbcHmacSha256, new EspSaOptions { ExtendedSequenceNumbers = false });
        sas.Outbound.SetSequenceNumber(uint.MaxValue - 1);
        Assert.True(sas.Outbound.NeedsRekey);
        Assert.False(sas.Outbound.IsExhausted);
        _ = sas.Seal(new byte[4]);
        Assert.True(sas.Outbound.IsExhausted);
        var buffer = new byte[100];
        Assert.False(sas.Outbound.TrySeal(new byte[4], 17, buffer, out _));
        Assert.Throws<InvalidOperationException>(() => sas.Outbound.Seal(new byte[4], 17, buffer));
        Assert.Equal((ulong)uint.MaxValue, sas.Outbound.SequenceNumber);
    }

    [Fact]
    public void With_esn_the_sender_stops_at_2_to_the_64()
    {
        using var sas = new TestSas(EspTransform.Aes128Gcm);
        sas.Outbound.SetSequenceNumber(ulong.MaxValue - 1);
        _ = sas.Seal(new byte[4]);
        Assert.True(sas.Outbound.IsExhausted);
        Assert.False(sas.Outbound.TrySeal(new byte[4], 17, new byte[100], out _));
    }

    [Fact]
    public void A_too_small_destination_consumes_no_sequence_number()
    {
        using var sas = new TestSas(EspTransform.Aes128Gcm);
        Assert.False(sas.Outbound.TrySeal(new byte[100], 17, new byte[50], out _));
        Assert.Throws<ArgumentException>(() => sas.Outbound.Seal(new byte[100], 17, new byte[50]));
        Assert.Equal(0UL, sas.Outbound.SequenceNumber);
    }

    [Theory]
    [MemberData(nameof(TestSas.Names), MemberType = typeof(TestSas))]
    public void Dummy_packets_are_discarded_without_error_but_still_consume_their_sequence_number(string name)
    {
        using var sas = new TestSas(TestSas.ByName(name));
        byte[] dummy = sas.Seal(new byte[30], nextHeader: 59);
        Assert.Equal(EspDropReason.DummyPacket, sas.Open(dummy).Reason);
        Assert.Equal(EspDropReason.Replayed, sas.Open(dummy).Reason);
    }

    [Fact]
    public void Authentic_packet_with_bad_padding_is_dropped()
    {
        using var sas = new TestSas(EspTransform.NullHmacSha256);
        byte[] packet = sas.Seal(new byte[5]); // 5 + 2 trailer → 1 octet of padding
        int ctEnd = packet.Length - 16;
        Assert.Equal(1, packet[ctEnd - 2]);
        packet[ctEnd - 3] = 9; // the single pad octet must be 1
        Resign(sas, packet, seq: 1);
        Assert.Equal(EspDropReason.InvalidPadding, sas.Open(packet).Reason);

        byte[] second = sas.Seal(new byte[5]);
        second[packet.Length - 18] = 200; // Pad Length larger than the plaintext
        Resign(sas, second, seq: 2);
        Assert.Equal(EspDropReason.InvalidPadding, sas.Open(second).Reason);
    }

    private static void Resign(TestSas sas, byte[] packet, ulong seq)
    {
        int ctEnd = packet.Length - 16;
        byte[] high = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(high, (uint)(seq >> 32));
        HMACSHA256.HashData(sas.AuthenticationKey, (byte[])[.. packet[..ctEnd], .. high]).AsSpan(0, 16).CopyTo(packet.AsSpan(ctEnd));
    }

    [Theory]
    [MemberData(nameof(TestSas.Names), MemberType = typeof(TestSas))]
    public void In_place_seal_and_open_need_no_second_buffer(string name)
    {
        using var sas = new TestSas(TestSas.ByName(name));
        byte[] payload = Enumerable.Range(0, 333).Select(i => (byte)(i * 7)).ToArray();
        var buffer = new byte[2048];
        int offset = sas.Outbound.PayloadOffset;
        payload.CopyTo(buffer, offset);
        int length = sas.Outbound.Seal(buffer.AsSpan(offset, payload.Length), 6, buffer);
        Assert.Equal(sas.Seal(payload).Length, length);

        Assert.True(sas.Inbound.TryOpen(buffer.AsSpan(0, length), buffer.AsSpan(offset), out int opened, out byte nh, out var reason), reason.ToString());
        Assert.Equal(6, nh);
        Assert.Equal(payload, buffer.AsSpan(offset, opened).ToArray());

        byte[] again = sas.Seal(payload);
        Assert.Throws<ArgumentException>(() => sas.Inbound.TryOpen(again, again.AsSpan(1), out _, out _, out _));
    }

    [Theory]
    [MemberData(nameof(TestSas.Names), MemberType = typeof(TestSas))]
    public void Seal_and_open_do_not_allocate(string name)
    {
        using var sas = new TestSas(TestSas.ByName(name));
        if (sas.Transform.Cipher == EspCipherKind.AesCbc && !AesCbcCipher.IsHardwareAccelerated)
        {
            Assert.Skip("without AES-NI AES-CBC uses the allocating platform fallback");
        }

        byte[] payload = new byte[1400];
        byte[] packet = new byte[1500];
        byte[] output = new byte[1500];
        for (int i = 0; i < 200; i++)
        {
            int n = sas.Outbound.Seal(payload, 17, packet);
            Assert.True(sas.Inbound.TryOpen(packet.AsSpan(0, n), output, out _, out _, out _));
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            int n = sas.Outbound.Seal(payload, 17, packet);
            sas.Inbound.TryOpen(packet.AsSpan(0, n), output, out _, out _, out _);
            sas.Inbound.TryOpen(packet.AsSpan(0, n), output, out _, out _, out _); // replay drop
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Property(MaxTest = 300)]
    public void Garbage_never_throws_and_is_never_accepted(byte[] garbage, bool keepSpi, byte transformIndex)
    {
        var t = EspTransform.All[transformIndex % EspTransform.All.Count];
        using var sas = new TestSas(t, seed: 99);
        garbage ??= [];
        if (keepSpi && garbage.Length >= 4)
        {
            BinaryPrimitives.WriteUInt32BigEndian(garbage, sas.Inbound.Spi);
        }

        var destination = new byte[garbage.Length];
        bool ok = sas.Inbound.TryOpen(garbage, destination, out int length, out _, out var reason);
        Assert.False(ok);
        Assert.NotEqual(EspDropReason.None, reason);
        Assert.Equal(0, length);
        Assert.Equal(0UL, sas.Inbound.SequenceNumber);
    }

    [Property(MaxTest = 100)]
    public void Any_payload_round_trips(byte[] payload, byte nextHeader, byte transformIndex)
    {
        var t = EspTransform.All[transformIndex % EspTransform.All.Count];
        payload ??= [];
        nextHeader = nextHeader == 59 ? (byte)58 : nextHeader;
        using var sas = new TestSas(t);
        var r = sas.Open(sas.Seal(payload, nextHeader));
        Assert.True(r.Ok);
        Assert.Equal(payload, r.Payload);
        Assert.Equal(nextHeader, r.NextHeader);
    }

    [Fact]
    public void Needs_rekey_on_packet_byte_time_and_sequence_limits()
    {
        var clock = new ManualTimeProvider();
        using (var sas = new TestSas(EspTransform.Aes128Gcm, new EspSaOptions { PacketLimit = 3, TimeProvider = clock }))
        {
            sas.Seal([1]);
            sas.Seal([1]);
            Assert.False(sas.Outbound.NeedsRekey);
            sas.Seal([1]);
            Assert.True(sas.Outbound.NeedsRekey);
        }

        using (var sas = new TestSas(EspTransform.Aes128Gcm, new EspSaOptions { ByteLimit = 1000, TimeProvider = clock }))
        {
            sas.Seal(new byte[999]);
            Assert.False(sas.Outbound.NeedsRekey);
            Assert.True(sas.Open(sas.Seal(new byte[1])).Ok);
            Assert.True(sas.Outbound.NeedsRekey);
            Assert.False(sas.Inbound.NeedsRekey);
        }

        using (var sas = new TestSas(EspTransform.Aes128Gcm, new EspSaOptions { Lifetime = TimeSpan.FromMinutes(10), TimeProvider = clock }))
        {
            clock.Advance(TimeSpan.FromMinutes(9));
            Assert.False(sas.Inbound.NeedsRekey);
            Assert.True(sas.Open(sas.Seal([1])).Ok);
            Assert.Equal(TimeSpan.Zero, sas.Inbound.IdleTime);
            clock.Advance(TimeSpan.FromMinutes(1));
            Assert.True(sas.Inbound.NeedsRekey);
            Assert.Equal(TimeSpan.FromMinutes(1), sas.Inbound.IdleTime);
            Assert.Equal(TimeSpan.FromMinutes(10), sas.Outbound.Age);
        }

        using (var sas = new TestSas(EspTransform.Aes128Gcm, new EspSaOptions { ExtendedSequenceNumbers = false, SequenceRekeyMargin = 10 }))
        {
            sas.Outbound.SetSequenceNumber(uint.MaxValue - 11);
            Assert.False(sas.Outbound.NeedsRekey);
            sas.Seal([1]);
            Assert.True(sas.Outbound.NeedsRekey);
        }
    }

    [Fact]
    public void A_disposed_sa_refuses_work_without_crashing()
    {
        var sas = new TestSas(EspTransform.Aes128CbcHmacSha256);
        byte[] packet = sas.Seal(new byte[10]);
        sas.Dispose();
        Assert.Equal(EspDropReason.SaRemoved, sas.Open(packet).Reason);
        Assert.Throws<ObjectDisposedException>(() => sas.Outbound.Seal(new byte[10], 17, new byte[200]));
        sas.Dispose();
    }

    [Fact]
    public void Sa_constructor_validates_spi_and_key_lengths()
    {
        var t = EspTransform.Aes128CbcHmacSha256;
        Assert.Throws<ArgumentOutOfRangeException>(() => new EspSa(255, EspSaDirection.Inbound, t, new byte[16], new byte[32]));
        Assert.Throws<ArgumentException>(() => new EspSa(256, EspSaDirection.Inbound, t, new byte[15], new byte[32]));
        Assert.Throws<ArgumentException>(() => new EspSa(256, EspSaDirection.Inbound, t, new byte[16], new byte[20]));
        Assert.Throws<ArgumentException>(() => new EspSa(256, EspSaDirection.Inbound, EspTransform.Aes256Gcm, new byte[32], []));
        using var sa = new EspSa(256, EspSaDirection.Inbound, EspTransform.Aes256Gcm, new byte[36], []);
        Assert.Throws<InvalidOperationException>(() => sa.Seal([], 17, new byte[100]));
    }

    [Theory]
    [MemberData(nameof(TestSas.Names), MemberType = typeof(TestSas))]
    public void Keys_drawn_from_keymat_give_each_host_the_peers_inbound_sa(string name)
    {
        var t = TestSas.ByName(name);
        var hitI = Hit.Parse("2001:20::1111");
        var hitR = Hit.Parse("2001:20::2222");
        byte[] kij = RandomNumberGenerator.GetBytes(48);
        byte[] i = RandomNumberGenerator.GetBytes(32);
        byte[] j = RandomNumberGenerator.GetBytes(32);
        using var keymatI = new Keymat(HitSuite.RsaDsaSha256, kij, hitI, hitR, i, j);
        using var keymatR = new Keymat(HitSuite.RsaDsaSha256, kij, hitI, hitR, i, j);
        keymatI.Index = keymatR.Index = 96; // after the HIP keys; both ends draw at the same index
        var keysI = EspKeys.Derive(keymatI, t.EncryptionKeyLength, t.AuthenticationKeyLength, hitI, hitR);
        var keysR = EspKeys.Derive(keymatR, t.EncryptionKeyLength, t.AuthenticationKeyLength, hitR, hitI);

        const uint spiAtI = 0x1000, spiAtR = 0x2000; // each host's inbound SPI, chosen by it
        var (outI, inI) = EspSa.CreatePair(t, keysI, outboundSpi: spiAtR, inboundSpi: spiAtI);
        var (outR, inR) = EspSa.CreatePair(t, keysR, outboundSpi: spiAtI, inboundSpi: spiAtR);
        using (outI)
        using (inI)
        using (outR)
        using (inR)
        {
            byte[] payload = RandomNumberGenerator.GetBytes(300);
            byte[] buffer = new byte[400];
            byte[] output = new byte[400];
            int n = outI.Seal(payload, 6, buffer);
            Assert.True(inR.TryOpen(buffer.AsSpan(0, n), output, out int len, out _, out _));
            Assert.Equal(payload, output[..len]);
            n = outR.Seal(payload, 17, buffer);
            Assert.True(inI.TryOpen(buffer.AsSpan(0, n), output, out len, out _, out _));
            Assert.Equal(payload, output[..len]);

            // Our own outbound keys do not open our outbound traffic at our inbound SA (distinct SA keys).
            using var wrongWay = new EspSa(spiAtR, EspSaDirection.Inbound, t, keysI.InboundEncryptionKey.Span, keysI.InboundAuthenticationKey.Span);
            n = outI.Seal(payload, 6, buffer);
            Assert.False(wrongWay.TryOpen(buffer.AsSpan(0, n), output, out _, out _, out var reason));
            Assert.Equal(EspDropReason.IntegrityCheckFailed, reason);
        }
    }

    [Fact]
    public void Concurrent_senders_on_one_sa_never_reuse_a_sequence_number()
    {
        using var sas = new TestSas(EspTransform.Aes128Gcm);
        var seen = new System.Collections.Concurrent.ConcurrentDictionary<uint, bool>();
        Parallel.For(0, 4, _ =>
        {
            var buffer = new byte[200];
            for (int k = 0; k < 2000; k++)
            {
                int n = sas.Outbound.Seal(new byte[50], 17, buffer);
                Assert.True(seen.TryAdd(BinaryPrimitives.ReadUInt32BigEndian(buffer.AsSpan(4)), true));
                Assert.Equal(n, sas.Transform.GetSealedLength(50));
            }
        });
        Assert.Equal(8000, seen.Count);
        Assert.Equal(8000UL, sas.Outbound.SequenceNumber);
    }
}
