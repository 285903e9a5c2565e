namespace Hipnat.Wire.Parameters;

/// <summary>DH_GROUP_LIST (RFC 7401 §5.2.6): one-octet DH Group IDs in order of preference.</summary>
public readonly struct DhGroupListParameter : IHipParameter<DhGroupListParameter>
{
    private readonly byte[]? _groups;

    public DhGroupListParameter(params byte[] groupIds)
    {
        _groups = groupIds;
    }

    public static ushort Type => ParameterType.DhGroupList;

    /// <summary>DH Group IDs (RFC 7401 §5.2.7 values), most preferred first.</summary>
    public byte[] GroupIds => _groups ?? [];

    public int GetContentLength() => GroupIds.Length;

    public void WriteContents(Span<byte> destination) => GroupIds.CopyTo(destination);

    public static DhGroupListParameter Read(ReadOnlySpan<byte> contents) => new(contents.ToArray());
}
