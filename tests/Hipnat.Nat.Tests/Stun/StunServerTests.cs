using System.Net;
using Hipnat.Nat.Stun;

namespace Hipnat.Nat.Tests.Stun;

public class StunServerTests
{
    private static readonly IPEndPoint Source = new(IPAddress.Parse("2001:db8::42"), 61234);
    private static readonly StunTransactionId Tx = new(0xAABBCCDDEEFF0011, 0x22334455);

    private static StunMessage Parse(byte[]? bytes)
    {
        Assert.NotNull(bytes);
        Assert.Equal(StunError.None, StunMessage.TryParse(bytes, out var m));
        return m!;
    }

    [Fact]
    public void BindingRequestGetsXorMappedAddressSoftwareAndFingerprint()
    {
        var server = new StunServer(new StunServerOptions { Software = "hipnat-test" });
        var request = new StunMessageWriter(StunMethod.Binding, StunClass.Request, Tx).ToArray();
        var result = server.Handle(Source, request);
        Assert.Equal(StunServerAction.Responded, result.Action);
        var response = Parse(result.Response);
        Assert.Equal(StunClass.SuccessResponse, response.Class);
        Assert.Equal(StunMethod.Binding, response.Method);
        Assert.Equal(Tx, response.TransactionId);
        Assert.Equal(Source, response.XorMappedAddress);
        Assert.Equal("hipnat-test", response.Software);
        Assert.True(response.HasFingerprint);
        Assert.True(StunFingerprint.EndsWithValidFingerprint(result.Response));

        // Idempotent: a retransmission gets the same response (RFC 8489 §6.3.1).
        Assert.Equal(result.Response, server.Handle(Source, request).Response);
    }

    [Fact]
    public void MalformedRequestGets400WithTheSameTransaction()
    {
        var bytes = new StunMessageWriter(StunMethod.Binding, StunClass.Request, Tx)
            .AddAttribute(StunAttributeType.Priority, [1, 2]).ToArray();
        var result = new StunServer().Handle(Source, bytes);
        Assert.Equal(StunServerAction.Responded, result.Action);
        Assert.Equal(StunError.InvalidAttribute, result.Error);
        var response = Parse(result.Response);
        Assert.Equal(StunClass.ErrorResponse, response.Class);
        Assert.Equal(Tx, response.TransactionId);
        Assert.Equal(400, response.ErrorCode!.Value.Code);
        Assert.Equal(400, result.ResponseErrorCode);
    }

    [Fact]
    public void UnknownComprehensionRequiredAttributesGet420ListingThem()
    {
        var bytes = new StunMessageWriter(StunMethod.Binding, StunClass.Request, Tx)
            .AddAttribute((StunAttributeType)0x7F01, [1])
            .AddAttribute((StunAttributeType)0xC001, [1])
            .AddAttribute((StunAttributeType)0x0002, [1, 2, 3, 4])
            .ToArray();
        var response = Parse(new StunServer().Handle(Source, bytes).Response);
        Assert.Equal(420, response.ErrorCode!.Value.Code);
        Assert.Equal(new ushort[] { 0x7F01, 0x0002 }, response.UnknownAttributes);
    }

    [Fact]
    public void UnknownOptionalAttributesAreIgnored()
    {
        var bytes = new StunMessageWriter(StunMethod.Binding, StunClass.Request, Tx).AddAttribute((StunAttributeType)0xC001, [1]).ToArray();
        Assert.Equal(StunClass.SuccessResponse, Parse(new StunServer().Handle(Source, bytes).Response).Class);
    }

    [Fact]
    public void BadFingerprintResponsesIndicationsAndOtherMethodsAreNotAnswered()
    {
        var server = new StunServer();
        var badFingerprint = new StunMessageWriter(StunMethod.Binding, StunClass.Request, Tx).AddFingerprint().ToArray();
        badFingerprint[^1] ^= 1;
        Assert.Equal(StunServerAction.Discarded, server.Handle(Source, badFingerprint).Action);

        var response = new StunMessageWriter(StunMethod.Binding, StunClass.SuccessResponse, Tx).ToArray();
        Assert.Equal(StunServerAction.Discarded, server.Handle(Source, response).Action);

        var allocate = new StunMessageWriter(StunMethod.Allocate, StunClass.Request, Tx).ToArray();
        Assert.Equal(StunServerAction.Discarded, server.Handle(Source, allocate).Action);

        var keepalive = server.Handle(Source, StunKeepalive.Create(Tx));
        Assert.Equal(StunServerAction.Indication, keepalive.Action);
        Assert.Null(keepalive.Response);

        Assert.Equal(StunServerAction.NotStun, server.Handle(Source, [0, 0, 0, 0, 1, 2, 3]).Action);
        Assert.Equal(StunServerAction.NotStun, server.Handle(Source, Array.Empty<byte>()).Action);
    }

    [Fact]
    public void ShortTermAuthenticationFollowsRfc8489Section913()
    {
        var key = StunCredentials.ShortTermKey("pass");
        var server = new StunServer(new StunServerOptions { ShortTermKeyLookup = u => u == "R:L" ? key : null });

        int Code(byte[] request) => Parse(server.Handle(Source, request).Response).ErrorCode?.Code ?? 0;

        Assert.Equal(400, Code(new StunMessageWriter(StunMethod.Binding, StunClass.Request, Tx).AddUsername("R:L").ToArray()));
        Assert.Equal(400, Code(new StunMessageWriter(StunMethod.Binding, StunClass.Request, Tx).AddMessageIntegrity(key).ToArray()));
        Assert.Equal(401, Code(new StunMessageWriter(StunMethod.Binding, StunClass.Request, Tx).AddUsername("X:L").AddMessageIntegrity(key).ToArray()));
        Assert.Equal(401, Code(new StunMessageWriter(StunMethod.Binding, StunClass.Request, Tx).AddUsername("R:L").AddMessageIntegrity([9]).ToArray()));

        var ok = Parse(server.Handle(Source, new StunMessageWriter(StunMethod.Binding, StunClass.Request, Tx)
            .AddUsername("R:L").AddMessageIntegrity(key).AddFingerprint().ToArray()).Response);
        Assert.Equal(StunClass.SuccessResponse, ok.Class);
        Assert.Equal(StunError.None, ok.VerifyMessageIntegrity(key));
        Assert.False(ok.HasMessageIntegritySha256);
        Assert.Null(ok.Username);

        var sha = Parse(server.Handle(Source, new StunMessageWriter(StunMethod.Binding, StunClass.Request, Tx)
            .AddUsername("R:L").AddMessageIntegrity(key).AddMessageIntegritySha256(key).ToArray()).Response);
        Assert.Equal(StunError.None, sha.VerifyMessageIntegritySha256(key));
        Assert.False(sha.HasMessageIntegrity);

        var rejected = Parse(server.Handle(Source, new StunMessageWriter(StunMethod.Binding, StunClass.Request, Tx).AddUsername("X:L").AddMessageIntegrity(key).ToArray()).Response);
        Assert.False(rejected.HasMessageIntegrity);
    }
}
