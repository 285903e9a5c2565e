using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Hipnat.DataPlane.Esp;

namespace Hipnat.Bench;

/// <summary>
/// AES-128-GCM per ESP packet, as <c>EspSa</c> uses it: seal in place with the 8-octet AAD of RFC 4106 §5 (SPI and
/// sequence number) and a fresh nonce per packet; open out of place, as the runtime's data plane decrypts into its
/// receive buffer. hipnat's <see cref="AesGcmCipher"/> against the BCL's <see cref="AesGcm"/> (OpenSSL underneath),
/// the floor. The variants' rounds alternate (A B A B ...) so that load from elsewhere affects all alike; many short rounds, and each
/// cell gives the best round (the least disturbed) and the median. Rounds are timed in the thread's CPU time (CLOCK_THREAD_CPUTIME_ID), which time slices
/// given to other processes on a shared machine do not inflate; <c>--wall</c> times them on the wall clock.
/// </summary>
internal static partial class EspCryptoBench
{
    private static readonly int[] Sizes = [64, 576, 1400, 8192];

    private sealed record Variant(string Name, Func<byte[], IGcm> Create);

    private interface IGcm : IDisposable
    {
        void Seal(ReadOnlySpan<byte> nonce, Span<byte> data, Span<byte> tag, ReadOnlySpan<byte> aad);

        bool Open(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext, ReadOnlySpan<byte> aad);
    }

    private sealed class Hipnat(AesGcmCipher gcm) : IGcm
    {
        public void Seal(ReadOnlySpan<byte> nonce, Span<byte> data, Span<byte> tag, ReadOnlySpan<byte> aad) => gcm.Encrypt(nonce, data, tag, aad);

        public bool Open(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext, ReadOnlySpan<byte> aad) =>
            gcm.Decrypt(nonce, ciphertext, tag, plaintext, aad);

        public void Dispose() => gcm.Dispose();
    }

    private sealed class Bcl(AesGcm gcm) : IGcm
    {
        public void Seal(ReadOnlySpan<byte> nonce, Span<byte> data, Span<byte> tag, ReadOnlySpan<byte> aad) => gcm.Encrypt(nonce, data, data, tag, aad);

        public bool Open(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext, ReadOnlySpan<byte> aad)
        {
            gcm.Decrypt(nonce, ciphertext, tag, plaintext, aad);
            return true;
        }

        public void Dispose() => gcm.Dispose();
    }

    public static int Run(string[] args)
    {
        int rounds = ScaleBench.Arg(args, "--rounds", 101);
        int bytesPerRound = ScaleBench.Arg(args, "--kib", 256) * 1024;
        s_wall = args.Contains("--wall");
        Variant[] variants =
        [
            new("hipnat", k => new Hipnat(new AesGcmCipher(k))),
            new("BCL AesGcm", k => new Bcl(new AesGcm(k, AesGcmCipher.TagSize))),
        ];

        byte[] key = RandomNumberGenerator.GetBytes(16);
        var ciphers = variants.Select(v => v.Create(key)).ToArray();
        var seal = new double[variants.Length, Sizes.Length, rounds];
        var open = new double[variants.Length, Sizes.Length, rounds];

        Console.WriteLine($"esp-crypto: AES-128-GCM, {rounds} rounds of {bytesPerRound / 1024} KiB per cell, variants alternating, "
            + $"{(s_wall ? "wall-clock" : "thread CPU")} time; "
            + $"AES-NI+PCLMULQDQ {AesGcmCipher.IsHardwareAccelerated}, VPCLMULQDQ {AesGcmCipher.IsWideAccelerated}");

        // Warm-up: every path through tier-1 compilation before anything is timed.
        var warm = Stopwatch.StartNew();
        while (warm.Elapsed < TimeSpan.FromSeconds(2))
        {
            for (int v = 0; v < ciphers.Length; v++)
            {
                for (int s = 0; s < Sizes.Length; s++)
                {
                    Measure(ciphers[v], Sizes[s], bytesPerRound / 16, out _, out _);
                }
            }
        }

        for (int r = 0; r < rounds; r++)
        {
            for (int s = 0; s < Sizes.Length; s++)
            {
                for (int v = 0; v < ciphers.Length; v++)
                {
                    Measure(ciphers[v], Sizes[s], bytesPerRound, out seal[v, s, r], out open[v, s, r]);
                }
            }
        }

        foreach (var c in ciphers)
        {
            c.Dispose();
        }

        Console.WriteLine();
        Console.WriteLine("| payload | variant | seal MB/s | seal ns/packet (median) | open MB/s | open ns/packet (median) |");
        Console.WriteLine("|--:|---|--:|--:|--:|--:|");
        for (int s = 0; s < Sizes.Length; s++)
        {
            for (int v = 0; v < variants.Length; v++)
            {
                var (sealBest, sealMedian) = Stats(seal, v, s, rounds);
                var (openBest, openMedian) = Stats(open, v, s, rounds);
                Console.WriteLine($"| {Sizes[s]:N0} | {variants[v].Name} | {Sizes[s] * 1e3 / sealBest:N0} | {sealBest:N0} ({sealMedian:N0}) "
                    + $"| {Sizes[s] * 1e3 / openBest:N0} | {openBest:N0} ({openMedian:N0}) |");
            }
        }

        Console.WriteLine();
        Console.WriteLine($"MB = 10^6 octets of payload; MB/s and ns/packet from the best round, the median round in brackets ({(s_wall ? "wall clock" : "thread CPU time")}).");
        return 0;
    }

