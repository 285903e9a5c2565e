using System.Net;
using FsCheck.Xunit;
using Hipnat.Wire.Parameters;
using static Hipnat.Wire.Tests.TestWire;

namespace Hipnat.Wire.Tests;

/// <summary>Random field values survive build → parse → TryGet for every parameter codec.</summary>
public class ParameterPropertyTests
{
    private static T[] Cap<T>(T[]? a, int max) => a is null ? [] : a.Length <= max ? a : a[..max];

    private static byte[] NonEmpty(byte[]? a, byte fill) => a is { Length: > 0 } ? a : [fill];

    private static IPAddress Expected(IPAddress a) => Ipv4MappedAddress.Normalize(a);

    [Property]
    public void R1Counter(ulong generation, uint reserved)
    {
        var p = RoundTrip(new R1CounterParameter(generation, reserved));
        Assert.Equal(generation, p.Generation);
        Assert.Equal(reserved, p.Reserved);
    }

    [Property]
    public void Puzzle_and_solution(byte k, byte lifetime, ushort opaque, byte sizeSelector, int seed)
    {
        int n = (sizeSelector % 3) switch { 0 => 20, 1 => 32, _ => 48 };
        var rnd = new Random(seed);
        var i = new byte[n];
        var j = new byte[n];
        rnd.NextBytes(i);
        rnd.NextBytes(j);
        var puzzle = RoundTrip(new PuzzleParameter(k, lifetime, opaque, i));
        Assert.Equal((k, lifetime, opaque), (puzzle.K, puzzle.Lifetime, puzzle.Opaque));
        Assert.Equal(i, puzzle.RandomI.ToArray());
        var solution = RoundTrip(new SolutionParameter(k, opaque, i, j));
        Assert.Equal((k, opaque), (solution.K, solution.Opaque));
        Assert.Equal(i, solution.RandomI.ToArray());
        Assert.Equal(j, solution.SolutionJ.ToArray());
    }

    [Property]
    public void Byte_lists(byte[] groups, byte[] suites)
    {
        Assert.Equal(Cap(groups, 200), RoundTrip(new DhGroupListParameter(Cap(groups, 200))).GroupIds);
        Assert.Equal(Cap(suites, 200), RoundTrip(new HitSuiteListParameter(Cap(suites, 200))).SuiteIds);
    }

    [Property]
    public void Sixteen_bit_lists(ushort[] ids)
    {
        var six = Cap(ids, 6);
        Assert.Equal(six, RoundTrip(new HipCipherParameter(six)).CipherIds);
        Assert.Equal(six, RoundTrip(new EspTransformParameter(six)).SuiteIds);
        var modes = six.Select(v => (NatTraversalMode)v).ToArray();
        Assert.Equal(modes, RoundTrip(new NatTraversalModeParameter(modes)).Modes);
        Assert.Equal(Cap(ids, 300), RoundTrip(new TransportFormatListParameter(Cap(ids, 300))).Formats);
    }

    [Property]
    public void Diffie_hellman(byte group, byte[] value)
    {
        var v = NonEmpty(Cap(value, 600), group);
        var p = RoundTrip(new DiffieHellmanParameter(group, v));
        Assert.Equal(group, p.GroupId);
        Assert.Equal(v, p.PublicValue.ToArray());
    }

    [Property]
    public void Host_id(ushort algorithm, byte[] hi, byte diType, byte[] di)
    {
        var type = (DomainIdentifierType)(diType & 0x0F);
        var domain = type == DomainIdentifierType.None ? [] : Cap(di, 255);
        var identity = NonEmpty(Cap(hi, 600), 1);
        var p = RoundTrip(new HostIdParameter(algorithm, identity, type, domain));
        Assert.Equal(algorithm, p.Algorithm);
        Assert.Equal(identity, p.HostIdentity.ToArray());
        Assert.Equal(type, p.DomainIdentifierType);
        Assert.Equal(domain, p.DomainIdentifier.ToArray());
    }

    [Property]
    public void Macs_and_signatures(byte sizeSelector, int seed, ushort algorithm, byte[] signature)
    {
        int n = (sizeSelector % 3) switch { 0 => 20, 1 => 32, _ => 48 };
        var mac = new byte[n];
        new Random(seed).NextBytes(mac);
        Assert.Equal(mac, RoundTrip(new HipMacParameter(mac)).Hmac.ToArray());
        Assert.Equal(mac, RoundTrip(new HipMac2Parameter(mac)).Hmac.ToArray());
        Assert.Equal(mac, RoundTrip(new RvsHmacParameter(mac)).Hmac.ToArray());
        Assert.Equal(mac, RoundTrip(new RelayHmacParameter(mac)).Hmac.ToArray());

        var sig = NonEmpty(Cap(signature, 600), 3);
        var s1 = RoundTrip(new HipSignatureParameter(algorithm, sig));
        Assert.Equal(algorithm, s1.Algorithm);
        Assert.Equal(sig, s1.Signature.ToArray());
        var s2 = RoundTrip(new HipSignature2Parameter(algorithm, sig));
        Assert.Equal(algorithm, s2.Algorithm);
        Assert.Equal(sig, s2.Signature.ToArray());
    }

