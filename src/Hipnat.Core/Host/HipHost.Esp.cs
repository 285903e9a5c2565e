using Hipnat.Core.Association;
using Hipnat.Crypto;

namespace Hipnat.Core.Host;

/// <summary>ESP keys for SA pairs, drawn from KEYMAT in RFC 7402 §7 order at the pair's KEYMAT index.</summary>
public sealed partial class HipHost
{
    /// <summary>Draws the pair's keys at <paramref name="index"/> and advances the association's KEYMAT index.</summary>
    internal bool DrawEspKeys(HostAssociation a, EspSaPair sa, int index)
    {
        if (a.Keymat is not { } keymat || !EspKeyLengths.TryGet(sa.Suite, out int enc, out int auth, _options.EspGcmKeyBits))
        {
            return false;
        }

        if (index + (2 * (enc + auth)) > keymat.MaxLength)
        {
            // KEYMAT exhausted: RFC 7402 §6.9 requires a new DH key; a rekey must carry DIFFIE_HELLMAN.
            DebugLog?.Invoke($"KEYMAT of {a.PeerHit} exhausted at {index}");
            return false;
        }

        keymat.Index = index;
        var keys = EspKeys.Derive(keymat, enc, auth, LocalHit, a.PeerHit);
        sa.KeymatIndex = (ushort)index;
        sa.OutboundEncryptionKey = keys.OutboundEncryptionKey.ToArray();
        sa.OutboundIntegrityKey = keys.OutboundAuthenticationKey.ToArray();
        sa.InboundEncryptionKey = keys.InboundEncryptionKey.ToArray();
        sa.InboundIntegrityKey = keys.InboundAuthenticationKey.ToArray();
        a.KeymatIndex = (ushort)keymat.Index;
        return true;
    }
}
