namespace Hipnat.Wire.Parameters;

/// <summary>DIFFIE_HELLMAN (RFC 7401 §5.2.7): one Group ID, a 16-bit Public Value Length and the public value.</summary>
public readonly struct DiffieHellmanParameter : IHipParameter<DiffieHellmanParameter>
{
    public DiffieHellmanParameter(byte groupId, ReadOnlyMemory<byte> publicValue)
    {
        if (publicValue.Length > ushort.MaxValue)
        {
            throw new ArgumentException("public value longer than 65535 octets", nameof(publicValue));
        }

        GroupId = groupId;
        PublicValue = publicValue;
    }

    public static ushort Type => ParameterType.DiffieHellman;

    /// <summary>DH Group ID (RFC 7401 §5.2.7 table).</summary>
    public byte GroupId { get; }

    public ReadOnlyMemory<byte> PublicValue { get; }

    public int GetContentLength() => 3 + PublicValue.Length;

    public void WriteContents(Span<byte> destination)
    {
        var w = new HipWriter(destination);
        w.WriteByte(GroupId);
        w.WriteUInt16((ushort)PublicValue.Length);
        w.WriteBytes(PublicValue.Span);
    }

    public static DiffieHellmanParameter Read(ReadOnlySpan<byte> contents)
    {
        var r = new HipReader(contents);
        byte group = r.ReadByte();
        int len = r.ReadUInt16();
        ParameterChecks.NotEmpty(len, Type, "public value");
        var value = r.ReadBytes(len).ToArray();
        r.ExpectEnd();
        return new DiffieHellmanParameter(group, value);
    }
}
