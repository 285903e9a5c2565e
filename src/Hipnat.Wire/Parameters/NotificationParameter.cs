namespace Hipnat.Wire.Parameters;

/// <summary>NOTIFICATION (RFC 7401 §5.2.19): 2 reserved octets, the Notify Message Type and type-specific data.</summary>
public readonly struct NotificationParameter : IHipParameter<NotificationParameter>
{
    /// <summary>Types below this value report errors, the rest status (§5.2.19).</summary>
    public const ushort FirstStatusType = 16384;

    public NotificationParameter(NotifyMessageType messageType, ReadOnlyMemory<byte> data = default)
    {
        MessageType = messageType;
        Data = data;
    }

    public static ushort Type => ParameterType.Notification;

    public NotifyMessageType MessageType { get; }

    public ReadOnlyMemory<byte> Data { get; }

    public bool IsError => (ushort)MessageType < FirstStatusType;

    public int GetContentLength() => 4 + Data.Length;

    public void WriteContents(Span<byte> destination)
    {
        var w = new HipWriter(destination);
        w.WriteUInt16(0); // Reserved: zero when sent
        w.WriteUInt16((ushort)MessageType);
        w.WriteBytes(Data.Span);
    }

    public static NotificationParameter Read(ReadOnlySpan<byte> contents)
    {
        var r = new HipReader(contents);
        r.Skip(2); // Reserved: ignored when received
        var type = (NotifyMessageType)r.ReadUInt16();
        return new NotificationParameter(type, r.RemainingSpan.ToArray());
    }
}
