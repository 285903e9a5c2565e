using System.Security.Cryptography;
using Hipnat.Core.Association;
using Hipnat.Crypto;
using Hipnat.Wire.Packets;
using Hipnat.Wire.Parameters;

namespace Hipnat.Core.Host;

/// <summary>HIP_MAC, HIP_MAC_2, HIP_SIGNATURE and HIP_SIGNATURE_2 over exactly the octets RFC 7401 §6.4 names.</summary>
public sealed partial class HipHost
{
    /// <summary>Verifies HIP_MAC (or HIP_MAC_2 with <paramref name="appendHostIdTlv"/>) over the packet prefix before it.</summary>
    internal static bool VerifyMac(HipPacket packet, ushort macType, HitSuite suite, ReadOnlySpan<byte> key, ReadOnlySpan<byte> appendHostIdTlv = default)
    {
        if (!packet.TryFind(macType, out var mac))
        {
            return false;
        }

        Span<byte> scratch = stackalloc byte[HipHeader.MaxPacketLength + 1024];
        int len = packet.CopyPrefixForMac(mac.Offset, scratch);
        if (!appendHostIdTlv.IsEmpty)
        {
            // §6.4.1: HOST_ID as received in R1 appended; Header Length covers it.
            if (len + appendHostIdTlv.Length > scratch.Length)
            {
                return false;
            }

            appendHostIdTlv.CopyTo(scratch[len..]);
            len += appendHostIdTlv.Length;
            HipHeader.PatchLength(scratch, len);
        }

        return HipMac.Verify(suite, key, scratch[..len], mac.Contents);
    }

    /// <summary>
    /// Verifies HIP_SIGNATURE, or HIP_SIGNATURE_2 with the Initiator HIT and PUZZLE Opaque/#I zeroed (§6.4.2), which
    /// every packet type that calls this must carry (RFC 7401 §5.3.2-§5.3.8). A failure is counted and logged under
    /// what is wrong: <see cref="DropReason.MissingSignature"/> when the parameter is absent, otherwise
    /// <see cref="DropReason.BadSignature"/>. <paramref name="packetFrom"/> starts the log line, e.g. "R2 from HIT".
    /// </summary>
    internal bool CheckSignature(HipPacket packet, ushort sigType, PeerHostIdentity signer, string packetFrom)
    {
        string name = ParameterType.Name(sigType);
        if (!packet.TryFind(sigType, out var sig))
        {
            Drop(DropReason.MissingSignature, $"{packetFrom}: {name} missing");
            return false;
        }

        // Contents: SIG alg (2 octets), then the signature (§5.2.14).
        if (sig.Contents.Length < 2)
        {
            Drop(DropReason.BadSignature, $"{packetFrom}: {name} too short for its SIG alg field");
            return false;
        }

        int alg = (sig.Contents[0] << 8) | sig.Contents[1];
        if (alg != (int)signer.Algorithm)
        {
            Drop(DropReason.BadSignature, $"{packetFrom}: {name} SIG alg {alg} is not the HI algorithm {(int)signer.Algorithm} ({signer.Algorithm})");
            return false;
        }

        Span<byte> scratch = stackalloc byte[HipHeader.MaxPacketLength];
        int len = packet.CopyPrefixForMac(sig.Offset, scratch);
        if (sigType == ParameterType.HipSignature2)
        {
            scratch.Slice(24, 16).Clear();
            if (packet.TryFind(ParameterType.Puzzle, out var puzzle) && puzzle.Offset < len)
            {
                // PUZZLE contents: #K, Lifetime, Opaque(2), #I. Zero Opaque and #I.
                scratch.Slice(puzzle.Offset + HipParameterHeader.Size + 2, puzzle.Contents.Length - 2).Clear();
            }
        }

        if (!signer.Verify(scratch[..len], sig.Contents[2..]))
        {
            Drop(DropReason.BadSignature, $"{packetFrom}: {name} does not verify");
            return false;
        }

        return true;
    }

    /// <summary>HIP_MAC, then HIP_SIGNATURE, of a packet on an established association (RFC 7401 §6.12 steps 1-3,
    /// §6.14, §6.15); a failure is counted and logged, and the caller leaves all state untouched.</summary>
    private bool Authenticate(HipPacket packet, HostAssociation a, string what)
    {
        if (!VerifyMac(packet, ParameterType.HipMac, a.Suite, a.PeerIntegrityKey))
        {
            Drop(DropReason.BadMac, $"{what} from {a.PeerHit}: HIP_MAC does not verify");
            return false;
        }

        return CheckSignature(packet, ParameterType.HipSignature, a.PeerIdentity!, $"{what} from {a.PeerHit}");
    }

    /// <summary>Adds HIP_MAC over everything written so far.</summary>
    internal static void AddMac(ref HipPacketBuilder b, HitSuite suite, ReadOnlySpan<byte> key)
    {
        int macLen = suite.HmacLength();
        Span<byte> mac = stackalloc byte[64];
        HipMac.Compute(suite, key, b.PrefixForMac(), mac[..macLen]);
        b.AddRaw(ParameterType.HipMac, mac[..macLen]);
    }

    /// <summary>Adds HIP_MAC_2: the MAC covers the packet so far plus our HOST_ID TLV appended at the end
    /// (out of type order, RFC 7401 §6.4.1), which is then left out of the packet.</summary>
    internal void AddMac2(ref HipPacketBuilder b, HitSuite suite, ReadOnlySpan<byte> key)
    {
        var prefix = b.PrefixForMac();
        Span<byte> scratch = stackalloc byte[HipHeader.MaxPacketLength + 1024];
        prefix.CopyTo(scratch);
        int len = AppendParameter(scratch, prefix.Length, R1Cache.HostIdParameterFor(_identity));
        HipHeader.PatchChecksum(scratch, 0);
        int macLen = suite.HmacLength();
        Span<byte> mac = stackalloc byte[64];
        HipMac.Compute(suite, key, scratch[..len], mac[..macLen]);
        b.AddRaw(ParameterType.HipMac2, mac[..macLen]);
    }

    /// <summary>Adds HIP_SIGNATURE over everything written so far.</summary>
    internal void AddSignature(ref HipPacketBuilder b)
    {
        Span<byte> sig = stackalloc byte[2 + _identity.SignatureLength];
        int n = _identity.Sign(b.PrefixForMac(), sig[2..]);
        sig[0] = (byte)((int)_identity.Algorithm >> 8);
        sig[1] = (byte)_identity.Algorithm;
        b.AddRaw(ParameterType.HipSignature, sig[..(2 + n)]);
    }

    internal static bool FixedEquals(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) => CryptographicOperations.FixedTimeEquals(a, b);
}
