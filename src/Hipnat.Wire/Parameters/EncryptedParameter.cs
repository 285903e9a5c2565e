namespace Hipnat.Wire.Parameters;

/// <summary>
/// ENCRYPTED (RFC 7401 §5.2.18): 4 reserved octets, then an IV whose length depends on the HIP_CIPHER
/// (none for NULL-ENCRYPT, 16 octets for AES-CBC) and the encrypted data. The wire layer cannot know the
/// cipher, so the IV and data are kept together in <see cref="Payload"/>; <see cref="TrySplit"/> separates them.
/// </summary>
public readonly struct EncryptedParameter : IHipParameter<EncryptedParameter>
{
    /// <param name="payload">IV (if the cipher has one) followed by the encrypted data.</param>
    public EncryptedParameter(ReadOnlyMemory<byte> payload)
    {
        Payload = payload;
    }

    public static ushort Type => ParameterType.Encrypted;

    /// <summary>IV followed by the encrypted data.</summary>
    public ReadOnlyMemory<byte> Payload { get; }

    /// <summary>Builds the parameter from a separate IV and ciphertext (one copy).</summary>
    public static EncryptedParameter Create(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> encryptedData)
    {
        var payload = new byte[iv.Length + encryptedData.Length];
        iv.CopyTo(payload);
        encryptedData.CopyTo(payload.AsSpan(iv.Length));
        return new EncryptedParameter(payload);
    }

    /// <summary>Splits <see cref="Payload"/> into IV and encrypted data; false if it is not longer than the IV.</summary>
    public bool TrySplit(int ivLength, out ReadOnlyMemory<byte> iv, out ReadOnlyMemory<byte> encryptedData)
    {
        if (ivLength < 0 || Payload.Length <= ivLength)
        {
            iv = default;
            encryptedData = default;
            return false;
        }

        iv = Payload[..ivLength];
        encryptedData = Payload[ivLength..];
        return true;
    }

    public int GetContentLength() => 4 + Payload.Length;

    public void WriteContents(Span<byte> destination)
    {
        var w = new HipWriter(destination);
        w.WriteUInt32(0); // Reserved: zero when sent (§5.2.18)
        w.WriteBytes(Payload.Span);
    }

    public static EncryptedParameter Read(ReadOnlySpan<byte> contents)
    {
        var r = new HipReader(contents);
        r.Skip(4); // Reserved: ignored when received
        ParameterChecks.NotEmpty(r.Remaining, Type, "encrypted data");
        return new EncryptedParameter(r.RemainingSpan.ToArray());
    }
}
