using Hipnat.Wire.Packets;
using Hipnat.Wire.Parameters;

namespace Hipnat.Wire.Tests;

/// <summary>Every parameter codec of the wire layer, reachable without naming its type.</summary>
internal static class ParameterCodecs
{
    public delegate (bool Ok, WireError Error) PacketProbe(HipPacket packet);

    public static readonly Codec[] All =
    [
        Make<EspInfoParameter>(),
        Make<R1CounterParameter>(),
        Make<LocatorSetParameter>(),
        Make<PuzzleParameter>(),
        Make<SolutionParameter>(),
        Make<SeqParameter>(),
        Make<AckParameter>(),
        Make<DhGroupListParameter>(),
        Make<DiffieHellmanParameter>(),
        Make<HipCipherParameter>(),
        Make<NatTraversalModeParameter>(),
        Make<TransactionPacingParameter>(),
        Make<EncryptedParameter>(),
        Make<HostIdParameter>(),
        Make<HitSuiteListParameter>(),
        Make<CertParameter>(),
        Make<NotificationParameter>(),
        Make<EchoRequestSignedParameter>(),
        Make<RegInfoParameter>(),
        Make<RegRequestParameter>(),
        Make<RegResponseParameter>(),
        Make<RegFailedParameter>(),
        Make<RegFromParameter>(),
        Make<EchoResponseSignedParameter>(),
        Make<TransportFormatListParameter>(),
        Make<EspTransformParameter>(),
        Make<RelayedAddressParameter>(),
        Make<MappedAddressParameter>(),
        Make<PeerPermissionParameter>(),
        Make<CandidatePriorityParameter>(),
        Make<NominateParameter>(),
        Make<HipMacParameter>(),
        Make<HipMac2Parameter>(),
        Make<HipSignature2Parameter>(),
        Make<HipSignatureParameter>(),
        Make<EchoResponseUnsignedParameter>(),
        Make<EchoRequestUnsignedParameter>(),
        Make<RelayFromParameter>(),
        Make<RelayToParameter>(),
        Make<FromParameter>(),
        Make<RvsHmacParameter>(),
        Make<ViaRvsParameter>(),
        Make<RelayHmacParameter>(),
    ];

    public static Codec Make<T>()
        where T : struct, IHipParameter<T> =>
        new(T.Type, typeof(T).Name, ReadContents<T>, GetAll<T>);

    private static (bool, WireError) ReadContents<T>(byte[] contents)
        where T : struct, IHipParameter<T>
    {
        var p = new HipParameter(T.Type, contents, HipHeader.Size, HipParameterHeader.TotalLength(contents.Length));
        bool ok = HipPacket.TryRead<T>(p, out _, out var error);
        return (ok, error);
    }

    private static (bool, WireError) GetAll<T>(HipPacket packet)
        where T : struct, IHipParameter<T>
    {
        bool ok = packet.TryGetAll<T>(out _, out var error);
        return (ok, error);
    }

    public sealed record Codec(ushort Type, string Name, Func<byte[], (bool Ok, WireError Error)> Read, PacketProbe GetAll);
}
