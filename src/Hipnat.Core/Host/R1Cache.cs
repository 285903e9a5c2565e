using System.Buffers.Binary;
using System.Security.Cryptography;
using Hipnat.Crypto;
using Hipnat.Wire;
using Hipnat.Wire.Packets;
using Hipnat.Wire.Parameters;

namespace Hipnat.Core.Host;

/// <summary>
/// Precomputed, pre-signed R1 packets (RFC 7401 §5.3.2, §6.7.1). One generation per rotation period holds a
/// puzzle secret and one DH key pair per offered group; its R1s are signed once with the Initiator's HIT and the
/// PUZZLE's Opaque and #I zeroed (HIP_SIGNATURE_2, §6.4.2), so answering an I1 is a copy plus three writes.
/// #I is a keyed hash of both HITs under the generation's secret: the Responder keeps no per-I1 state and
/// recomputes #I when the I2 arrives. Solutions of the current and the previous generation are accepted.
/// #K is covered by the signature (only Opaque and #I are zeroed, §5.2.15), so a new #K means new templates: a
/// higher one starts a new generation (the previous one, with its lower #K, stays acceptable until the next
/// rotation), a lower one re-signs the current generation's templates with the same DH keys. Each generation
/// remembers the lowest #K it advertised and the solutions already spent on DH work (§4.1.1: remember the
/// puzzle state of an Initiator), so one solution buys at most one DH.
/// </summary>
internal sealed class R1Cache
{
    private readonly HipHost _host;
    private Generation? _current;
    private Generation? _previous;
    private ulong _counter;

    public R1Cache(HipHost host)
    {
        _host = host;
    }

    public TimeSpan NextRotation { get; private set; } = TimeSpan.MaxValue;

    public int PuzzleLength => _host.Identity.Suite.RhashLength();

    /// <summary>Solutions remembered per generation; a full generation is retired from new R1s.</summary>
    public const int MaxSpentPerGeneration = 1 << 16;

    /// <summary>The generation in force for puzzle difficulty <paramref name="k"/>, creating or rotating it as time,
    /// load or a full replay set require.</summary>
    public Generation Current(TimeSpan now, byte k)
    {
        if (_current is null || now >= NextRotation || _current.SpentFull || k > _current.Difficulty)
        {
            Rotate(now, k);
        }
        else if (k < _current.Difficulty)
        {
            _current.Lower(k);
        }

        return _current!;
    }

    public void Rotate(TimeSpan now, byte k)
    {
        _previous = _current;
        _counter++;
        _current = new Generation(_counter, _host.Random.NextBytes(32), k);
        NextRotation = now + _host.Options.R1Rotation;
    }

    /// <summary>Finds the generation whose Opaque (low 16 bits of its counter) matches.</summary>
    public Generation? FindByOpaque(ushort opaque)
    {
        if (_current is not null && (ushort)_current.Counter == opaque)
        {
            return _current;
        }

        if (_previous is not null && (ushort)_previous.Counter == opaque)
        {
            return _previous;
        }

        return null;
    }

    /// <summary>Writes the R1 for an Initiator into <paramref name="destination"/> and returns its length.</summary>
    public int WriteR1(Generation gen, DhGroupId group, Hit initiator, Span<byte> destination)
    {
        var t = gen.Template(group, this);
        t.Packet.CopyTo(destination);
        initiator.WriteTo(destination[24..]);
        BinaryPrimitives.WriteUInt16BigEndian(destination[(t.PuzzleContentOffset + 2)..], (ushort)gen.Counter);
        ComputeI(gen, initiator, _host.LocalHit, destination.Slice(t.PuzzleContentOffset + 4, PuzzleLength));
        return t.Packet.Length;
    }

    /// <summary>#I = HMAC-SHA-256(secret, HIT-I | HIT-R), extended to RHASH_len octets.</summary>
    public void ComputeI(Generation gen, Hit initiator, Hit responder, Span<byte> i)
    {
        Span<byte> input = stackalloc byte[33];
        initiator.WriteTo(input);
        responder.WriteTo(input[16..]);
        Span<byte> mac = stackalloc byte[32];
        input[32] = 1;
        HMACSHA256.HashData(gen.Secret, input, mac);
        int n = Math.Min(32, i.Length);
        mac[..n].CopyTo(i);
        if (i.Length > 32)
        {
            input[32] = 2;
            HMACSHA256.HashData(gen.Secret, input, mac);
            mac[..(i.Length - 32)].CopyTo(i[32..]);
        }
    }

