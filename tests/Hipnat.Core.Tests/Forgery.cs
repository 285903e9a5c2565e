using System.Net;
using Hipnat.Crypto;
using Hipnat.Wire;
using Hipnat.Wire.Packets;
using Hipnat.Wire.Parameters;

namespace Hipnat.Core.Tests;

/// <summary>
/// What an on-path attacker can make: it has seen the addresses, ports, HITs and SPIs, but holds neither the
/// association's HIP_MAC keys nor the peer's private key. Every packet comes as a UDP payload (RFC 9028 §5.1 zero
/// marker, HIP checksum zero), its HIP_MAC random octets of the right length, its signature made with the
/// attacker's own key (a well-formed signature of the right algorithm that does not verify with the peer's HI).
/// </summary>
internal static class Forgery
{
    private static readonly Lazy<HostIdentity> AttackerKey = new(() => HostIdentity.Generate(HostIdentityKind.EcdsaP256));

    public static HostIdentity Attacker => AttackerKey.Value;

    /// <summary>An UPDATE: the parameters given, SEQ, HIP_MAC, HIP_SIGNATURE, then RELAY_TO when given.</summary>
    public static byte[] Update(Hit sender, Hit receiver, uint seq, int macLength, EspInfoParameter? espInfo = null,
        LocatorSetParameter? locators = null, RegRequestParameter? regRequest = null, IPEndPoint? relayTo = null)
    {
        Span<byte> hip = stackalloc byte[HipHeader.MaxPacketLength];
        var b = new HipPacketBuilder(hip, HipPacketType.Update, sender, receiver);
        if (espInfo is { } e)
        {
            b.Add(e);
        }

        if (locators is { } l)
        {
            b.Add(l);
        }

        b.Add(new SeqParameter(seq));
        if (regRequest is { } r)
        {
            b.Add(r);
        }

        AddForgedMacAndSignature(ref b, macLength);
        if (relayTo is not null)
        {
            b.Add(new RelayToParameter(relayTo.Address, (ushort)relayTo.Port));
        }

        return Framed(hip[..b.Finish()]);
    }

    /// <summary>A CLOSE with ECHO_REQUEST_SIGNED, a random HIP_MAC and the attacker's signature (RFC 7401 §5.3.7).</summary>
    public static byte[] Close(Hit sender, Hit receiver, int macLength)
    {
        Span<byte> hip = stackalloc byte[HipHeader.MaxPacketLength];
        var b = new HipPacketBuilder(hip, HipPacketType.Close, sender, receiver);
        b.AddRaw(ParameterType.EchoRequestSigned, RandomOctets(16));
        AddForgedMacAndSignature(ref b, macLength);
        return Framed(hip[..b.Finish()]);
    }

    /// <summary>A NOTIFY (RFC 7401 §5.3.6: no HIP_MAC, signed) with the attacker's signature, or none.</summary>
    public static byte[] Notify(Hit sender, Hit receiver, NotifyMessageType message, bool signed = true)
    {
        Span<byte> hip = stackalloc byte[HipHeader.MaxPacketLength];
        var b = new HipPacketBuilder(hip, HipPacketType.Notify, sender, receiver);
        b.Add(new NotificationParameter(message, ReadOnlyMemory<byte>.Empty));
        if (signed)
        {
            AddSignature(ref b, Attacker);
        }

        return Framed(hip[..b.Finish()]);
    }

    /// <summary>A packet as a relay forwards it: <paramref name="inner"/> (UDP payload) with RELAY_FROM and a
    /// RELAY_HMAC of random octets appended (RFC 9028 §5.6, §5.8).</summary>
    public static byte[] WithRelayFrom(byte[] inner, IPEndPoint from, int macLength)
    {
        var hip = new byte[HipHeader.MaxPacketLength];
        int len = inner.Length - 4;
        inner.AsSpan(4).CopyTo(hip);
        len = Append(hip, len, ParameterType.RelayFrom, TransportAddressBytes(from));
        len = Append(hip, len, ParameterType.RelayHmac, RandomOctets(macLength));
        return Framed(hip.AsSpan(0, len));
    }

    /// <summary>Replaces the HIP_SIGNATURE of a captured packet (UDP payload) with the attacker's signature over
    /// the same octets: HIP_MAC still verifies, the signature does not.</summary>
    public static byte[] ResignedByAttacker(byte[] udpPayload)
    {
        var copy = (byte[])udpPayload.Clone();
        var hip = copy.AsSpan(4);
        Assert.Equal(WireError.None, HipPacket.TryParse(hip, out var packet));
        Assert.True(packet.TryFind(ParameterType.HipSignature, out var sig));
        var prefix = new byte[HipHeader.MaxPacketLength];
        int len = packet.CopyPrefixForMac(sig.Offset, prefix);
        var signature = Attacker.Sign(prefix.AsSpan(0, len));
        Assert.Equal(sig.Contents.Length - 2, signature.Length); // same algorithm, same length: only the key differs
        signature.CopyTo(hip[(sig.Offset + HipParameterHeader.Size + 2)..]);
        return copy;
    }

    /// <summary>The HIP packet type of a UDP payload, or 0 when it is not HIP control.</summary>
    public static HipPacketType TypeOf(byte[] udpPayload) =>
        udpPayload.Length > 44 && udpPayload[0] == 0 && udpPayload[1] == 0 && udpPayload[2] == 0 && udpPayload[3] == 0
            ? (HipPacketType)(udpPayload[6] & 0x7F)
            : 0;

    private static void AddForgedMacAndSignature(ref HipPacketBuilder b, int macLength)
    {
        b.AddRaw(ParameterType.HipMac, RandomOctets(macLength));
        AddSignature(ref b, Attacker);
    }

    private static void AddSignature(ref HipPacketBuilder b, HostIdentity signer)
    {
        var sig = signer.Sign(b.PrefixForMac());
        var contents = new byte[2 + sig.Length];
        contents[0] = (byte)((int)signer.Algorithm >> 8);
        contents[1] = (byte)signer.Algorithm;
        sig.CopyTo(contents, 2);
        b.AddRaw(ParameterType.HipSignature, contents);
    }

    private static byte[] TransportAddressBytes(IPEndPoint ep)
    {
        var from = new RelayFromParameter(ep.Address, (ushort)ep.Port);
        var contents = new byte[from.GetContentLength()];
        from.WriteContents(contents);
        return contents;
    }

    private static int Append(byte[] hip, int length, ushort type, byte[] contents)
    {
        int total = HipParameterHeader.TotalLength(contents.Length);
        hip[length] = (byte)(type >> 8);
        hip[length + 1] = (byte)type;
        hip[length + 2] = (byte)(contents.Length >> 8);
        hip[length + 3] = (byte)contents.Length;
        contents.CopyTo(hip, length + HipParameterHeader.Size);
        HipHeader.PatchLength(hip, length + total);
        return length + total;
    }

    private static byte[] Framed(ReadOnlySpan<byte> hip)
    {
        var udp = new byte[4 + hip.Length];
        hip.CopyTo(udp.AsSpan(4));
        return udp;
    }

    private static byte[] RandomOctets(int n)
    {
        var b = new byte[n];
        Random.Shared.NextBytes(b);
        return b;
    }
}
