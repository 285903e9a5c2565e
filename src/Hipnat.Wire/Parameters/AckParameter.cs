namespace Hipnat.Wire.Parameters;

/// <summary>ACK (RFC 7401 §5.2.17): one or more 32-bit peer Update IDs being acknowledged.</summary>
public readonly struct AckParameter : IHipParameter<AckParameter>
{
    private readonly uint[]? _ids;

    public AckParameter(params uint[] updateIds)
    {
        _ids = updateIds;
    }

    public static ushort Type => ParameterType.Ack;

    public uint[] UpdateIds => _ids ?? [];

    public int GetContentLength() => 4 * UpdateIds.Length;

    public void WriteContents(Span<byte> destination)
    {
        var w = new HipWriter(destination);
        foreach (uint id in UpdateIds)
        {
            w.WriteUInt32(id);
        }
    }

    public static AckParameter Read(ReadOnlySpan<byte> contents)
    {
        // §5.2.17: "one or more" Update IDs; their number is Length / 4.
        ParameterChecks.NotEmpty(contents.Length, Type, "Update ID list");
        ParameterChecks.MultipleOf(contents.Length, 4, Type, "Update ID list");
        var ids = new uint[contents.Length / 4];
        var r = new HipReader(contents);
        for (int i = 0; i < ids.Length; i++)
        {
            ids[i] = r.ReadUInt32();
        }

        return new AckParameter(ids);
    }
}