    private R1Template Build(Generation gen, DhGroupId group)
    {
        var opts = _host.Options;
        var id = _host.Identity;
        if (!gen.DhKeys.TryGetValue(group, out var dh))
        {
            dh = _host.NewDhKey(group);
        }

        Span<byte> buf = stackalloc byte[HipHeader.MaxPacketLength];
        var b = new HipPacketBuilder(buf, HipPacketType.R1, _host.LocalHit, Hit.Zero);
        b.Add(new R1CounterParameter(gen.Counter));
        int puzzleOffset = b.Length + HipParameterHeader.Size;
        b.Add(new PuzzleParameter(gen.Difficulty, opts.PuzzleLifetime, 0, new byte[PuzzleLength]));
        b.Add(new DhGroupListParameter(opts.DhGroups.Select(g => (byte)g).ToArray()));
        b.Add(new DiffieHellmanParameter((byte)group, dh.PublicValue));
        b.Add(new HipCipherParameter(opts.Ciphers.Select(c => (ushort)c).ToArray()));

        // RFC 9028 §4.3-4.4: NAT traversal modes we support and our minimum Ta.
        b.Add(new NatTraversalModeParameter(opts.EffectiveNatTraversalModes.ToArray()));
        b.Add(new TransactionPacingParameter((uint)opts.TransactionPacing.TotalMilliseconds));
        b.Add(HostIdParameterFor(id));
        // §5.2.10: every suite we accept, ours first.
        b.Add(new HitSuiteListParameter(SupportedSuites(id.Suite)));
        if (opts.Registrar is { } registrar)
        {
            // RFC 8003 §3.1: the services we offer, with the lifetimes we grant.
            b.Add(new RegInfoParameter(
                RegistrationLifetime.FromTimeSpan(registrar.MinLifetime),
                RegistrationLifetime.FromTimeSpan(registrar.MaxLifetime),
                registrar.Services.ToArray()));
        }

        b.Add(new TransportFormatListParameter([ParameterType.EspTransform]));
        b.Add(new EspTransformParameter(opts.EspSuites.ToArray()));
        Span<byte> sig = stackalloc byte[id.SignatureLength];
        int sigLen = id.Sign(b.PrefixForMac(), sig);
        b.Add(new HipSignature2Parameter((ushort)id.Algorithm, sig[..sigLen].ToArray()));
        int len = b.Finish();
        gen.DhKeys[group] = dh;
        return new R1Template(buf[..len].ToArray(), puzzleOffset);
    }

    private static byte[] SupportedSuites(HitSuite own) =>
        new[] { own, HitSuite.EcdsaSha384, HitSuite.RsaDsaSha256 }.Distinct().Select(x => x.ToHitSuiteListId()).ToArray();

    internal static HostIdParameter HostIdParameterFor(HostIdentity id) =>
        new((ushort)id.Algorithm, id.HostIdBytes);

    internal sealed class Generation
    {
        private readonly Dictionary<DhGroupId, R1Template> _templates = [];

        private readonly HashSet<SpentSolution> _spent = [];

        public Generation(ulong counter, byte[] secret, byte difficulty)
        {
            Counter = counter;
            Secret = secret;
            Difficulty = difficulty;
        }

        public ulong Counter { get; }

        /// <summary>The lowest #K any R1 of this generation carried: solutions must meet at least this.</summary>
        public byte Difficulty { get; private set; }

        public bool SpentFull => _spent.Count >= MaxSpentPerGeneration;

        /// <summary>Has this solution already been spent on DH work?</summary>
        public bool IsSpent(in SpentSolution s) => _spent.Contains(s);

        /// <summary>Marks a solution spent; false when the generation holds no more (the I2 must be dropped).</summary>
        public bool TrySpend(in SpentSolution s) => !SpentFull && _spent.Add(s);

        /// <summary>Lowers #K for R1s sent from now on; templates are rebuilt (re-signed) with the same DH keys.</summary>
        public void Lower(byte k)
        {
            Difficulty = k;
            _templates.Clear();
        }

        public byte[] Secret { get; }

        public Dictionary<DhGroupId, DhKeyPair> DhKeys { get; } = [];

        public R1Template Template(DhGroupId group, R1Cache cache)
        {
            if (!_templates.TryGetValue(group, out var t))
            {
                _templates[group] = t = cache.Build(this, group);
            }

            return t;
        }
    }

    internal sealed record R1Template(byte[] Packet, int PuzzleContentOffset);
}