    /// <summary>Seals then opens packets of <paramref name="size"/> octets, about <paramref name="bytes"/> of each.</summary>
    private static void Measure(IGcm gcm, int size, int bytes, out double sealNs, out double openNs)
    {
        int packets = Math.Max(16, bytes / size);
        byte[] data = new byte[size];
        byte[] plaintext = new byte[size];
        byte[] tag = new byte[AesGcmCipher.TagSize];
        byte[] nonce = new byte[AesGcmCipher.NonceSize];
        byte[] aad = new byte[8];
        RandomNumberGenerator.Fill(data);
        RandomNumberGenerator.Fill(nonce.AsSpan(0, 4));
        BinaryPrimitives.WriteUInt32BigEndian(aad, 0x1234_5678);

        long start = Now();
        for (int i = 0; i < packets; i++)
        {
            // RFC 4106 §3.1: salt | 64-bit IV (here the sequence number); the AAD is SPI | sequence number.
            BinaryPrimitives.WriteUInt64BigEndian(nonce.AsSpan(4), (ulong)i);
            BinaryPrimitives.WriteUInt32BigEndian(aad.AsSpan(4), (uint)i);
            gcm.Seal(nonce, data, tag, aad);
        }

        sealNs = (double)(Now() - start) / packets;

        // The last packet sealed, opened over and over (same work as distinct packets of that size).
        start = Now();
        for (int i = 0; i < packets; i++)
        {
            if (!gcm.Open(nonce, data, tag, plaintext, aad))
            {
                throw new InvalidOperationException("a sealed packet failed to open");
            }
        }

        openNs = (double)(Now() - start) / packets;
    }

    private static bool s_wall;

    /// <summary>Nanoseconds of this thread's CPU time, or of the wall clock with --wall.</summary>
    private static long Now()
    {
        if (s_wall || !OperatingSystem.IsLinux())
        {
            return (long)(Stopwatch.GetTimestamp() * (1e9 / Stopwatch.Frequency));
        }

        const int ClockThreadCpuTimeId = 3;
        if (ClockGetTime(ClockThreadCpuTimeId, out var ts) != 0)
        {
            throw new InvalidOperationException("clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
        }

        return (ts.Seconds * 1_000_000_000) + ts.Nanoseconds;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out Timespec ts);

    private static (double Best, double Median) Stats(double[,,] cells, int v, int s, int rounds)
    {
        var values = new double[rounds];
        for (int r = 0; r < rounds; r++)
        {
            values[r] = cells[v, s, r];
        }

        Array.Sort(values);
        return (values[0], rounds % 2 == 1 ? values[rounds / 2] : (values[(rounds / 2) - 1] + values[rounds / 2]) / 2);
    }
}