    [Property]
    public void Fixed_integers(uint a, uint b, ushort c, uint d)
    {
        Assert.Equal(a, RoundTrip(new SeqParameter(a)).UpdateId);
        var info = RoundTrip(new EspInfoParameter(c, a, b));
        Assert.Equal((c, a, b), (info.KeymatIndex, info.OldSpi, info.NewSpi));
        Assert.Equal(d, RoundTrip(new TransactionPacingParameter(d)).MinTaMilliseconds);
        Assert.Equal(b, RoundTrip(new CandidatePriorityParameter(b)).Priority);
        Assert.Equal(a, RoundTrip(new NominateParameter(a)).Reserved);
    }

    [Property]
    public void Ack(uint first, uint[] rest)
    {
        uint[] ids = [first, .. Cap(rest, 300)];
        Assert.Equal(ids, RoundTrip(new AckParameter(ids)).UpdateIds);
    }

    [Property]
    public void Encrypted(byte[] payload, byte ivLength)
    {
        var data = NonEmpty(Cap(payload, 800), 9);
        var p = RoundTrip(new EncryptedParameter(data));
        Assert.Equal(data, p.Payload.ToArray());
        int iv = ivLength % (data.Length + 2);
        bool split = p.TrySplit(iv, out var ivPart, out var rest);
        Assert.Equal(iv < data.Length, split);
        if (split)
        {
            Assert.Equal(data, ivPart.ToArray().Concat(rest.ToArray()));
            Assert.Equal(iv, ivPart.Length);
        }
    }

    [Property]
    public void Notification(ushort type, byte[] data)
    {
        var d = Cap(data, 500);
        var p = RoundTrip(new NotificationParameter((NotifyMessageType)type, d));
        Assert.Equal((NotifyMessageType)type, p.MessageType);
        Assert.Equal(d, p.Data.ToArray());
        Assert.Equal(type < 16384, p.IsError);
    }

    [Property]
    public void Echoes(byte[] a, byte[] b, byte[] c, byte[] d)
    {
        Assert.Equal(Cap(a, 500), RoundTrip(new EchoRequestSignedParameter(Cap(a, 500))).Opaque.ToArray());
        Assert.Equal(Cap(b, 500), RoundTrip(new EchoRequestUnsignedParameter(Cap(b, 500))).Opaque.ToArray());
        Assert.Equal(Cap(c, 500), RoundTrip(new EchoResponseSignedParameter(Cap(c, 500))).Opaque.ToArray());
        Assert.Equal(Cap(d, 500), RoundTrip(new EchoResponseUnsignedParameter(Cap(d, 500))).Opaque.ToArray());
    }

    [Property]
    public void Cert(byte group, byte count, byte id, byte type, byte[] certificate)
    {
        byte n = (byte)Math.Max(1, (int)count);
        byte i = (byte)((id % n) + 1);
        var cert = NonEmpty(Cap(certificate, 600), 0x30);
        var p = RoundTrip(new CertParameter(group, n, i, (CertificateType)type, cert));
        Assert.Equal((group, n, i, (CertificateType)type), (p.Group, p.Count, p.Id, p.CertificateType));
        Assert.Equal(cert, p.Certificate.ToArray());
    }

    [Property]
    public void Registration(byte min, byte max, byte lifetime, byte failure, byte[] types)
    {
        var t = Cap(types, 200).Select(x => (RegistrationType)x).ToArray();
        var info = RoundTrip(new RegInfoParameter(min, max, t));
        Assert.Equal((min, max), (info.MinLifetime, info.MaxLifetime));
        Assert.Equal(t, info.Types);
        var req = RoundTrip(new RegRequestParameter(lifetime, t));
        Assert.Equal(lifetime, req.Lifetime);
        Assert.Equal(t, req.Types);
        var resp = RoundTrip(new RegResponseParameter(lifetime, t));
        Assert.Equal(lifetime, resp.Lifetime);
        Assert.Equal(t, resp.Types);
        var failed = RoundTrip(new RegFailedParameter((RegistrationFailureType)failure, t));
        Assert.Equal((RegistrationFailureType)failure, failed.FailureType);
        Assert.Equal(t, failed.Types);
    }

