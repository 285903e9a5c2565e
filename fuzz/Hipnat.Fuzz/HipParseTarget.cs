using Hipnat.Wire;
using Hipnat.Wire.Packets;
using Hipnat.Wire.Parameters;

namespace Hipnat.Fuzz;

/// <summary>
/// hip-parse: <see cref="HipUdpFraming"/> classification, <see cref="HipPacket.TryParse"/> (both strictnesses), and
/// every parameter read as its own type with the parameter codec (<c>T.Read</c>, whose documented error is
/// <see cref="HipFormatException"/>); a parameter that reads is written back and its derived values are evaluated.
/// </summary>
public sealed class HipParseTarget : IFuzzTarget
{
    public string Name => "hip-parse";

    public void Run(ReadOnlySpan<byte> input)
    {
        var hip = input;
        if (HipUdpFraming.Classify(input) == UdpPayloadKind.HipControl && HipUdpFraming.TryGetHipControl(input, out var inner) == WireError.None)
        {
            hip = inner;
        }

        if (HipPacket.TryParse(hip, out var strict) == WireError.None)
        {
            _ = strict.TryFindUnknownCritical(out _);
        }

        if (HipPacket.TryParse(hip, out var packet, rejectUnknownCritical: false) != WireError.None)
        {
            return;
        }

        _ = packet.Header.SenderHit.ToString();
        _ = packet.Header.ReceiverHit.ToString();
        foreach (var p in packet.Parameters)
        {
            ReadAs(p);
            if (p.Type is ParameterType.HipMac or ParameterType.HipSignature)
            {
                var copy = new byte[p.Offset];
                packet.CopyPrefixForMac(p.Offset, copy);
            }
        }

        _ = packet.TryGetAll<NotificationParameter>(out _, out _);
        _ = packet.TryGetAll<EchoRequestUnsignedParameter>(out _, out _);
        _ = packet.TryGetAll<RegFailedParameter>(out _, out _);
        _ = packet.TryGetAll<FromParameter>(out _, out _);
        _ = packet.TryGetAll<CertParameter>(out _, out _);
    }

    public IEnumerable<(string Name, byte[] Data)> CreateSeeds() => SeedPackets.Hip();

    private static void ReadAs(HipParameter p)
    {
        switch (p.Type)
        {
            case ParameterType.EspInfo: Check<EspInfoParameter>(p); break;
            case ParameterType.R1Counter: Check<R1CounterParameter>(p); break;
            case ParameterType.LocatorSet:
                if (Check<LocatorSetParameter>(p) is { } set)
                {
                    foreach (var l in set.Locators)
                    {
                        _ = l.ToString();
                    }
                }

                break;
            case ParameterType.Puzzle:
                if (Check<PuzzleParameter>(p) is { } puzzle)
                {
                    _ = puzzle.LifetimeSpan;
                }

                break;
            case ParameterType.Solution: Check<SolutionParameter>(p); break;
            case ParameterType.Seq: Check<SeqParameter>(p); break;
            case ParameterType.Ack: Check<AckParameter>(p); break;
            case ParameterType.DhGroupList: Check<DhGroupListParameter>(p); break;
            case ParameterType.DiffieHellman: Check<DiffieHellmanParameter>(p); break;
            case ParameterType.HipCipher: Check<HipCipherParameter>(p); break;
            case ParameterType.NatTraversalMode: Check<NatTraversalModeParameter>(p); break;
            case ParameterType.TransactionPacing:
                if (Check<TransactionPacingParameter>(p) is { } pacing)
                {
                    _ = pacing.MinTa;
                }

                break;
            case ParameterType.Encrypted:
                if (Check<EncryptedParameter>(p) is { } encrypted)
                {
                    _ = encrypted.TrySplit(16, out _, out _);
                    _ = encrypted.TrySplit(0, out _, out _);
                }

                break;
            case ParameterType.HostId: Check<HostIdParameter>(p); break;
            case ParameterType.HitSuiteList: Check<HitSuiteListParameter>(p); break;
            case ParameterType.Cert: Check<CertParameter>(p); break;
            case ParameterType.Notification: Check<NotificationParameter>(p); break;
            case ParameterType.EchoRequestSigned: Check<EchoRequestSignedParameter>(p); break;
            case ParameterType.RegInfo: Check<RegInfoParameter>(p); break;
            case ParameterType.RegRequest: Check<RegRequestParameter>(p); break;
            case ParameterType.RegResponse: Check<RegResponseParameter>(p); break;
            case ParameterType.RegFailed: Check<RegFailedParameter>(p); break;
            case ParameterType.RegFrom:
                if (Check<RegFromParameter>(p) is { } regFrom)
                {
                    _ = regFrom.EndPoint;
                }

                break;
            case ParameterType.EchoResponseSigned: Check<EchoResponseSignedParameter>(p); break;
            case ParameterType.TransportFormatList: Check<TransportFormatListParameter>(p); break;
            case ParameterType.EspTransform: Check<EspTransformParameter>(p); break;
            case ParameterType.RelayedAddress:
                if (Check<RelayedAddressParameter>(p) is { } relayed)
                {
                    _ = relayed.EndPoint;
                }

                break;
            case ParameterType.MappedAddress:
                if (Check<MappedAddressParameter>(p) is { } mapped)
                {
                    _ = mapped.EndPoint;
                }

                break;
            case ParameterType.PeerPermission:
                if (Check<PeerPermissionParameter>(p) is { } permission)
                {
                    _ = permission.RelayEndPoint;
                    _ = permission.PeerEndPoint;
                }

                break;
            case ParameterType.CandidatePriority: Check<CandidatePriorityParameter>(p); break;
            case ParameterType.Nominate: Check<NominateParameter>(p); break;
            case ParameterType.HipMac: Check<HipMacParameter>(p); break;
            case ParameterType.HipMac2: Check<HipMac2Parameter>(p); break;
            case ParameterType.HipSignature2: Check<HipSignature2Parameter>(p); break;
            case ParameterType.HipSignature: Check<HipSignatureParameter>(p); break;
            case ParameterType.EchoResponseUnsigned: Check<EchoResponseUnsignedParameter>(p); break;
            case ParameterType.EchoRequestUnsigned: Check<EchoRequestUnsignedParameter>(p); break;
            case ParameterType.RelayFrom:
                if (Check<RelayFromParameter>(p) is { } relayFrom)
                {
                    _ = relayFrom.EndPoint;
                }

                break;
            case ParameterType.RelayTo:
                if (Check<RelayToParameter>(p) is { } relayTo)
                {
                    _ = relayTo.EndPoint;
                }

                break;
            case ParameterType.From: Check<FromParameter>(p); break;
            case ParameterType.RvsHmac: Check<RvsHmacParameter>(p); break;
            case ParameterType.ViaRvs: Check<ViaRvsParameter>(p); break;
            case ParameterType.RelayHmac: Check<RelayHmacParameter>(p); break;
            default:
                _ = ParameterType.Name(p.Type);
                break;
        }
    }

    /// <summary>Reads the parameter with its codec; a value that reads must write back to the same length.</summary>
    private static T? Check<T>(HipParameter p)
        where T : struct, IHipParameter<T>
    {
        T value;
        try
        {
            value = T.Read(p.Contents);
        }
        catch (HipFormatException)
        {
            return null;
        }

        int length = value.GetContentLength();
        var buffer = new byte[length];
        value.WriteContents(buffer);
        return value;
    }
}
