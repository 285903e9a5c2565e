using System.Net;

namespace Hipnat.Nat.Stun;

/// <summary>
/// Sans-IO Binding responder (RFC 8489 §6.3, §12): one datagram in, at most one response out, no state, so a
/// retransmitted request simply gets the same answer (the Binding method is idempotent, §6.3.1). Success
/// responses carry XOR-MAPPED-ADDRESS with the request's source, SOFTWARE and FINGERPRINT; malformed requests get
/// 400, unknown comprehension-required attributes 420 with UNKNOWN-ATTRIBUTES. With a short-term credential lookup
/// it authenticates requests as RFC 8489 §9.1.3 says (400 / 401) and protects its responses. Never throws on input.
/// </summary>
public sealed class StunServer
{
    public StunServer(StunServerOptions? options = null)
    {
        Options = options ?? new StunServerOptions();
    }

    public StunServerOptions Options { get; }

    /// <summary>Handles one datagram received from <paramref name="source"/>.</summary>
    public StunServerResult Handle(IPEndPoint source, ReadOnlySpan<byte> datagram)
    {
        var headerError = StunHeader.TryRead(datagram, out var header);
        if (headerError != StunError.None)
        {
            return new StunServerResult(StunServerAction.NotStun, null, null, headerError);
        }

        var error = StunMessage.TryParse(datagram, out var message);
        if (header.Class != StunClass.Request)
        {
            // RFC 8489 §6.3.2: an indication with unknown comprehension-required attributes is discarded.
            bool indication = header.Class == StunClass.Indication && header.Method == StunMethod.Binding
                && error == StunError.None && message!.UnknownComprehensionRequired.Count == 0;
            return new StunServerResult(indication ? StunServerAction.Indication : StunServerAction.Discarded, null, message, error);
        }

        if (header.Method != StunMethod.Binding || error == StunError.BadFingerprint)
        {
            // RFC 8489 §6.3: unsupported methods and FINGERPRINT failures are silently discarded.
            return new StunServerResult(StunServerAction.Discarded, null, message, error);
        }

        if (error != StunError.None)
        {
            return Reject(header, StunErrorCode.BadRequest, null, error);
        }

        if (message!.UnknownComprehensionRequired.Count > 0)
        {
            // RFC 8489 §6.3.1: 420 listing the unknown comprehension-required attributes.
            return Reject(header, StunErrorCode.UnknownAttribute, message, error, w => w.AddUnknownAttributes(message.UnknownComprehensionRequired));
        }

        byte[]? key = null;
        bool sha256 = false;
        if (Options.ShortTermKeyLookup is { } lookup)
        {
            // RFC 8489 §9.1.3, in order: integrity and USERNAME present (400), username valid (401), HMAC (401).
            if ((!message.HasMessageIntegrity && !message.HasMessageIntegritySha256) || message.Username is null)
            {
                return Reject(header, StunErrorCode.BadRequest, message, error);
            }

            key = lookup(message.Username);
            if (key is null || message.VerifyIntegrity(key) != StunError.None)
            {
                return Reject(header, StunErrorCode.Unauthenticated, message, error);
            }

            sha256 = message.HasMessageIntegritySha256;
        }

        var writer = StunMessageWriter.ResponseTo(message, StunClass.SuccessResponse);
        writer.AddXorMappedAddress(source);
        if (Options.Software is { } software)
        {
            writer.AddSoftware(software);
        }

        if (key is not null)
        {
            // RFC 8489 §9.1.3: the response uses the integrity attribute of the request, SHA-256 if it had one.
            if (sha256)
            {
                writer.AddMessageIntegritySha256(key);
            }
            else
            {
                writer.AddMessageIntegrity(key);
            }
        }

        if (Options.UseFingerprint)
        {
            writer.AddFingerprint();
        }

        return new StunServerResult(StunServerAction.Responded, writer.ToArray(), message, error);
    }

    private StunServerResult Reject(StunHeader header, int code, StunMessage? message, StunError error, Action<StunMessageWriter>? extra = null)
    {
        // RFC 8489 §9.1.3: error responses to failed authentication carry no integrity or USERNAME.
        var writer = new StunMessageWriter(header.Method, StunClass.ErrorResponse, header.TransactionId);
        writer.AddErrorCode(code);
        extra?.Invoke(writer);
        if (Options.Software is { } software)
        {
            writer.AddSoftware(software);
        }

        if (Options.UseFingerprint)
        {
            writer.AddFingerprint();
        }

        return new StunServerResult(StunServerAction.Responded, writer.ToArray(), message, error) { ResponseErrorCode = code };
    }
}