    [Property]
    public void Transport_addresses(bool v4, uint v4Bits, ulong high, ulong low, ushort port, byte protocol)
    {
        var a = Address(v4, v4Bits, high, low);
        var proto = (TransportProtocol)protocol;
        Check(RoundTrip(new RegFromParameter(a, port, proto)));
        Check(RoundTrip(new RelayFromParameter(a, port, proto)));
        Check(RoundTrip(new RelayToParameter(a, port, proto)));
        Check(RoundTrip(new RelayedAddressParameter(a, port, proto)));
        Check(RoundTrip(new MappedAddressParameter(a, port, proto)));
        Assert.Equal(Expected(a), RoundTrip(new FromParameter(a)).Address);

        void Check(dynamic p)
        {
            Assert.Equal(Expected(a), (IPAddress)p.Address);
            Assert.Equal(port, (ushort)p.Port);
            Assert.Equal(proto, (TransportProtocol)p.Protocol);
        }
    }

    [Property]
    public void Via_rvs(int seed, byte count)
    {
        var rnd = new Random(seed);
        var list = Enumerable.Range(0, 1 + (count % 60)).Select(_ => RandomAddress(rnd)).ToArray();
        Assert.Equal(list.Select(Expected), RoundTrip(new ViaRvsParameter(list)).Addresses);
    }

    [Property]
    public void Peer_permission(int seed, ushort rport, ushort pport, uint ospi, uint ispi, byte protocol)
    {
        var rnd = new Random(seed);
        var ra = RandomAddress(rnd);
        var pa = RandomAddress(rnd);
        var p = RoundTrip(new PeerPermissionParameter(ra, rport, pa, pport, ospi, ispi, (TransportProtocol)protocol));
        Assert.Equal(Expected(ra), p.RelayAddress);
        Assert.Equal(Expected(pa), p.PeerAddress);
        Assert.Equal((rport, pport, ospi, ispi, (TransportProtocol)protocol), (p.RelayPort, p.PeerPort, p.OutboundSpi, p.InboundSpi, p.Protocol));
    }

    [Property(MaxTest = 300)]
    public void Locator_set(int seed, byte count)
    {
        var rnd = new Random(seed);
        var locators = Enumerable.Range(0, count % 40).Select(_ => RandomLocator(rnd)).ToArray();
        var parsed = RoundTrip(new LocatorSetParameter(locators)).Locators;
        Assert.Equal(locators.Length, parsed.Length);
        for (int i = 0; i < locators.Length; i++)
        {
            var (e, a) = (locators[i], parsed[i]);
            Assert.Equal((e.TrafficType, e.LocatorType, e.Preferred, e.Lifetime), (a.TrafficType, a.LocatorType, a.Preferred, a.Lifetime));
            Assert.Equal(Expected(e.Address), a.Address);
            Assert.Equal((e.Spi, e.Port, e.Protocol, e.Kind, e.Priority), (a.Spi, a.Port, a.Protocol, a.Kind, a.Priority));
            Assert.Equal(e.RawLocator.ToArray(), a.RawLocator.ToArray());
            Assert.Equal(e.LocatorLength, a.LocatorLength);
        }
    }

    private static IPAddress RandomAddress(Random rnd) =>
        Address(rnd.Next(2) == 0, (uint)rnd.NextInt64(), (ulong)rnd.NextInt64(), (ulong)rnd.NextInt64());

    private static Locator RandomLocator(Random rnd)
    {
        var traffic = (LocatorTrafficType)rnd.Next(3);
        bool preferred = rnd.Next(2) == 1;
        uint lifetime = (uint)rnd.NextInt64(1, uint.MaxValue);
        return rnd.Next(4) switch
        {
            0 => Locator.ForAddress(RandomAddress(rnd), lifetime, traffic, preferred),
            1 => Locator.ForEspAddress((uint)rnd.NextInt64(), RandomAddress(rnd), lifetime, traffic, preferred),
            2 => Locator.ForTransportAddress(
                RandomAddress(rnd),
                (ushort)rnd.Next(65536),
                (CandidateKind)rnd.Next(4),
                (uint)rnd.NextInt64(),
                (uint)rnd.NextInt64(),
                lifetime,
                traffic,
                preferred),
            _ => Locator.ForUnknownType((byte)rnd.Next(3, 256), Bytes(4 * rnd.Next(0, 6), rnd.Next()), lifetime, traffic, preferred),
        };
    }
}
