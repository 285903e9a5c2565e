using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using Hipnat.Core.Host;
using Hipnat.Core.Transport;
using Hipnat.Crypto;

namespace Hipnat.Bench;

/// <summary>
/// Base exchanges per second as Responder on one core, next to the crypto floor measured in the same run:
/// one ECDSA P-256 signature, one verification and one ECDH P-256 derivation — the Responder's unavoidable
/// public-key work per exchange (R1 signatures are precomputed).
/// </summary>
internal static class BaseExchangeBench
{
    public static int Run(string[] args)
    {
        int count = ScaleBench.Arg(args, "--exchanges", 3000);
        if (OperatingSystem.IsLinux())
        {
            Process.GetCurrentProcess().ProcessorAffinity = 1; // one core
        }

        var rAddr = TransportAddress.Udp(IPAddress.Parse("198.18.0.1"), 10500);
        var responder = new HipHost(new HipHostOptions { Identity = HostIdentity.Generate(HostIdentityKind.EcdsaP256), DhGroups = [DhGroupId.NistP256] });

        // Prepare: each initiator runs I1 -> R1 -> I2 against the responder; the I2s are kept for the timed phase.
        var i1s = new List<(TransportAddress From, byte[] Packet)>(count);
        var i2s = new List<(TransportAddress From, byte[] Packet)>(count);
        var now = TimeSpan.FromSeconds(1);
        for (int n = 0; n < count; n++)
        {
            var from = TransportAddress.Udp(new IPAddress([198, 19, (byte)(n >> 8), (byte)n]), 10500);
            var ini = new HipHost(new HipHostOptions { Identity = HostIdentity.Generate(HostIdentityKind.EcdsaP256), DhGroups = [DhGroupId.NistP256] });
            ini.AddPeerLocator(responder.LocalHit, rAddr);
            ini.Connect(responder.LocalHit, now);
            var i1 = Take(ini);
            i1s.Add((from, i1));
            responder.HandleDatagram(rAddr, from, i1, now);
            var r1 = Take(responder);
            ini.HandleDatagram(from, rAddr, r1, now);
            i2s.Add((from, Take(ini)));
        }

        // Crypto floor: the same three operations with keys already imported; and with the peer's keys arriving
        // fresh, as in a real I2 (each public key imported through the BCL, which validates it).
        using var signKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var verifyKey = ECDsa.Create(signKey.ExportParameters(false));
        using var ecdhA = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        using var ecdhB = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var peerPublic = ecdhB.PublicKey;
        var data = new byte[600];
        var sig = new byte[64];
        RandomNumberGenerator.Fill(data);
        signKey.SignData(data, sig, HashAlgorithmName.SHA384);
        var ecdsaPublic = verifyKey.ExportParameters(false);
        var ecdhPublic = ecdhB.ExportParameters(false);

        // Rounds alternate floor and responder so that load from other processes hits both alike; best of each.
        const int rounds = 3;
        int perRound = count / rounds;
        double floorPerSec = 0, freshFloorPerSec = 0, bexPerSec = 0;
        var sw = new Stopwatch();
        for (int r = 0; r < rounds; r++)
        {
            sw.Restart();
            for (int n = 0; n < perRound; n++)
            {
                signKey.TrySignData(data, sig, HashAlgorithmName.SHA384, out _);
                verifyKey.VerifyData(data, sig, HashAlgorithmName.SHA384);
                ecdhA.DeriveRawSecretAgreement(peerPublic);
            }

            floorPerSec = Math.Max(floorPerSec, perRound / sw.Elapsed.TotalSeconds);

            sw.Restart();
            for (int n = 0; n < perRound; n++)
            {
                signKey.TrySignData(data, sig, HashAlgorithmName.SHA384, out _);
                using (var v = ECDsa.Create(ecdsaPublic))
                {
                    v.VerifyData(data, sig, HashAlgorithmName.SHA384);
                }

                using var pk = ECDiffieHellman.Create(ecdhPublic);
                using var pub = pk.PublicKey;
                ecdhA.DeriveRawSecretAgreement(pub);
            }

            freshFloorPerSec = Math.Max(freshFloorPerSec, perRound / sw.Elapsed.TotalSeconds);

            // The responder's whole work per exchange (I1 -> R1 from the cache, I2 -> R2).
            sw.Restart();
            for (int n = r * perRound; n < (r + 1) * perRound; n++)
            {
                responder.HandleDatagram(rAddr, i1s[n].From, i1s[n].Packet, now);
                Drain(responder);
                responder.HandleDatagram(rAddr, i2s[n].From, i2s[n].Packet, now);
                Drain(responder);
            }

            bexPerSec = Math.Max(bexPerSec, perRound / sw.Elapsed.TotalSeconds);
        }

        int accepted = responder.AssociationCount;
        Console.WriteLine($"responder base exchanges  {bexPerSec,8:F0} /s  ({accepted} of {count} I2s accepted, ECDSA P-256 + ECDH P-256, one core)");
        Console.WriteLine($"crypto floor              {floorPerSec,8:F0} /s  (1 sign + 1 verify + 1 ECDH derive)");
        Console.WriteLine($"crypto floor, fresh keys  {freshFloorPerSec,8:F0} /s  (the same, importing the peer's ECDSA and ECDH public keys each time)");
        Console.WriteLine($"ratio to floor            {100 * bexPerSec / floorPerSec,8:F1} %   (best of {rounds} alternating rounds each)");
        Console.WriteLine($"ratio to fresh-key floor  {100 * bexPerSec / freshFloorPerSec,8:F1} %");
        return accepted == count ? 0 : 1;
    }

    private static byte[] Take(HipHost h)
    {
        byte[]? last = null;
        while (h.TryPollTransmit(out var t))
        {
            last = t.Payload.ToArray();
            t.Release();
        }

        while (h.TryPollEvent(out _))
        {
        }

        return last ?? throw new InvalidOperationException("host produced no packet");
    }

    private static void Drain(HipHost h)
    {
        while (h.TryPollTransmit(out var t))
        {
            t.Release();
        }

        while (h.TryPollEvent(out _))
        {
        }
    }
}
